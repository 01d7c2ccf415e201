// Finding (or building) the Temporal CLI and running its dev server with the Web UI and a SQLite file, so that
// state survives restarts. Used by `npm run dev`, `npm test`, the chaos suite and benchmarks.
//
// Where the CLI comes from, in order: TEMPORAL_CLI_PATH; `temporal` on PATH; the project cache (.temporal/bin);
// the per-user cache (~/.cache/aura-callouts, so a fresh clone reuses an earlier build); `go install` of
// github.com/temporalio/cli v1.5.1 from the Go module proxy (later tags carry a `replace` directive that
// `go install` refuses); the official download, for users with internet.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_ATTRIBUTES } from './search-attributes.js';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

type Say = (msg: string) => void;

function isExecutable(p: string): boolean {
  if (!existsSync(p)) return false;
  const r = spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0;
}

export function userCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'aura-callouts', `temporal-${TEMPORAL_CLI_VERSION}`);
}

export function projectCacheDir(): string {
  return join(PROJECT_ROOT, '.temporal', 'bin');
}

function onPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, BIN);
    if (existsSync(p)) return p;
  }
  return null;
}

function cacheInProject(src: string): string {
  const dest = join(projectCacheDir(), BIN);
  if (src !== dest) {
    mkdirSync(projectCacheDir(), { recursive: true });
    copyFileSync(src, dest);
    chmodSync(dest, 0o755);
  }
  return dest;
}

function goInstall(say: Say): string | null {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) {
    say('Go is not installed: cannot build the Temporal CLI from the Go module proxy.');
    return null;
  }
  const gobin = userCacheDir();
  mkdirSync(gobin, { recursive: true });
  say(
    `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (first time only; this takes a few minutes)...`,
  );
  const started = Date.now();
  const r = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: { ...process.env, GOBIN: gobin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const built = join(gobin, BIN);
  if (r.status !== 0 || !existsSync(built)) {
    say(`go install failed (exit ${r.status}).`);
    return null;
  }
  say(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s: ${built}`);
  return built;
}

async function officialDownload(say: Say): Promise<string | null> {
  const platform = process.platform === 'darwin' ? 'darwin' : process.platform === 'win32' ? 'windows' : 'linux';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const url = `https://temporal.download/cli/archive/latest?platform=${platform}&arch=${arch}`;
  say(`Trying the official Temporal CLI download (${url})...`);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const dir = mkdtempSync(join(tmpdir(), 'temporal-cli-'));
    const archive = join(dir, 'cli.tar.gz');
    writeFileSync(archive, Buffer.from(await res.arrayBuffer()));
    const x = spawnSync('tar', ['-xzf', archive, '-C', dir]);
    if (x.status !== 0) throw new Error('could not unpack the archive');
    const found = readdirSync(dir).find((f) => f === BIN);
    if (!found) throw new Error('archive has no temporal binary');
    const dest = join(userCacheDir(), BIN);
    mkdirSync(userCacheDir(), { recursive: true });
    copyFileSync(join(dir, found), dest);
    chmodSync(dest, 0o755);
    rmSync(dir, { recursive: true, force: true });
    return dest;
  } catch (err) {
    say(`Download failed: ${(err as Error).message}`);
    return null;
  }
}

/** Find the Temporal CLI, building or downloading it when it is nowhere. */
export async function ensureTemporalCli(say: Say = (m) => console.error(`[temporal] ${m}`)): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    say(`TEMPORAL_CLI_PATH=${fromEnv} is not a working temporal binary; looking elsewhere.`);
  }
  const path = onPath();
  if (path && isExecutable(path)) return path;
  const project = join(projectCacheDir(), BIN);
  if (isExecutable(project)) return project;
  const user = join(userCacheDir(), BIN);
  if (isExecutable(user)) return cacheInProject(user);
  const built = goInstall(say) ?? (await officialDownload(say));
  if (built && isExecutable(built)) return cacheInProject(built);
  throw new Error(
    'No Temporal CLI: set TEMPORAL_CLI_PATH, install Go (to build it from the module proxy), or allow the ' +
      'official download.',
  );
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface DevServerOptions {
  cliPath: string;
  dbFilename: string;
  host?: string;
  port?: number;
  /** null for headless (no Web UI). */
  uiPort?: number | null;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where the server's own output goes (default: discarded). */
  logFile?: string;
  dynamicConfig?: Record<string, string | number | boolean>;
  /** The remote codec endpoint the Web UI uses to show encrypted payloads (the API's /codec). */
  uiCodecEndpoint?: string;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | null;
  port: number;
  uiPort: number | null;
  process: ChildProcess;
  /** Stop gracefully (SIGTERM), or kill at once with SIGKILL for crash tests. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Wait until `host:port` accepts TCP connections, failing early if `child` exits. */
export async function waitForPort(host: string, port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const { Socket } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Temporal server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
      s.connect(port, host);
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the Temporal server did not open ${host}:${port} within ${timeoutMs} ms`);
}

/** The gRPC port opens before the namespace is served; wait for the namespace (and its search attributes). */
export async function waitForNamespace(
  address: string,
  namespace: string,
  child: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const { Connection } = await import('@temporalio/client');
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Temporal server exited with code ${child.exitCode}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        const sa = await conn.operatorService.listSearchAttributes({ namespace });
        const names = Object.keys(sa.customAttributes ?? {});
        if (Object.keys(SEARCH_ATTRIBUTES).every((n) => names.includes(n))) return;
        lastErr = new Error(`search attributes not yet registered (have: ${names.join(', ')})`);
      } finally {
        await conn.close();
      }
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`namespace ${namespace} not ready at ${address}: ${(lastErr as Error)?.message}`);
}

/**
 * SQLite settings of every dev server the project starts on a file (`npm run dev`, the chaos run, benchmarks): WAL
 * with synchronous=NORMAL is durable across a crash of the server process (a committed transaction is in the WAL
 * file, which the OS holds); only a power loss or an OS crash can cost the last transactions, which a development
 * server can afford. Measured here: 336–393 raw signalWithStart/s against 140–161/s with SQLite's defaults.
 */
export const DEV_SERVER_SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=NORMAL'] as const;

/** Dynamic config of every dev server the project starts: the priority-enabled matcher (src/workflows/priority.ts). */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, unknown> = { 'matching.useNewMatcher': true };

/** Start `temporal server start-dev` with a SQLite file and this project's search attributes registered. */
export async function startDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePort(host));
  const uiPort = opts.uiPort === null ? null : (opts.uiPort ?? (await freePort(host)));
  mkdirSync(dirname(opts.dbFilename), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--db-filename',
    opts.dbFilename,
    '--namespace',
    opts.namespace ?? 'default',
    '--log-level',
    opts.logLevel ?? 'warn',
  ];
  for (const pragma of DEV_SERVER_SQLITE_PRAGMAS) args.push('--sqlite-pragma', pragma);
  if (uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (uiPort !== null && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  for (const [k, v] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...opts.dynamicConfig }))
    args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);

  const { openSync } = await import('node:fs');
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', out, out] });
  await waitForPort(host, port, child, 60_000);
  await waitForNamespace(`${host}:${port}`, opts.namespace ?? 'default', child, 60_000);
  return {
    address: `${host}:${port}`,
    uiUrl: uiPort === null ? null : `http://${host}:${uiPort}`,
    port,
    uiPort,
    process: child,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
        child.kill(signal);
      }),
  };
}
