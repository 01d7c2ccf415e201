// What the benchmarks share: knobs, a progress clock, bounded concurrency, waiting, and a run directory holding a
// Temporal dev server (SQLite file), the simulator in this process, and child processes whose logs are kept only when
// the run fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../src/simulator/app.js';
import { ensureTemporalCli, PROJECT_ROOT, startDevServer, type RunningDevServer } from '../src/temporal/dev-server.js';

export const num = (name: string, d: number) => (process.env[name] ? Number(process.env[name]) : d);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const t0 = Date.now();
export const say = (m: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`);

/** Run fn over items with at most n in flight. */
export async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/** Wait until fn holds (a throw counts as not yet). */
export async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 300): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve().then(fn).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

export interface BenchRun {
  dir: string;
  temporal: RunningDevServer;
  sim: RunningSimulator;
  /** `node --import tsx <args>` from the project root, its output to `<dir>/<name>.log`. */
  startChild(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess;
  shutdown(ok: boolean): Promise<void>;
}

export async function startBenchRun(prefix: string): Promise<BenchRun> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children: ChildProcess[] = [];
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? (await ensureTemporalCli());
  const temporal = await startDevServer({ cliPath, dbFilename: join(dir, 'temporal.db'), uiPort: null, logLevel: 'error' });
  const sim = await startSimulator({ allowLoopbackHttpWebhooks: true, autopilot: { enabled: false } });
  return {
    dir,
    temporal,
    sim,
    startChild(name, args, env) {
      const log = openSync(join(dir, `${name}.log`), 'a');
      const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', log, log] });
      children.push(child);
      return child;
    },
    async shutdown(ok) {
      for (const c of children) c.kill('SIGKILL');
      await sim.close();
      await temporal.stop();
      if (ok) rmSync(dir, { recursive: true, force: true });
      else console.error(`logs kept in ${dir}`);
    },
  };
}
