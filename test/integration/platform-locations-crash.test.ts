// Crash safety of the platform-location store: the real API process (src/api/main.ts) is killed with SIGKILL in the
// middle of a burst of PUTs, again and again, and restarted; every PUT it acknowledged (200) must be there, with the
// body it acknowledged, after the restarts. The rounds:
//   1. SIGKILL during the burst.
//   2. The same, with the API's files capped (RLIMIT_FSIZE): a write that crosses the cap is cut short by the kernel,
//      as a full disk cuts an append short, which is how an append-only log gets a torn last line.
//   3. SIGKILL during the burst, of the API and of the database server it writes to (the embedded server, which
//      the test owns; a real server's own crash recovery is PostgreSQL's).
// Against the embedded default and a real PostgreSQL server (skipped, saying why, where the machine has none).
// Then one more acknowledged PUT, a SIGKILL, and the same check again: a record appended after a torn line must
// not be lost either.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { openEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { realPostgres } from '../helpers/database.js';
import { eventually, startTemporal } from '../helpers/stack.js';

let env: TestWorkflowEnvironment;
let dbDir: string;
let db: EmbeddedPostgres;
before(async () => {
  env = await startTemporal();
  dbDir = mkdtempSync(join(tmpdir(), 'crash-db-'));
  db = await openEmbeddedPostgres({ dataDir: dbDir });
});
const children = new Set<ChildProcess>();
after(async () => {
  // A failed assertion leaves an API running: it would keep this process alive.
  for (const c of children) await kill(c);
  await db?.release();
  await env?.teardown();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

const haveLimit = spawnSync('prlimit', ['--version']).status === 0;

interface Api {
  url: string;
  child: ChildProcess;
}

/** The API alone, as `npm run api` runs it; with `fsizeBytes`, every file it writes is capped at that size. */
async function startApi(dataDir: string, databaseUrl: string, fsizeBytes?: number): Promise<Api> {
  const node = [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'src/api/main.ts')];
  const argv = fsizeBytes ? ['prlimit', `--fsize=${fsizeBytes}`, '--', ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      // The API's own log says where it listens (API_PORT 0: the kernel picks a free port as the API binds it; a port
      // picked beforehand can be taken meanwhile by an outgoing connection, the API's own to PostgreSQL among them).
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: env.address,
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      PLATFORM_LOCATIONS_FILE: '',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let listening: (url: string) => void;
  const running = new Promise<string>((r) => (listening = r));
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8000);
    const m = /"apiUrl":"(http:[^"]+)"/.exec(output);
    if (m) listening(m[1]!);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.add(child);
  child.once('exit', () => children.delete(child));
  // An API that exits while starting fails the test at once, with what it printed.
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`the API exited while starting (${code ?? signal}):\n${output}`)),
    ),
  );
  exited.catch(() => undefined);
  const timedOut = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`the API did not say where it listens within 60 s:\n${output}`)), 60_000).unref(),
  );
  timedOut.catch(() => undefined);
  const url = await Promise.race([exited, running, timedOut]);
  await Promise.race([exited, eventually(async () => (await fetch(`${url}/healthz`)).ok, 60_000, 100)]);
  return { url, child };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

// Large bodies (≈14 KB a record as UTF-8), so that a record spans several pages of a file.
const body = (id: string, v: number) => ({
  name: `Site ${id} v${v}`,
  address: `${v} ${'Main Road '.repeat(40)}`.slice(0, 500),
  latitude: -26 - v / 1e4,
  longitude: 28 + v / 1e4,
  contactNotes: `${id} `.padEnd(2000, '€'),
  gateInstructions: `Gate ${v} `.padEnd(2000, 'é'),
});

/**
 * PUTs from `lanes` clients at once until `kill` resolves (it is called once `killAfter` PUTs are acknowledged, or
 * after 3 s); returns what was acknowledged. Failed or unanswered PUTs are not acknowledged: either outcome is fine.
 */
