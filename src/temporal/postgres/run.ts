// Running the tools behind Temporal on PostgreSQL (go, apt-get, initdb, pg_ctl, the schema and init scripts):
// a child process whose output is kept, and the progress messages callers print.
import { spawn } from 'node:child_process';

export type Say = (msg: string) => void;
export const defaultSay: Say = (m) => console.error(`[temporal-postgres] ${m}`);

export interface RunResult {
  code: number | null;
  output: string;
}

/** Run a command, keeping its output (stdout and stderr interleaved); `tick` is called every 30 s while it runs. */
export function run(
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

export const tail = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');
