// Databases for tests: one PostgreSQL server per test process, a database per test stack (created on first use,
// dropped at close), migrated as the service migrates at start.
//   embedded (default)   the embedded server (src/db/embedded-postgres.ts), its cluster in one folder per checkout
//                        under the OS temp dir: the next test file reuses it or starts it again (~0.2 s; initdb
//                        only the first time); the last test process to leave stops it
//   TEST_DATABASE_URL    a connection string to a real server's maintenance database, with the right to create
//                        databases: every stack's database is made there instead
//   real (on demand)     realPostgres(): a throwaway cluster of the machine's PostgreSQL (Debian's package), from
//                        src/temporal/postgres/cluster.ts (no temporal-server needed: scripts/test.ts builds that
//                        only for test files that import src/temporal/postgres-server.ts)
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPool, migrate, type Database } from '../../src/db/database.js';
import { openEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { FixedLocationStore } from '../../src/fixed-locations/store.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import {
  PostgresUnavailableError,
  startPostgresCluster,
  type PostgresCluster,
} from '../../src/temporal/postgres/cluster.js';

export interface TestServer {
  /** Connection string of a maintenance database on the server (CREATE DATABASE goes through it). */
  adminUrl: string;
  kind: 'embedded' | 'TEST_DATABASE_URL' | 'real';
}

let embedded: Promise<TestServer> | null = null;

/** The folder of this checkout's embedded test cluster. */
export const EMBEDDED_TEST_DIR = join(
  tmpdir(),
  `aura-callouts-test-pg-${createHash('sha1').update(PROJECT_ROOT).digest('hex').slice(0, 10)}`,
);

/** The server stacks get their databases on (started or reused on first call). */
export function testServer(): Promise<TestServer> {
  if (process.env.TEST_DATABASE_URL)
    return Promise.resolve({ adminUrl: process.env.TEST_DATABASE_URL, kind: 'TEST_DATABASE_URL' });
  embedded ??= (async () => {
    const s = await openEmbeddedPostgres({ dataDir: EMBEDDED_TEST_DIR });
    const server: TestServer = { adminUrl: s.adminUrl, kind: 'embedded' };
    await dropLeftovers(server);
    return server;
  })();
  return embedded;
}

let counter = 0;
const PREFIX = 'test_';

/** Databases of test processes that died before dropping them. */
async function dropLeftovers(server: TestServer): Promise<void> {
  await withAdmin(server, async (c) => {
    const r = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${PREFIX}%'`);
    for (const { datname } of r.rows) {
      const pid = Number(datname.split('_')[1]);
      let alive: boolean;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (!alive)
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(datname)} WITH (FORCE)`).catch(() => undefined);
    }
  });
}

async function withAdmin<T>(server: TestServer, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: server.adminUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on `server` (default: testServer()). */
export async function createTestDatabase(server?: TestServer): Promise<TestDatabase> {
  const s = server ?? (await testServer());
  const name = `${PREFIX}${process.pid}_${++counter}_${randomBytes(3).toString('hex')}`;
  await withAdmin(s, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  const u = new URL(s.adminUrl);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    drop: () =>
      withAdmin(s, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** A pool on its own migrated database, opened on first query (a stack that never reaches the adapter costs nothing). */
export class LazyTestDatabase implements Database {
  private opened: Promise<{ pool: pg.Pool; db: TestDatabase }> | null = null;

  constructor(private readonly server?: () => Promise<TestServer>) {}

  private open() {
    this.opened ??= (async () => {
      const db = await createTestDatabase(this.server ? await this.server() : undefined);
      const pool = createPool(db.url, { max: 10, applicationName: 'aura-callouts-test' });
      await migrate(pool);
      return { pool, db };
    })();
    return this.opened;
  }

  /** The database's connection string (it is created if it was not yet). */
  async url(): Promise<string> {
    return (await this.open()).db.url;
  }

  async query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return (await this.open()).pool.query<R>(text, values);
  }

  async connect(): Promise<pg.PoolClient> {
    return (await this.open()).pool.connect();
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    const opened = await this.opened.catch(() => null);
    await opened?.pool.end().catch(() => undefined);
    await opened?.db.drop().catch(() => undefined);
  }
}

/** A store on a fresh database of the test server. */
export function testStore(server?: () => Promise<TestServer>): {
  store: FixedLocationStore;
  database: LazyTestDatabase;
  close(): Promise<void>;
} {
  const database = new LazyTestDatabase(server);
  return { store: new FixedLocationStore(database), database, close: () => database.close() };
}

let real: Promise<{ server: TestServer; cluster: PostgresCluster } | { unavailable: string }> | null = null;

/**
 * A real PostgreSQL server (the machine's own, in a throwaway cluster), for the tests that run against both; stopped
 * when this process exits. `unavailable` says why there is none (no binaries, and no root to install them).
 */
export function realPostgres(): Promise<{ server: TestServer; cluster: PostgresCluster } | { unavailable: string }> {
  real ??= startPostgresCluster({ say: () => undefined }).then(
    (cluster) => ({ server: { adminUrl: cluster.url, kind: 'real' as const }, cluster }),
    (err: unknown) => {
      if (err instanceof PostgresUnavailableError) return { unavailable: err.message };
      throw err;
    },
  );
  return real;
}
