// The adapter's repository (src/fixed-locations/store.ts) and migrations, the same tests against both backends: the
// embedded default (src/db/embedded-postgres.ts) and a real PostgreSQL server (the machine's own, in a throwaway
// cluster; skipped, saying why, where there is none). Then what only the embedded default does: one server for the
// processes of a DATA_DIR, started by the first and stopped by the last; and the import of a file-store DATA_DIR.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createPool, migrate, openDatabase } from '../../src/db/database.js';
import { WATCHDOG_GRACE_MS } from '../../src/db/embedded/sharing.js';
import { openEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import type { PlatformLocation, SyncReport } from '../../src/domain/fixed-locations.js';
import { importFileStore, replayLog } from '../../src/fixed-locations/legacy-import.js';
import { FixedLocationStore, ScratchMissing } from '../../src/fixed-locations/store.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { createTestDatabase, realPostgres, testServer, testStore, type TestServer } from '../helpers/database.js';

const run = promisify(execFile);
const p = (id: string, over: Partial<PlatformLocation> = {}): PlatformLocation => ({
  platformLocationId: id,
  name: `Site ${id}`,
  address: `${id} Main Road`,
  latitude: -26.1,
  longitude: 28.05,
  ...over,
});
const report = (runId: string, platform = 0): SyncReport => ({
  runId,
  startedAt: '2026-11-23T10:00:00.000Z',
  finishedAt: '2026-11-23T10:00:12.000Z',
  mode: 'api',
  counts: { platform, aura: 0, matched: 0, created: 0, updated: 0, deleted: 0, missing: 0, duplicates: 0 },
  issues: [],
  status: 'completed',
});
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};
const child = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/store-client.ts'), ...args], {
    cwd: PROJECT_ROOT,
    maxBuffer: 1 << 20,
  });

const real = await realPostgres();
const backends: { name: string; server: () => Promise<TestServer>; skip: string | false }[] = [
  { name: 'embedded PostgreSQL (the default)', server: testServer, skip: false },
  {
    name: 'real PostgreSQL server',
    server: async () => ('server' in real ? real.server : Promise.reject(new Error(real.unavailable))),
    skip: 'unavailable' in real ? real.unavailable : false,
  },
];

