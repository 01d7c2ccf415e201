// The adapter's database: DATABASE_URL when set (production: a PostgreSQL server), else the embedded server on
// DATA_DIR (src/db/embedded-postgres.ts). Every process (API, worker, both) opens its own pool; migrations run at
// start under an advisory lock, so processes starting together apply each version once.
import pg from 'pg';
import { openEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** What the repository needs of a pool (a pg.Pool, or a stand-in that opens one on first use). */
export interface Database {
  query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  connect(): Promise<pg.PoolClient>;
}

/** Run fn in one transaction on one connection: committed when it resolves, rolled back when it throws. */
export async function transaction<T>(db: Database, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await db.connect();
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Key of the session advisory lock that migrations hold (any fixed bigint; this one spells "auracall"). */
const MIGRATION_LOCK = 0x6175726163616c6cn;

/** Apply the migrations this database lacks, one transaction each, holding the migration lock throughout. */
export async function migrate(db: Database, migrations: Migration[] = MIGRATIONS): Promise<number[]> {
  const c = await db.connect();
  const applied: number[] = [];
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK.toString()]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    const newest = Math.max(0, ...done);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    // An older release against a newer schema: refuse rather than write what the newer code does not expect.
    if (newest > known)
      throw new Error(
        `the database's schema is at version ${newest}, newer than this release knows (${known}): run a newer release`,
      );
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await c.query('BEGIN');
      try {
        await c.query(m.sql);
        await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK.toString()]).catch(() => undefined);
    c.release();
  }
  return applied;
}

export interface OpenedDatabase {
  pool: pg.Pool;
  /** The server in use: DATABASE_URL, or the embedded server's URL (hand it to processes started from this one). */
  url: string;
  /** The embedded server, when DATABASE_URL was not set. */
  embedded: EmbeddedPostgres | null;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** DATABASE_URL; absent: the embedded server on dataDir. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Connections in this process's pool. */
  max?: number;
  applicationName?: string;
  log?: (msg: string) => void;
}

export function createPool(url: string, opts: { max?: number; applicationName?: string } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'aura-callouts',
    idleTimeoutMillis: 30_000,
  });
  // An idle connection the server closed (a restart, a failover) is dropped and replaced at the next query; without
  // a listener the error would take the process down.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Create the database `url` names when the server has no such database (compose's postgresql service holds
 * Temporal's databases, and the adapter's is made by the first start), through the server's `postgres` database.
 * Needs the CREATEDB right only then.
 */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: url });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // invalid_catalog_name: no such database
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  const c = new pg.Client({ connectionString: maintenance.toString() });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
  } catch (err) {
    // Made meanwhile by another process starting at the same time.
    if (!['42P04', '23505'].includes((err as { code?: string }).code ?? '')) throw err;
  } finally {
    await c.end().catch(() => undefined);
  }
  return true;
}

/** Open the adapter's database (starting or reusing the embedded server without DATABASE_URL) and migrate it. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<OpenedDatabase> {
  const embedded = opts.databaseUrl
    ? null
    : await openEmbeddedPostgres({ dataDir: opts.dataDir, ...(opts.log ? { log: opts.log } : {}) });
  const url = opts.databaseUrl ?? embedded!.url;
  if (opts.databaseUrl && (await ensureDatabaseExists(url)))
    opts.log?.(`database ${new URL(url).pathname.slice(1)} created`);
  const pool = createPool(url, opts);
  try {
    const applied = await migrate(pool);
    if (applied.length) opts.log?.(`database migrated to version ${applied.at(-1)}`);
  } catch (err) {
    await pool.end().catch(() => undefined);
    await embedded?.release();
    throw err;
  }
  let closed: Promise<void> | null = null;
  return {
    pool,
    url,
    embedded,
    close: () =>
      (closed ??= (async () => {
        await pool.end().catch(() => undefined);
        await embedded?.release();
      })()),
  };
}
