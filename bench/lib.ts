// What the benchmarks share: knobs, a progress clock, bounded concurrency, waiting, figures printed beside their
// goals, and a run directory holding a Temporal server (the dev server on a SQLite file, or temporal-server on a
// throwaway PostgreSQL cluster), the simulator in this process, and child processes whose logs are kept only when the
// run fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../src/simulator/app.js';
import { ensureTemporalCli, PROJECT_ROOT, startDevServer } from '../src/temporal/dev-server.js';
import type { PostgresCluster } from '../src/temporal/postgres/cluster.js';
import { startPostgresTemporal } from '../src/temporal/postgres-server.js';
import { mapLimit } from '../src/lib/map-limit.js';

export const num = (name: string, d: number) => (process.env[name] ? Number(process.env[name]) : d);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const t0 = Date.now();
export const say = (m: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`);

/** The p-th percentile (nearest rank) of xs; NaN for none. */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

/** Run fn over items with at most n in flight. */
export const pool = <T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> =>
  mapLimit(items, n, (item) => fn(item));

/** Wait until fn holds (a throw counts as not yet). */
export async function until(
  what: string,
  fn: () => Promise<boolean> | boolean,
  timeoutMs: number,
  stepMs = 300,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await Promise.resolve()
      .then(fn)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** `ok` or `MISS`: whether a figure meets its goal. */
export const verdict = (met: boolean) => (met ? 'ok' : 'MISS');

/** A figure with its goal beside it: `receiver/engine throughput 0.91 (goal ≥ 0.85) ok`. */
export function withGoal(label: string, value: number, cmp: '≥' | '≤' | '=', goal: number, digits = 2): string {
  const met = cmp === '≥' ? value >= goal : cmp === '≤' ? value <= goal : value === goal;
  return `${label} ${value.toFixed(digits)} (goal ${cmp} ${goal}) ${verdict(met)}`;
}

/** Which Temporal server a run uses: `dev` (the CLI's dev server, SQLite in WAL) or `postgres` (temporal-server on PostgreSQL). */
export type BenchServer = 'dev' | 'postgres';

/** BENCH_SERVERS, comma-separated (default `fallback`). */
export function benchServers(fallback = 'dev'): BenchServer[] {
  const names = (process.env.BENCH_SERVERS ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (n !== 'dev' && n !== 'postgres') throw new Error(`BENCH_SERVERS: unknown server "${n}" (dev, postgres)`);
  return names as BenchServer[];
}

/** CPU time (user + system) in ms a process has used so far, from /proc (Linux); 0 when it cannot be read. */
export function cpuMsOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from field 3 here, in clock ticks of 10 ms.
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** The live children of a process (Linux). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

export interface BenchTemporal {
  server: BenchServer;
  address: string;
  namespace: string;
  /** The processes of the server (temporal-server and PostgreSQL's, as they are now), to read their CPU time. */
  pids(): number[];
  /** The PostgreSQL cluster under temporal-server (`postgres` only): the adapter's database may live there too. */
  postgres?: PostgresCluster;
  stop(): Promise<void>;
}

export interface BenchRun {
  dir: string;
  temporal: BenchTemporal;
  sim: RunningSimulator;
  /** `node --import tsx <args>` from the project root, its output to `<dir>/<name>.log` (with an IPC channel if asked). */
  startChild(name: string, args: string[], env: NodeJS.ProcessEnv, opts?: { ipc?: boolean }): ChildProcess;
  shutdown(ok: boolean): Promise<void>;
}

async function startTemporal(server: BenchServer, dir: string): Promise<BenchTemporal> {
  if (server === 'postgres') {
    const t = await startPostgresTemporal({ say: (m) => say(`[temporal-postgres] ${m}`), logLevel: 'error' });
    const postmaster = join(t.postgres.dir, 'data', 'postmaster.pid');
    const pids = () => {
      const pg = existsSync(postmaster) ? Number(readFileSync(postmaster, 'utf8').split('\n')[0]) : 0;
      return [t.process.pid ?? 0, ...(pg ? [pg, ...childrenOf(pg)] : [])].filter(Boolean);
    };
    return { server, address: t.address, namespace: t.namespace, pids, postgres: t.postgres, stop: () => t.stop() };
  }
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? (await ensureTemporalCli());
  const t = await startDevServer({ cliPath, dbFilename: join(dir, 'temporal.db'), uiPort: null, logLevel: 'error' });
  return {
    server,
    address: t.address,
    namespace: 'default',
    pids: () => (t.process.pid ? [t.process.pid] : []),
    stop: () => t.stop(),
  };
}

/**
 * Children to profile (BENCH_CPU_PROF=worker,api): each runs with `--cpu-prof`, one .cpuprofile per thread (the
 * worker's main thread and its workflow thread) written to BENCH_CPU_PROF_DIR (default: a folder under /tmp) when it
 * exits.
 */
const PROFILED = (process.env.BENCH_CPU_PROF ?? '').split(',').filter(Boolean);
const PROFILE_DIR = process.env.BENCH_CPU_PROF_DIR ?? join(tmpdir(), `aura-callouts-profiles-${process.pid}`);

export async function startBenchRun(prefix: string, opts: { server?: BenchServer } = {}): Promise<BenchRun> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  const temporal = await startTemporal(opts.server ?? 'dev', dir);
  const sim = await startSimulator({ allowLoopbackHttpWebhooks: true, autopilot: { enabled: false } });
  return {
    dir,
    temporal,
    sim,
    startChild(name, args, env, childOpts = {}) {
      const log = openSync(join(dir, `${name}.log`), 'a');
      const profile = PROFILED.includes(name) ? ['--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, name)}`] : [];
      const child = spawn(process.execPath, [...profile, '--import', 'tsx', ...args], {
        cwd: PROJECT_ROOT,
        env,
        stdio: childOpts.ipc ? ['ignore', log, log, 'ipc'] : ['ignore', log, log],
      });
      children.push(child);
      return child;
    },
    async shutdown(ok) {
      // A profiled child is stopped as production stops it (SIGTERM), so that it exits and writes its profile.
      await Promise.all(
        children.map(async (c) => {
          if (c.exitCode !== null || c.signalCode !== null) return;
          const gone = new Promise((r) => c.once('exit', r));
          c.kill(PROFILED.length ? 'SIGTERM' : 'SIGKILL');
          if (PROFILED.length && (await Promise.race([gone.then(() => true), sleep(30_000).then(() => false)]))) return;
          c.kill('SIGKILL');
          await gone;
        }),
      );
      if (PROFILED.length) say(`CPU profiles (.cpuprofile, open in Chrome DevTools) in ${PROFILE_DIR}`);
      await sim.close();
      await temporal.stop();
      if (ok) rmSync(dir, { recursive: true, force: true });
      else console.error(`logs kept in ${dir}`);
    },
  };
}
