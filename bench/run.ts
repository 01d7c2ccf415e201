// `npm run bench`: run every bench/*.bench.ts in turn (each in its own process, so one benchmark's memory and
// timers do not colour the next), or only those whose name contains one of the arguments:
//   npm run bench                 all benchmarks
//   npm run bench -- callouts     only bench/callouts-2000.bench.ts
// Benchmarks print their figures; they assert nothing about speed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTemporalCli, PROJECT_ROOT } from '../src/temporal/dev-server.js';

const dir = join(PROJECT_ROOT, 'bench');
const filters = process.argv.slice(2);
let files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
if (filters.length) files = files.filter((f) => filters.some((flt) => f.includes(flt)));
if (!files.length) {
  console.error(`No benchmark matches ${filters.join(' ')}`);
  process.exit(1);
}

const env = { ...process.env, TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH ?? (await ensureTemporalCli()) };
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f)], {
    cwd: PROJECT_ROOT,
    env,
    stdio: 'inherit',
  });
  console.log(
    `=== ${f}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(0)} s ===`,
  );
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
