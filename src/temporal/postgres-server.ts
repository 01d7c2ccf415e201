// Temporal on PostgreSQL as production runs it (docker-compose.yml), here without containers: a throwaway
// PostgreSQL cluster from the machine's own PostgreSQL binaries, Temporal's databases created and migrated by
// deploy/temporal/setup-schema.sh (compose's `temporal-schema` step) with temporal-sql-tool, a temporal-server
// v1.29.1 (compose's pinned image) on a postgres12 configuration, and the namespace and search attributes
// registered by deploy/temporal/init.sh (compose's `temporal-init` step) with the Temporal CLI.
//
// Where the server binaries come from, in order: TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH; the per-user cache
// (~/.cache/aura-callouts/temporal-server-v1.29.1/); `go install` from the Go module proxy into that cache (first
// time only: about 3 minutes on 2 quiet cores, 9-10 minutes on 2 cores shared with other builds).
// PostgreSQL: POSTGRES_BIN_DIR; /usr/lib/postgresql/15/bin (Debian's `postgresql`), another version there, or initdb
// on PATH; `apt-get install postgresql` when running as root.
// initdb and pg_ctl refuse to run as root: as root they run as the `postgres` user, in a folder it owns.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ensureTemporalCli, freePort, PROJECT_ROOT, waitForNamespace, waitForPort } from './dev-server.js';

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const POSTGRES_VERSION = '15';

type Say = (msg: string) => void;
const defaultSay: Say = (m) => console.error(`[temporal-postgres] ${m}`);

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** How long `go install` took, when this call built them. */
  builtInMs?: number;
}

export function serverCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'aura-callouts', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function works(p: string): boolean {
  if (!existsSync(p)) return false;
  return spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 20_000 }).status === 0;
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Run a command, keeping its output (stdout and stderr interleaved); `tick` is called every 30 s while it runs. */
function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; tick?: (elapsedS: number) => void; signal?: AbortSignal } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let output = '';
    const keep = (b: Buffer) => {
      output += b.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = opts.tick ? setInterval(() => opts.tick!(Math.round((Date.now() - started) / 1000)), 30_000) : null;
    child.on('error', (err) => {
      if (timer) clearInterval(timer);
      resolve({ code: null, output: `${output}${err.message}` });
    });
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      resolve({ code, output });
    });
  });
}

const tail = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');

async function goInstallServer(say: Say): Promise<TemporalServerBinaries | null> {
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0) {
    say('Go is not installed: cannot build temporal-server from the Go module proxy.');
    return null;
  }
  const cache = serverCacheDir();
  mkdirSync(dirname(cache), { recursive: true });
  // Built into a fresh folder beside the cache, then renamed into it: a concurrent run never sees half a binary.
  const gobin = mkdtempSync(join(dirname(cache), `.build-temporal-server-${TEMPORAL_SERVER_VERSION}-`));
  say(
    `Building temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION} with go install (first time only; about 3 minutes on 2 quiet cores, much longer on a busy machine)...`,
  );
  const started = Date.now();
  const r = await run(
    'go',
    [
      'install',
      `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
      `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
    ],
    {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
      tick: (s) => say(`still building (${s} s)...`),
    },
  );
  try {
    if (r.code !== 0 || !existsSync(join(gobin, 'server')) || !existsSync(join(gobin, 'sql'))) {
      say(`go install failed (exit ${r.code}):\n${tail(r.output)}`);
      return null;
    }
    mkdirSync(cache, { recursive: true });
    renameSync(join(gobin, 'sql'), join(cache, 'temporal-sql-tool'));
    renameSync(join(gobin, 'server'), join(cache, 'temporal-server'));
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  const builtInMs = Date.now() - started;
  say(`Built temporal-server and temporal-sql-tool in ${Math.round(builtInMs / 1000)} s: ${cache}`);
  return { server: join(cache, 'temporal-server'), sqlTool: join(cache, 'temporal-sql-tool'), builtInMs };
}