for (const backend of backends) {
  describe(`the adapter's store on ${backend.name}`, { skip: backend.skip }, () => {
    const opened: ReturnType<typeof testStore>[] = [];
    /** A store on a database of its own. */
    const open = () => {
      const s = testStore(backend.server);
      opened.push(s);
      return s;
    };
    const fresh = () => open().store;
    after(async () => {
      for (const s of opened) await s.close();
    });

    it('upserts in one statement, answering created once; reads, pages in insertion order, deletes', async () => {
      const s = fresh();
      const first = await s.put(p('A', { contactNotes: 'Keyholder', gateInstructions: null }));
      assert.equal(first.created, true);
      assert.equal(first.location.contactNotes, 'Keyholder');
      assert.match(first.location.updatedAt!, /^\d{4}-\d\d-\d\dT/);
      const again = await s.put(p('A', { name: 'A2', latitude: -26.123456789012 }));
      assert.equal(again.created, false);
      assert.equal(again.location.latitude, -26.123456789012, 'coordinates round-trip exactly');
      await s.put(p('C'));
      await s.put(p('B'));
      assert.deepEqual(
        (await s.list()).map((l) => l.platformLocationId),
        ['A', 'C', 'B'],
        'an update keeps its place',
      );
      assert.deepEqual(await s.page(2, 1), { total: 3, items: [await s.get('C'), await s.get('B')] });
      assert.equal((await s.get('A'))!.name, 'A2');
      assert.equal(await s.get('nope'), null);
      assert.equal(await s.delete('C'), true);
      assert.equal(await s.delete('C'), false);
      assert.equal(await s.count(), 2);
    });

    it('loads the portfolio file when new or changed, in one transaction, and keeps API changes while it is unchanged', async () => {
      const s = fresh();
      const dir = tmp('portfolio-');
      try {
        const file = join(dir, 'portfolio.csv');
        writeFileSync(
          file,
          'platformLocationId,name,address,latitude,longitude,contactNotes,gateInstructions\nP-1,Shop,"1 Main Road, Sandton",-26.1,28.05,,Gate 1\nP-2,Depot,2 Main Road,-26.2,28.06,Keyholder,\n',
        );
        assert.deepEqual(await s.loadFileIfChanged(file), { loaded: true, count: 2 });
        const p1 = (await s.get('P-1'))!;
        assert.equal(p1.address, '1 Main Road, Sandton');
        assert.equal(p1.latitude, -26.1);
        assert.equal(p1.contactNotes, null);
        assert.equal(p1.updatedAt, undefined, 'a location from the file has no updatedAt, as before');
        await s.delete('P-2');
        // Another process (another pool) sees the same thing: nothing is cached.
        const other = new FixedLocationStore(s.db);
        assert.deepEqual(await other.loadFileIfChanged(file), { loaded: false, count: 1 });
        writeFileSync(
          file,
          JSON.stringify([{ platformLocationId: 'J-1', name: 'J', address: 'x', latitude: 1, longitude: 2 }]),
        );
        assert.deepEqual(await other.loadFileIfChanged(file), { loaded: true, count: 1 });
        writeFileSync(file, 'platformLocationId,name,address,latitude,longitude\nP-1,Shop,addr,200,28\n');
        await assert.rejects(() => other.loadFileIfChanged(file), /record 1: latitude/);
        // A load that fails inside the database (here a NOT NULL) leaves the previous portfolio whole.
        await assert.rejects(() => s.replaceAll([p('X'), { ...p('Y'), name: null as unknown as string }]));
        assert.deepEqual(
          (await s.list()).map((l) => l.platformLocationId),
          ['J-1'],
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a write by one process is read by another at once (no cache to go stale)', async () => {
      const { store: s, database } = open();
      await s.put(p('A'));
      const url = await database.url();
      const pool = createPool(url, { max: 2 });
      try {
        const other = new FixedLocationStore(pool);
        await other.put(p('A', { name: 'from the other process' }));
        await other.writeIndex({ runId: 'r1', updatedAt: 'now', refs: { A: [7] } });
        assert.equal((await s.get('A'))!.name, 'from the other process');
        assert.deepEqual(await s.getWithAuraIds('A').then((r) => r?.auraFixedLocationIds), [7]);
      } finally {
        await pool.end();
      }
    });

    it('the index: replaced whole, read by reference on the alarm path (one query with the location)', async () => {
      const s = fresh();
      assert.equal(await s.readIndex(), null);
      await s.put(p('A'));
      await s.put(p('B'));
      await s.writeIndex({ updatedAt: 'now', runId: 'r1', refs: { A: [1] } });
      assert.deepEqual((await s.readIndex())!.refs, { A: [1] });
      await s.writeIndex({ updatedAt: 'now', runId: 'r2', refs: { A: [1], B: [3, 2], ORPHAN: [9] } });
      assert.deepEqual(await s.readIndex(), {
        updatedAt: 'now',
        runId: 'r2',
        refs: { A: [1], B: [2, 3], ORPHAN: [9] },
      });
      assert.deepEqual(await s.getWithAuraIds('B'), { location: await s.get('B'), auraFixedLocationIds: [2, 3] });
      assert.deepEqual(await s.auraIdsFor('ORPHAN'), [9]);
      assert.equal(await s.getWithAuraIds('ORPHAN'), null, 'an alarm needs the platform location');
      // The alarm path's lookups have an index to use (a table this small may still be scanned: seqscan is off here).
      const c = await s.db.connect();
      try {
        await c.query('BEGIN');
        await c.query('SET LOCAL enable_seqscan = off');
        for (const sql of [
          `SELECT * FROM platform_locations WHERE platform_location_id = 'B'`,
          `SELECT aura_fixed_location_id FROM fixed_location_index WHERE external_reference_id = 'B'`,
        ]) {
          const plan = await c.query(`EXPLAIN ${sql}`);
          assert.match(plan.rows.map((r: any) => r['QUERY PLAN']).join('\n'), /Index|Bitmap/, sql);
        }
      } finally {
        await c.query('ROLLBACK');
        c.release();
      }
    });

    it("a run's end is one transaction: report, index and the removal of its scratch; a retry finds its report", async () => {
      const s = fresh();
      await s.writeScratch('run-1', 'plan.json', { big: 'x'.repeat(100_000), n: 1 });
      await s.writeScratch('run-1', 'plan.json', { n: 2 });
      await s.writeScratch('run-2', 'batch-0.json', [1, 2]);
      assert.deepEqual(await s.readScratch('run-1', 'plan.json'), { n: 2 });
      await assert.rejects(() => s.readScratch('run-1', 'nope.json'), ScratchMissing);
      assert.equal(await s.readScratchIfAny('run-1', 'nope.json'), undefined);
      assert.equal(await s.readReport(), null);
      await s.finishRun('run-1', report('run-1', 5), { updatedAt: 'now', runId: 'run-1', refs: { A: [1] } });
      assert.equal(await s.readScratchIfAny('run-1', 'plan.json'), undefined);
      assert.deepEqual(await s.readScratch('run-2', 'batch-0.json'), [1, 2], "another run's scratch stays");
      assert.deepEqual(await s.readReport(), report('run-1', 5));
      await s.finishRun('run-2', report('run-2'));
      assert.equal((await s.readReport())!.runId, 'run-2', 'the latest is the one written last');
      assert.deepEqual((await s.readIndex())!.refs, { A: [1] }, 'a run without an index keeps the previous one');
      assert.equal((await s.reportOf('run-1'))!.counts.platform, 5);
      // A failure inside the transaction changes nothing.
      await assert.rejects(() =>
        s.finishRun(
          'run-3',
          { ...report('run-3'), runId: null as unknown as string },
          { updatedAt: 'now', runId: 'run-3', refs: { Z: [5] } },
        ),
      );
      assert.deepEqual((await s.readIndex())!.refs, { A: [1] });
      assert.equal((await s.readReport())!.runId, 'run-2');
    });

    it('two processes write at once (upserts and transactions), and every write is there', async () => {
      const { store: s, database } = open();
      const url = await database.url();
      const outs = await Promise.all([child(['writer', url, 'API', '120']), child(['writer', url, 'WORKER', '120'])]);
      for (const o of outs) {
        const r = JSON.parse(o.stdout.trim().split('\n').at(-1)!);
        assert.deepEqual(r, { puts: 120, runs: 12, errors: [] });
      }
      assert.equal(await s.count(), 240);
      const reports = await s.db.query('SELECT count(*)::int AS n FROM sync_reports');
      assert.equal(reports.rows[0].n, 24);
      // The index is whichever run ended last, whole: never a mix of two.
      const index = (await s.readIndex())!;
      assert.equal(Object.keys(index.refs).length, 1);
      assert.equal(await s.readScratchIfAny(index.runId, 'plan.json'), undefined);
    });

    it('a DATABASE_URL naming a database the server lacks: the first start creates it, then migrates it', async () => {
      const server = await backend.server();
      const u = new URL(server.adminUrl);
      u.pathname = `/test_${process.pid}_created_${Date.now()}`;
      const [a, b] = await Promise.all(
        [0, 1].map(() => openDatabase({ databaseUrl: u.toString(), dataDir: '/nonexistent', max: 2 })),
      );
      try {
        await new FixedLocationStore(a!.pool).put(p('A'));
        assert.equal((await new FixedLocationStore(b!.pool).get('A'))!.name, 'Site A');
      } finally {
        await a!.close();
        await b!.close();
        const c = new pg.Client({ connectionString: server.adminUrl });
        await c.connect();
        await c.query(`DROP DATABASE ${c.escapeIdentifier(u.pathname.slice(1))} WITH (FORCE)`);
        await c.end();
      }
    });

    it('migrations: applied once by processes starting together, under the lock; a newer schema is refused', async () => {
      const db = await createTestDatabase(await backend.server());
      const pools = Array.from({ length: 4 }, () => createPool(db.url, { max: 2 }));
      try {
        const applied = await Promise.all(pools.map((pool) => migrate(pool)));
        assert.deepEqual(
          applied.flat(),
          MIGRATIONS.map((m) => m.version),
          'each version applied by exactly one',
        );
        const rows = await pools[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          rows.rows.map((r) => r.version),
          MIGRATIONS.map((m) => m.version),
        );
        assert.deepEqual(await migrate(pools[1]!), []);
        await pools[0]!.query(`INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')`);
        await assert.rejects(() => migrate(pools[2]!), /version 999, newer than this release knows/);
      } finally {
        for (const pool of pools) await pool.end();
        await db.drop();
      }
    });
  });
}

describe('the embedded default: one server per DATA_DIR', () => {
  it('API and worker processes starting at once share one server (one starts it, one reuses it); the last one out stops it', async () => {
    const dataDir = tmp('embedded-shared-');
    try {
      const [a, b] = await Promise.all([child(['open', dataDir, '1500']), child(['open', dataDir, '200'])]);
      const [ra, rb] = [a, b].map((o) =>
        o.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l)),
      );
      assert.equal(ra![0].pid, rb![0].pid, 'one server');
      assert.deepEqual([ra![0].started, rb![0].started].sort(), [false, true]);
      for (const r of [ra!, rb!]) assert.deepEqual(r[1].errors, []);
      assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'stopped by the last one');
      assert.deepEqual(readdirSync(join(dataDir, 'postgres.clients')), []);
      if (process.getuid?.() === 0) {
        const ps = await run('ps', ['-o', 'user=', '-p', String(ra![0].pid)]).catch(() => ({ stdout: '' }));
        assert.notEqual(ps.stdout.trim(), 'root');
      }
      // A later process starts it again on the same cluster (and port), and finds every write of the first two.
      const again = await child(['open', dataDir, '0']);
      const [info] = again.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(info.started, true);
      assert.equal(info.url, ra![0].url);
      const s = await openEmbeddedPostgres({ dataDir });
      const c = new pg.Client({ connectionString: s.url });
      try {
        await c.connect();
        assert.equal((await c.query('SELECT count(*)::int AS n FROM platform_locations')).rows[0].n, 120);
        await c.end();
      } finally {
        await s.release();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the embedded default: a server whose users were all killed', () => {
  it('is stopped by its watchdog once the grace period has passed with no live user', async () => {
    const dataDir = tmp('embedded-orphan-');
    try {
      const proc = spawn(
        process.execPath,
        ['--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/store-client.ts'), 'open', dataDir, '600000'],
        { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const first = await new Promise<string>((r) => proc.stdout.once('data', (d) => r(String(d))));
      const { pid } = JSON.parse(first.split('\n')[0]!);
      proc.kill('SIGKILL');
      const killedAt = Date.now();
      while (alive(pid) && Date.now() - killedAt < WATCHDOG_GRACE_MS + 20_000)
        await new Promise((r) => setTimeout(r, 250));
      assert.equal(alive(pid), false, 'the server was stopped');
      assert.ok(Date.now() - killedAt >= WATCHDOG_GRACE_MS - 1_000, 'not before the grace period');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a DATA_DIR of the file store is imported once, then renamed', () => {
  let server: TestServer;
  before(async () => {
    server = await testServer();
  });

  const fileStoreDir = () => {
    const dir = tmp('file-store-');
    const puts = [
      { op: 'meta', sourceSha256: 'abc123' },
      { op: 'put', loc: p('A', { updatedAt: '2026-11-01T10:00:00.000Z' }) },
      { op: 'put', loc: p('B') },
      { op: 'put', loc: p('A', { name: 'A renamed', updatedAt: '2026-11-02T10:00:00.000Z' }) },
      { op: 'put', loc: p('C') },
      { op: 'del', id: 'C' },
    ];
    writeFileSync(
      join(dir, 'platform-locations.ndjson'),
      puts.map((r) => JSON.stringify(r)).join('\n') + '\n{"op":"put","loc":{"platformLoc',
    );
    writeFileSync(
      join(dir, 'fixed-location-index.json'),
      JSON.stringify({ updatedAt: '2026-11-02T11:00:00.000Z', runId: 'old-run', refs: { A: [11], B: [12, 13] } }),
    );
    writeFileSync(join(dir, 'fixed-location-sync-latest.json'), JSON.stringify(report('old-run', 2)));
    mkdirSync(join(dir, 'sync', 'running-run'), { recursive: true });
    writeFileSync(join(dir, 'sync', 'running-run', 'batch-0.json'), JSON.stringify([{ t: 'c', loc: p('B') }]));
    return dir;
  };

  it('replays the log as the file store did (a torn last line skipped)', () => {
    const r = replayLog(
      '{"op":"put","loc":{"platformLocationId":"A"}}\n{"op":"del","id":"A"}\n{"op":"put","loc":{"platformLocationId":"B"}}\n{"op":"put","lo',
    );
    assert.deepEqual(
      r.locations.map((l) => l.platformLocationId),
      ['B'],
    );
    assert.equal(r.skipped, 1);
  });

  it("imports locations, index, latest report and a running reconciliation's scratch; renames the files; a second start imports nothing", async () => {
    const dir = fileStoreDir();
    const { store, close } = testStore(async () => server);
    try {
      const r = await importFileStore(store, dir);
      assert.equal(r.imported, true);
      assert.deepEqual(
        { locations: r.locations, index: r.index, report: r.report, scratch: r.scratch, skippedLines: r.skippedLines },
        { locations: 2, index: true, report: true, scratch: 1, skippedLines: 1 },
      );
      assert.deepEqual(
        (await store.list()).map((l) => [l.platformLocationId, l.name]),
        [
          ['A', 'A renamed'],
          ['B', 'Site B'],
        ],
      );
      assert.equal((await store.get('A'))!.updatedAt, '2026-11-02T10:00:00.000Z');
      assert.deepEqual(await store.getWithAuraIds('B').then((x) => x?.auraFixedLocationIds), [12, 13]);
      assert.equal((await store.readReport())!.runId, 'old-run');
      assert.deepEqual(await store.readScratch('running-run', 'batch-0.json'), [{ t: 'c', loc: p('B') }]);
      assert.deepEqual(await store.state('portfolio_source'), { sha256: 'abc123' });
      const left = readdirSync(dir).sort();
      assert.equal(left.length, 4);
      assert.ok(
        left.every((f) => /\.imported-\d{8}T\d{6}$/.test(f)),
        left.join(', '),
      );
      // The next start: nothing left to import.
      await store.put(p('B', { name: 'changed after the upgrade' }));
      assert.equal((await importFileStore(store, dir)).imported, false);
      assert.equal((await store.get('B'))!.name, 'changed after the upgrade');
    } finally {
      await close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a crash between the import and the renames: the next start only renames (the import is fingerprinted)', async () => {
    const dir = fileStoreDir();
    const copy = tmp('file-store-copy-');
    cpSync(dir, copy, { recursive: true, preserveTimestamps: true });
    const { store, close } = testStore(async () => server);
    try {
      assert.equal((await importFileStore(store, dir)).imported, true);
      await store.put(p('A', { name: 'changed after the import' }));
      // As if the first import had committed and crashed before renaming: the same files are still there.
      rmSync(dir, { recursive: true, force: true });
      cpSync(copy, dir, { recursive: true, preserveTimestamps: true });
      const again = await importFileStore(store, dir);
      assert.equal(again.imported, false);
      assert.equal(again.renamed.length, 4);
      assert.equal((await store.get('A'))!.name, 'changed after the import');
    } finally {
      await close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('the service opens the database, imports DATA_DIR, and loads the shipped sample portfolio once', async () => {
    const { loadEnv } = await import('../../src/config.js');
    const { adapterDatabaseFromEnv, fixedLocationApiFromEnv, fixedLocationSettingsFromEnv } =
      await import('../../src/runtime.js');
    const dir = fileStoreDir();
    const db = await createTestDatabase(server);
    try {
      const env = loadEnv({
        DATABASE_URL: db.url,
        DATA_DIR: dir,
        PLATFORM_LOCATIONS_FILE: join(PROJECT_ROOT, 'data', 'platform-locations.sample.csv'),
        FIXED_LOCATION_SYNC_MODE: 'csv',
      });
      const first = await adapterDatabaseFromEnv(env);
      assert.equal(await first.store.count(), 2, 'imported from the file store');
      const api = await fixedLocationApiFromEnv(env, first.store);
      assert.equal(await api.store.count(), 300, 'the sample differs from the imported source: loaded');
      await first.close();
      const second = await adapterDatabaseFromEnv(env);
      await fixedLocationApiFromEnv(env, second.store);
      assert.equal(await second.store.count(), 300);
      await second.store.delete('PRM-000001');
      await fixedLocationApiFromEnv(env, second.store);
      assert.equal(await second.store.count(), 299, 'unchanged file: the API change is kept');
      const s = fixedLocationSettingsFromEnv(env, second.store);
      assert.equal(s.mode, 'csv');
      assert.equal(s.store, second.store);
      assert.equal(s.callbackSecret, api.callbackSecret);
      await second.close();
      assert.throws(() => loadEnv({ DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
