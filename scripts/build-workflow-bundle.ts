// `npm run build` (second step): the workflow bundle, prebuilt once, so that a production worker starts without
// webpack and runs exactly the code that was built and tested. The worker loads it with `workflowBundle: {codePath}`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PROJECT_ROOT } from '../src/temporal/dev-server.js';
import { workflowInterceptorModules, workflowsPath } from '../src/worker/worker.js';

const out = process.argv[2] ?? join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
const started = Date.now();
const { code } = await bundleWorkflowCode({
  workflowsPath,
  workflowInterceptorModules,
  logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error } as never,
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`[build] workflow bundle: ${out} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)`);
