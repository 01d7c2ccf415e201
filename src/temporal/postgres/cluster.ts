// A throwaway PostgreSQL cluster from the machine's own PostgreSQL binaries: POSTGRES_BIN_DIR;
// /usr/lib/postgresql/15/bin (Debian's `postgresql`), another version there, or initdb on PATH;
// `apt-get install postgresql` when running as root.
// initdb and pg_ctl refuse to run as root: as root they run as the `postgres` user, in a folder it owns.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../dev-server.js';
import { defaultSay, run, tail, type Say } from './run.js';

export const POSTGRES_VERSION = '15';

/** The folder holding initdb, pg_ctl and postgres, or null. */
export function findPostgresBinDir(): string | null {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  if (process.env.POSTGRES_BIN_DIR) return has(process.env.POSTGRES_BIN_DIR) ? process.env.POSTGRES_BIN_DIR : null;
  const debian = '/usr/lib/postgresql';
  const candidates = [join(debian, POSTGRES_VERSION, 'bin')];
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  return candidates.find(has) ?? null;
}

/**
 * PostgreSQL cannot be had here: its binaries are missing and cannot be installed (not root, no apt-get, apt failed).
 */
export class PostgresUnavailableError extends Error {
  override name = 'PostgresUnavailableError';
}

/** Find PostgreSQL's binaries, installing Debian's `postgresql` with apt-get when they are missing and we are root. */
export async function ensurePostgresBinaries(say: Say = defaultSay): Promise<string> {
  const found = findPostgresBinDir();
  if (found) return found;
  // A wrong override is a mistake to fix, not a reason to skip.
  if (process.env.POSTGRES_BIN_DIR)
    throw new Error(`POSTGRES_BIN_DIR=${process.env.POSTGRES_BIN_DIR} has no initdb and pg_ctl`);
  const missing = `no PostgreSQL binaries (/usr/lib/postgresql/${POSTGRES_VERSION}/bin/initdb, initdb on PATH)`;
  if (process.platform !== 'linux' || process.getuid?.() !== 0)
    throw new PostgresUnavailableError(`${missing}, and not root to apt-get install postgresql`);
  if (spawnSync('apt-get', ['--version']).status !== 0)
    throw new PostgresUnavailableError(`${missing}, and no apt-get to install it`);
  say('Installing PostgreSQL (apt-get install postgresql)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const tick = (s: number) => say(`still installing (${s} s)...`);
  const update = await run('apt-get', ['update', '-qq'], { env, tick });
  if (update.code !== 0)
    throw new PostgresUnavailableError(
      `${missing}; apt-get update failed (exit ${update.code}):\n${tail(update.output)}`,
    );
  const install = await run('apt-get', ['install', '-y', '-qq', 'postgresql'], { env, tick });
  if (install.code !== 0)
    throw new PostgresUnavailableError(
      `${missing}; apt-get install postgresql failed (exit ${install.code}):\n${tail(install.output)}`,
    );
  const now = findPostgresBinDir();
  if (!now) throw new PostgresUnavailableError(`${missing}, even after apt-get install postgresql`);
  say(`PostgreSQL installed: ${now}`);
  return now;
}

export interface PostgresCluster {
  host: string;
  port: number;
  /** A superuser, as compose's POSTGRES_USER is. */
  user: string;
  password?: string;
  /** postgresql://user:password@host:port/postgres */
  url: string;
  dir: string;
  /** Run SQL with psql against `database`; rows as lines, columns separated by |. */
  query(database: string, sql: string): string;
  /** Stop the cluster (fast shutdown) and remove its folder. */
  stop(): Promise<void>;
}

export interface PostgresClusterOptions {
  /** A new or empty folder for the cluster (default: a new temporary folder); stop() removes it. */
  dir?: string;
  port?: number;
  binDir?: string;
  user?: string;
  say?: Say;
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const u = id('-u');
  const g = id('-g');
  if (u.status !== 0 || g.status !== 0)
    throw new PostgresUnavailableError('running as root, and there is no `postgres` user to run initdb and pg_ctl as');
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Start a throwaway PostgreSQL cluster listening on 127.0.0.1 only, with password (SCRAM) authentication over TCP. */
export async function startPostgresCluster(opts: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const say = opts.say ?? defaultSay;
  const binDir = opts.binDir ?? (await ensurePostgresBinaries(say));
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUser() : null;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'aura-postgres-'));
  mkdirSync(dir, { recursive: true });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const own = (p: string) => owner && chownSync(p, owner.uid, owner.gid);
  // Commands as the cluster's owner: `runuser -u postgres --` when we are root.
  const pg = (bin: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(binDir, bin), ...args]] : [join(binDir, bin), args];
  const host = '127.0.0.1';
  const user = opts.user ?? 'temporal';
  const password = randomBytes(18).toString('base64url');
  const data = join(dir, 'data');
  const log = join(dir, 'postgres.log');
  try {
    own(dir);
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    own(pwfile);
    const init = await run(
      ...pg('initdb', [
        '-D',
        data,
        '-U',
        user,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ]),
      { cwd: dir },
    );
    rmSync(pwfile, { force: true });
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${tail(init.output)}`);
    const port = opts.port ?? (await freePort(host));
    // TCP on loopback only; the Unix socket in the cluster's own folder (not the system's /var/run/postgresql).
    // Temporal's four services each keep a pool (maxConns 20 + 2): more than the default 100 with the tools.
    appendFileSync(
      join(data, 'postgresql.conf'),
      `\n# aura-callouts throwaway cluster\nlisten_addresses = '${host}'\nport = ` +
        `${port}\nunix_socket_directories = '${dir}'\nmax_connections = 200\n`,
    );
    const start = await run(...pg('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', 'start']), { cwd: dir });
    if (start.code !== 0) {
      const serverLog = existsSync(log) ? readFileSync(log, 'utf8') : '';
      throw new Error(`pg_ctl start failed (exit ${start.code}):\n${tail(start.output)}\n${tail(serverLog)}`);
    }
    const stopNow = (mode: 'fast' | 'immediate') =>
      spawnSync(...pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']), { cwd: dir, encoding: 'utf8' });
    // If this process ends without stop(), the cluster must not outlive it.
    const onExit = () => {
      stopNow('immediate');
      remove();
    };
    process.once('exit', onExit);
    let stopped = false;
    return {
      host,
      port,
      user,
      password,
      url: `postgresql://${user}:${encodeURIComponent(password)}@${host}:${port}/postgres`,
      dir,
      query: (database, sql) => {
        const r = spawnSync(
          join(binDir, 'psql'),
          ['-h', host, '-p', String(port), '-U', user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql],
          {
            encoding: 'utf8',
            env: { ...process.env, PGPASSWORD: password },
          },
        );
        if (r.status !== 0) throw new Error(`psql failed: ${r.stderr || r.error?.message}`);
        return r.stdout.trim();
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', onExit);
        const r = stopNow('fast');
        if (r.status !== 0) stopNow('immediate');
        remove();
      },
    };
  } catch (err) {
    spawnSync(...pg('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']), { cwd: dir });
    remove();
    throw err;
  }
}