/** Find temporal-server and temporal-sql-tool, building them with `go install` when they are nowhere. */
export async function ensureTemporalServerBinaries(say: Say = defaultSay): Promise<TemporalServerBinaries> {
  const cache = serverCacheDir();
  const pick = (envName: 'TEMPORAL_SERVER_PATH' | 'TEMPORAL_SQL_TOOL_PATH', cached: string): string | null => {
    const fromEnv = process.env[envName];
    if (fromEnv) {
      if (works(fromEnv)) return fromEnv;
      say(`${envName}=${fromEnv} is not a working binary; looking elsewhere.`);
    }
    return works(cached) ? cached : null;
  };
  const server = pick('TEMPORAL_SERVER_PATH', join(cache, 'temporal-server'));
  const sqlTool = pick('TEMPORAL_SQL_TOOL_PATH', join(cache, 'temporal-sql-tool'));
  if (server && sqlTool) return { server, sqlTool };
  const built = await goInstallServer(say);
  if (built && works(built.server) && works(built.sqlTool))
    return { ...built, server: server ?? built.server, sqlTool: sqlTool ?? built.sqlTool };
  throw new Error(
    'No temporal-server/temporal-sql-tool: set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH, or install Go to build them from the module proxy.',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

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

/** PostgreSQL cannot be had here: its binaries are missing and cannot be installed (not root, no apt-get, apt failed). */
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
      `\n# aura-callouts throwaway cluster\nlisten_addresses = '${host}'\nport = ${port}\nunix_socket_directories = '${dir}'\nmax_connections = 200\n`,
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

// ---------------------------------------------------------------------------------------------------------------
// Temporal's schema, the server, and registration: compose's temporal-schema, temporal and temporal-init

/** Create and migrate the `temporal` and `temporal_visibility` databases with deploy/temporal/setup-schema.sh. */
export async function setupTemporalSchema(
  pg: Pick<PostgresCluster, 'host' | 'port' | 'user' | 'password'>,
  sqlTool: string,
  schemaDir?: string,
): Promise<string> {
  const r = await run('sh', [join(PROJECT_ROOT, 'deploy/temporal/setup-schema.sh')], {
    env: {
      ...process.env,
      POSTGRES_HOST: pg.host,
      POSTGRES_PORT: String(pg.port),
      POSTGRES_USER: pg.user,
      POSTGRES_PASSWORD: pg.password ?? '',
      TEMPORAL_SQL_TOOL: sqlTool,
      ...(schemaDir ? { TEMPORAL_SCHEMA_DIR: schemaDir } : {}),
    },
  });
  if (r.code !== 0) throw new Error(`deploy/temporal/setup-schema.sh failed (exit ${r.code}):\n${tail(r.output)}`);
  return r.output;
}

/**
 * Register the namespace and search attributes with deploy/temporal/init.sh and the Temporal CLI. With `server`,
 * stop waiting as soon as that process exits (init.sh would otherwise wait four minutes for its health).
 */
export async function registerNamespace(
  address: string,
  namespace: string,
  cliPath: string,
  binDir: string,
  server?: ChildProcess,
): Promise<string> {
  // init.sh calls `temporal`: a folder holding just that name, first on PATH.
  mkdirSync(binDir, { recursive: true });
  if (!existsSync(join(binDir, 'temporal'))) symlinkSync(cliPath, join(binDir, 'temporal'));
  const ac = new AbortController();
  const onServerExit = () => ac.abort();
  server?.once('exit', onServerExit);
  if (server && (server.exitCode !== null || server.signalCode !== null)) ac.abort();
  const r = await run('sh', [join(PROJECT_ROOT, 'deploy/temporal/init.sh')], {
    env: {
      ...process.env,
      PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
    },
    signal: ac.signal,
  });
  server?.removeListener('exit', onServerExit);
  if (ac.signal.aborted)
    throw new Error(
      `temporal-server exited (code ${server?.exitCode}, signal ${server?.signalCode}) while deploy/temporal/init.sh waited for it:\n${tail(r.output)}`,
    );
  if (r.code !== 0) throw new Error(`deploy/temporal/init.sh failed (exit ${r.code}):\n${tail(r.output)}`);
  return r.output;
}

export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * Free ports for the server's services, all below 32768: Temporal's PostgreSQL schema keeps each member's port in a
 * SMALLINT (cluster_membership.rpc_port), so a port from the kernel's ephemeral range (32768-60999 on Linux) makes
 * the server die at start ("value is out of range for type smallint"). That range is also where other programs'
 * ports come from, so this one collides less.
 */
export async function freeServerPorts(host = '127.0.0.1'): Promise<ServerPorts> {
  const names: (keyof ServerPorts)[] = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
    'metrics',
  ];
  const ports = {} as ServerPorts;
  const taken = new Set<number>();
  for (const name of names) {
    for (let tries = 0; ; tries++) {
      if (tries > 500) throw new Error('no free port between 20000 and 32767');
      const p = 20_000 + Math.floor(Math.random() * 12_768);
      if (taken.has(p) || !(await canListen(host, p))) continue;
      taken.add(p);
      ports[name] = p;
      break;
    }
  }
  return ports;
}

/**
 * The server's configuration: the module's config/development-postgres12.yaml with this run's addresses and ports,
 * the PostgreSQL cluster's user and password, archival off, and compose's dynamic config. Written as JSON, which
 * YAML reads as it is.
 */
export function serverConfig(opts: {
  host: string;
  ports: ServerPorts;
  pg: Pick<PostgresCluster, 'host' | 'port' | 'user' | 'password'>;
  dynamicConfigFile: string;
  logLevel: string;
}) {
  const { host, ports, pg } = opts;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${pg.host}:${pg.port}`,
      connectProtocol: 'tcp',
      user: pg.user,
      password: pg.password ?? '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = (grpcPort: number, membershipPort: number, extra: Record<string, number> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: opts.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 2) },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: host },
      metrics: {
        prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `${host}:${ports.metrics}` },
      },
    },
    services: {
      frontend: rpc(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      matching: rpc(ports.matching, ports.matchingMembership),
      history: rpc(ports.history, ports.historyMembership),
      worker: rpc(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${host}:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    dynamicConfigClient: { filepath: opts.dynamicConfigFile, pollInterval: '10s' },
  };
}

export interface PostgresTemporalOptions {
  say?: Say;
  namespace?: string;
  /** Default: deploy/temporal/dynamicconfig.yaml, compose's. */
  dynamicConfigFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Reuse a running cluster (not stopped by stop()). */
  postgres?: PostgresCluster;
}

export interface PostgresTemporalTimings {
  /** Finding (or building) temporal-server, temporal-sql-tool and the CLI. */
  binariesMs: number;
  builtInMs?: number;
  postgresMs: number;
  schemaMs: number;
  /** From spawning temporal-server to its frontend answering the health check SERVING. */
  serverMs: number;
  /** init.sh, and until the namespace serves the search attributes. */
  registerMs: number;
}

export interface RunningPostgresTemporal {
  address: string;
  namespace: string;
  postgres: PostgresCluster;
  binaries: TemporalServerBinaries;
  /** Where the config and temporal.log are. */
  dir: string;
  logFile: string;
  process: ChildProcess;
  ports: ServerPorts;
  timings: PostgresTemporalTimings;
  /** Stop the server (SIGTERM, SIGKILL after 20 s), then PostgreSQL if this call started it, and remove the folders. */
  stop(): Promise<void>;
}

/** Wait until the frontend answers the gRPC health check SERVING for the workflow service, as `temporal operator cluster health` asks. */
async function waitForServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`temporal-server exited (code ${child.exitCode}, signal ${child.signalCode})`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        const r = await conn.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' });
        if (r.status === 1) return;
        last = `status ${r.status}`;
      } finally {
        await conn.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`temporal-server at ${address} not SERVING within ${timeoutMs} ms: ${last}`);
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** PostgreSQL, Temporal's schemas, temporal-server on them, and the namespace with this project's search attributes. */
export async function startPostgresTemporal(opts: PostgresTemporalOptions = {}): Promise<RunningPostgresTemporal> {
  const say = opts.say ?? defaultSay;
  const namespace = opts.namespace ?? 'default';
  const host = '127.0.0.1';
  let t = Date.now();
  const binaries = await ensureTemporalServerBinaries(say);
  const cli = await ensureTemporalCli(say);
  const binariesMs = Date.now() - t;

  t = Date.now();
  const postgres = opts.postgres ?? (await startPostgresCluster({ say }));
  const postgresMs = Date.now() - t;
  const dir = mkdtempSync(join(tmpdir(), 'aura-temporal-postgres-'));
  const logFile = join(dir, 'temporal.log');
  let child: ChildProcess | null = null;
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  const cleanUp = async () => {
    process.removeListener('exit', onExit);
    if (child) await stopChild(child, 20_000);
    if (!opts.postgres) await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const logTail = () => (existsSync(logFile) ? tail(readFileSync(logFile, 'utf8')) : '');
  try {
    t = Date.now();
    say(
      `PostgreSQL on ${postgres.host}:${postgres.port}; creating and migrating the temporal and temporal_visibility databases...`,
    );
    await setupTemporalSchema(postgres, binaries.sqlTool);
    const schemaMs = Date.now() - t;

    const ports = await freeServerPorts(host);
    mkdirSync(join(dir, 'config'));
    const config = serverConfig({
      host,
      ports,
      pg: postgres,
      dynamicConfigFile: opts.dynamicConfigFile ?? join(PROJECT_ROOT, 'deploy/temporal/dynamicconfig.yaml'),
      logLevel: opts.logLevel ?? 'warn',
    });
    writeFileSync(
      join(dir, 'config', 'development.yaml'),
      `# temporal-server ${TEMPORAL_SERVER_VERSION} on PostgreSQL (src/temporal/postgres-server.ts)\n${JSON.stringify(config, null, 2)}\n`,
      { mode: 0o600 },
    );

    t = Date.now();
    const out = openSync(logFile, 'a');
    child = spawn(
      binaries.server,
      ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
      { cwd: dir, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    const address = `${host}:${ports.frontend}`;
    await waitForPort(host, ports.frontend, child, 120_000);
    await waitForServing(address, child, 120_000);
    const serverMs = Date.now() - t;
    say(
      `temporal-server ${TEMPORAL_SERVER_VERSION} serving on ${address} after ${serverMs} ms; registering namespace ${namespace}...`,
    );

    t = Date.now();
    await registerNamespace(address, namespace, cli, join(dir, 'bin'), child);
    await waitForNamespace(address, namespace, child, 60_000);
    const registerMs = Date.now() - t;
    const running = child;
    return {
      address,
      namespace,
      postgres,
      binaries,
      dir,
      logFile,
      process: running,
      ports,
      timings: {
        binariesMs,
        ...(binaries.builtInMs !== undefined ? { builtInMs: binaries.builtInMs } : {}),
        postgresMs,
        schemaMs,
        serverMs,
        registerMs,
      },
      stop: cleanUp,
    };
  } catch (err) {
    const log = logTail();
    await cleanUp();
    throw new Error(`${(err as Error).message}${log ? `\ntemporal.log:\n${log}` : ''}`, { cause: err });
  }
}
