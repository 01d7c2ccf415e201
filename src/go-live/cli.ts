// `aura-callouts go-live [--json] [--report FILE] [--api URL] [--customer ID] [--worker-metrics URL]
// [--step-timeout S]` (also `npm run go-live`): the go-live checklist against the configured AURA (AURA_BASE_URL and
// credentials, read by src/config.ts as the service reads them) and the running service. Prints a table (or, with
// --json, the contract's JSON on stdout), writes a Markdown report, and exits 0 only when every item passes.
// Progress goes to stderr. Secrets never reach stdout or the report (report.ts redacts every configured one).
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadEnv } from '../config.js';
import { secretsOf } from './context.js';
import { redact, renderMarkdown, renderTable, toJson } from './report.js';
import { runGoLive } from './runner.js';

export const GO_LIVE_USAGE = `aura-callouts go-live [options]

Walks the go-live checklist against the configured AURA (AURA_BASE_URL, AURA_CLIENT_ID/AURA_CLIENT_SECRET or
AURA_STATIC_TOKEN) and the running service, prints one row per item, writes a Markdown report.
Exit 0 only when every item passes (a skipped item counts as not passed); 1 otherwise; 2 on bad configuration.

Options
  --json                 print the result as JSON on stdout ({"items":[{name,status,detail}],…})
  --report FILE          the Markdown report (default go-live-report.md in the current directory)
  --api URL              the service's API (default $AURA_CALLOUTS_API or http://API_HOST:API_PORT)
  --customer ID          AURA customer (active subscription) for the test dispatch (default $GO_LIVE_CUSTOMER_ID;
                         against the simulator a new one is made)
  --worker-metrics URL   the worker's /metrics when it runs in its own process
  --step-timeout S       how long each step waits for AURA or the service (default $GO_LIVE_STEP_TIMEOUT_S or 90)
  --no-simulator-control never drive the simulator through /__sim even when it answers (rehearse the staging run)
  -h, --help`;

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function goLiveMain(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        json: { type: 'boolean', default: false },
        report: { type: 'string' },
        api: { type: 'string' },
        customer: { type: 'string' },
        'worker-metrics': { type: 'string' },
        'step-timeout': { type: 'string' },
        'no-simulator-control': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`aura-callouts go-live: ${(err as Error).message}\n\n${GO_LIVE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(GO_LIVE_USAGE);
    return 0;
  }
  let env;
  try {
    env = loadEnv();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const customer = values.customer ?? process.env.GO_LIVE_CUSTOMER_ID;
  const customerId = customer ? Number(customer) : undefined;
  if (customer && !Number.isSafeInteger(customerId)) {
    console.error(`aura-callouts go-live: --customer must be an AURA customer id, not "${customer}"`);
    return 2;
  }
  const timeoutS = Number(values['step-timeout'] ?? process.env.GO_LIVE_STEP_TIMEOUT_S ?? 90);
  const api = values.api ?? process.env.AURA_CALLOUTS_API ?? `http://${env.API_HOST}:${env.API_PORT}`;
  const reportPath = resolve(values.report ?? join(process.cwd(), 'go-live-report.md'));
  const secrets = secretsOf(env);
  const clean = (text: string) => redact(text, secrets);
  const { report } = await runGoLive(
    env,
    {
      api,
      customerId,
      workerMetricsUrl: values['worker-metrics'],
      stepTimeoutMs: (Number.isFinite(timeoutS) && timeoutS > 0 ? timeoutS : 90) * 1000,
      projectRoot: PROJECT_ROOT,
      noSimulatorControl: values['no-simulator-control'],
    },
    (msg) => process.stderr.write(`${clean(msg)}\n`),
  );
  let written: string | null = reportPath;
  try {
    writeFileSync(reportPath, clean(renderMarkdown(report)));
    process.stderr.write(`report written to ${reportPath}\n`);
  } catch (err) {
    written = null;
    process.stderr.write(`could not write the report to ${reportPath}: ${(err as Error).message}\n`);
  }
  if (values.json) process.stdout.write(`${clean(JSON.stringify(toJson(report, written), null, 2))}\n`);
  else process.stdout.write(`${clean(renderTable(report.items, process.stdout.columns || 120))}\n`);
  return report.ok && written ? 0 : 1;
}