async function burst(
  api: Api,
  prefix: string,
  acked: Map<string, number>,
  killAfter: number,
  kill: () => Promise<void>,
): Promise<void> {
  let n = 0;
  let ok = 0;
  let killing: Promise<void> | null = null;
  const started = Date.now();
  const maybeKill = () => {
    if (!killing && (ok >= killAfter || Date.now() - started > 3_000)) killing = kill();
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (!killing) {
        const id = `${prefix}-${n++}`;
        const v = n;
        try {
          const r = await fetch(`${api.url}/v1/platform-locations/${id}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body(id, v)),
          });
          await r.text();
          if (r.status === 200) {
            acked.set(id, v);
            ok++;
          }
        } catch {
          /* killed mid-request */
        }
        maybeKill();
      }
    }),
  );
  await killing;
}

async function missingOf(api: Api, acked: Map<string, number>): Promise<string[]> {
  const missing: string[] = [];
  const ids = [...acked.keys()];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = ids.shift(); id !== undefined; id = ids.shift()) {
        const r = await fetch(`${api.url}/v1/platform-locations/${id}`);
        const b = (await r.json()) as Record<string, unknown>;
        const want = body(id, acked.get(id)!);
        if (
          r.status !== 200 ||
          b.name !== want.name ||
          b.contactNotes !== want.contactNotes ||
          b.gateInstructions !== want.gateInstructions
        )
          missing.push(id);
      }
    }),
  );
  return missing.sort();
}

/** The largest file under dir (the cap must leave room for what is already there). */
function largestFile(dir: string): number {
  let max = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) max = Math.max(max, statSync(join(e.parentPath ?? dir, e.name)).size);
  }
  return max;
}

/**
 * The rounds, against the database at `databaseUrl`; with `database` (a server the test owns), round 3 SIGKILLs
 * the server too, and it is started again before the check.
 */
async function crashRounds(databaseUrl: string, database?: { kill(): void; restart(): Promise<void> }): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'crash-data-'));
  const acked = new Map<string, number>();
  try {
    let api = await startApi(dataDir, databaseUrl);
    await burst(api, 'R1', acked, 40, () => kill(api.child));

    api = await startApi(dataDir, databaseUrl, largestFile(dataDir) + 256 * 1024);
    await burst(api, 'R2', acked, 40, () => kill(api.child));

    api = await startApi(dataDir, databaseUrl);
    await burst(api, 'R3', acked, 40, async () => {
      database?.kill();
      await kill(api.child);
    });
    await database?.restart();

    api = await startApi(dataDir, databaseUrl);
    assert.deepEqual(await missingOf(api, acked), [], `of ${acked.size} acknowledged PUTs`);
    const last = await fetch(`${api.url}/v1/platform-locations/LAST`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body('LAST', 1)),
    });
    assert.equal(last.status, 200);
    acked.set('LAST', 1);
    await kill(api.child);

    api = await startApi(dataDir, databaseUrl);
    assert.deepEqual(await missingOf(api, acked), [], `of ${acked.size} acknowledged PUTs, after one more restart`);
    assert.ok(acked.size > 100, `${acked.size} PUTs acknowledged`);
    await kill(api.child);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

const real = await realPostgres();

describe(
  'platform locations survive SIGKILL during a burst of PUTs',
  { skip: !haveLimit && 'prlimit (util-linux) is not installed' },
  () => {
    it('every acknowledged PUT is there after the restarts (embedded PostgreSQL, its server SIGKILLed too)', async () => {
      const databaseUrl = await createDatabase(db.adminUrl, 'crash_embedded');
      await crashRounds(databaseUrl, {
        kill: () => process.kill(db.pid, 'SIGKILL'),
        // The test owns the server, as `npm run dev` and the test helpers do: it starts it again, on the same port.
        restart: async () => {
          await db.release().catch(() => undefined);
          db = await openEmbeddedPostgres({ dataDir: dbDir });
          assert.equal(new URL(db.url).port, new URL(databaseUrl).port, 'the server comes back on its port');
        },
      });
    });

    it(
      'every acknowledged PUT is there after the restarts (a real PostgreSQL server)',
      { skip: 'unavailable' in real && real.unavailable },
      async () => {
        if (!('server' in real)) return;
        await crashRounds(await createDatabase(real.server.adminUrl, 'crash_real'));
      },
    );
  },
);
