// The embedded cluster itself: initdb (once per DATA_DIR, with generated superuser credentials kept in
// DATA_DIR/postgres.json), starting the server in its own process group, and creating the adapter's database.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../temporal/dev-server.js';
import type { Binaries, RunAs } from './binaries.js';
import { sleep } from './sharing.js';

const SUPERUSER = 'postgres';

export async function canConnect(url: string): Promise<boolean> {
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

export interface Credentials {
  user: string;
  password: string;
  /** The port of the last start. */
  port?: number;
}

export function urlOf(c: Credentials, port: number, database: string): string {
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/${database}`;
}

export async function initdb(
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

export async function startServer(
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

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
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
