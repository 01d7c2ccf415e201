// `npm test`: make sure the Temporal CLI exists (building it on first use), then run every test file with Node's
// own test runner (one process per file). Integration tests start their own dev server on free ports.
//   npm test                   all tests
//   npm test -- unit           only files under test/unit
//   npm test -- <substring>    only files whose path contains it
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureTemporalCli, PROJECT_ROOT } from '../src/temporal/dev-server.js';
import { ensureTemporalServerBinaries } from '../src/temporal/postgres/binaries.js';

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const filters = process.argv.slice(2);
let files = findTests(join(PROJECT_ROOT, 'test')).map((f) => relative(PROJECT_ROOT, f));
if (filters.length) files = files.filter((f) => filters.some((flt) => f.includes(flt)));
if (!files.length) {
  console.error(`No test files match ${filters.join(' ')}`);
  process.exit(1);
}

const needsTemporal = files.some((f) => !f.startsWith(join('test', 'unit')));
const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
if (needsTemporal) {
  const started = Date.now();
  env.TEMPORAL_CLI_PATH = await ensureTemporalCli();
  console.error(`[test] Temporal CLI: ${env.TEMPORAL_CLI_PATH} (${Date.now() - started} ms to find or build)`);
}
// Files that run temporal-server on PostgreSQL (src/temporal/postgres-server.ts): its binaries are found or built
// (go install, about 3 minutes the first time) before the files run. A failure here is left to those files to report.
if (files.some((f) => readFileSync(join(PROJECT_ROOT, f), 'utf8').includes('temporal/postgres-server.js'))) {
  const started = Date.now();
  try {
    const bins = await ensureTemporalServerBinaries((m) => console.error(`[test] ${m}`));
    env.TEMPORAL_SERVER_PATH = bins.server;
    env.TEMPORAL_SQL_TOOL_PATH = bins.sqlTool;
    if (bins.builtInMs !== undefined) env.TEMPORAL_SERVER_BUILT_IN_MS = String(bins.builtInMs);
    console.error(`[test] temporal-server: ${bins.server} (${Date.now() - started} ms to find or build)`);
  } catch (err) {
    console.error(`[test] ${(err as Error).message}`);
  }
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  {
    cwd: PROJECT_ROOT,
    env,
    stdio: 'inherit',
  },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
