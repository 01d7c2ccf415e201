// `aura-callouts go-live` against a stack like `npm run dev` (a real Temporal dev server, the simulator, the real
// worker and API over real HTTP), run as the real CLI in a child process: every item passes, exit 0, the report and
// the JSON are written, no secret reaches them; with the location routes answering 404 (contract §5 route faults),
// the routes item names the route and the status, and the command exits non-zero.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import {
  eventually,
  FIXED_LOCATION_CALLBACK_SECRET,
  startStack,
  startTemporal,
  WEBHOOK_TOKEN,
  type Stack,
} from '../helpers/stack.js';

const SECRETS = [WEBHOOK_TOKEN, FIXED_LOCATION_CALLBACK_SECRET, 'dev-secret', 'dev-token', 'dev-webhook-token'];

let env: TestWorkflowEnvironment;
let stack: Stack;
let dir: string;

before(async () => {
  env = await startTemporal();
  stack = await startStack(env, {
    registerWebhook: true,
    pollIntervalMs: 500,
    pollIntervalSlowMs: 1_000,
    eventsEveryPolls: 1,
  });
  dir = mkdtempSync(join(tmpdir(), 'go-live-'));
  // A small portfolio, reconciled into the simulator, as `npm run dev` does with the sample.
  for (const n of [1, 2, 3]) {
    const r = await stack.api('PUT', `/v1/platform-locations/GL-${n}`, {
      name: `Go-live premises ${n}`,
      address: `${n} Main Road, Sandton`,
      latitude: -26.1 - n / 100,
      longitude: 28.05,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const sync = await stack.api('POST', '/v1/fixed-locations/sync', {});
  assert.equal(sync.status, 202);
  await eventually(async () => {
    const r = await stack.api('GET', '/v1/fixed-locations/sync/latest');
    return r.status === 200 && r.body.runId === sync.body.runId;
  }, 60_000);
});

after(async () => {
  await stack?.close();
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function goLive(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'go-live', ...args], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        AURA_BASE_URL: stack.sim.panicApiUrl,
        WEBHOOK_TOKEN,
        FIXED_LOCATION_CALLBACK_SECRET,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const NAMES = [
  'credentials',
  'fixed-locations',
  'csv-import',
  'dispatch',
  'cancellation',
  'panic-api-routes',
  'webhook',
  'resolution-reports',
  'operations',
];

describe('go-live against the simulator stack', () => {
  it('passes every item, exits 0, writes the report and the JSON, and prints no secret', async () => {
    const reportPath = join(dir, 'report.md');
    const r = await goLive(['--json', '--report', reportPath, '--api', stack.apiUrl, '--step-timeout', '30']);
    const out = JSON.parse(r.stdout);
    const failing = out.items.filter((i: any) => i.status !== 'pass');
    assert.deepEqual(failing, [], `${r.stderr}\n${r.stdout}`);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      out.items.map((i: any) => i.name),
      NAMES,
    );
    for (const i of out.items) {
      assert.deepEqual(Object.keys(i).sort(), ['detail', 'name', 'status']);
      assert.ok(i.detail.length > 10, `${i.name} says what it saw`);
    }
    assert.equal(out.ok, true);
    assert.equal(out.report, reportPath);
    assert.match(r.stderr, /\[1\/9\] checking credentials/);
    assert.match(r.stderr, /\[9\/9\]/);
    assert.ok(existsSync(reportPath));
    const md = readFileSync(reportPath, 'utf8');
    assert.match(md, /# Go-live report/);
    assert.match(md, /every item passed/);
    for (const title of [
      'A real dispatch end to end',
      'Cancellation from the operator console',
      'Event-to-status mapping',
    ])
      assert.ok(md.includes(title), title);
    // Each dispatch step with its request and answer.
    for (const s of ['POST /v1/callouts ', 'status by webhook', 'status by poll', 'note out', 'note in', 'FALSE_ALARM'])
      assert.ok(md.includes(s), s);
    assert.match(md, /csv-import|not applicable: api mode/);
    for (const secret of SECRETS) {
      assert.ok(!md.includes(secret), `the report holds no "${secret}"`);
      assert.ok(!r.stdout.includes(secret), `stdout holds no "${secret}"`);
      assert.ok(!r.stderr.includes(secret), `stderr holds no "${secret}"`);
    }
    // The table, without --json, on the same stack.
    const table = await goLive(['--report', join(dir, 'second.md'), '--api', stack.apiUrl, '--step-timeout', '30']);
    assert.equal(table.code, 0, table.stdout);
    assert.match(table.stdout, /^1\s+PASS\s+Credentials are server-side only/m);
    assert.match(table.stdout, /9 passed, 0 failed, 0 skipped/);
  });

  it('with the location routes answering 404, names the route and the status and exits non-zero', async () => {
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [{ method: 'POST', path: '/panic-api/v2/callouts/*/location*', status: 404 }],
    });
    try {
      const reportPath = join(dir, 'fault.md');
      const r = await goLive(['--json', '--report', reportPath, '--api', stack.apiUrl, '--step-timeout', '15']);
      assert.equal(r.code, 1, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.ok, false);
      const routes = out.items.find((i: any) => i.name === 'panic-api-routes');
      assert.equal(routes.status, 'fail');
      assert.match(routes.detail, /POST \/panic-api\/v2\/callouts\/\d+\/locationAndReturnCallout answered 404/);
      const dispatch = out.items.find((i: any) => i.name === 'dispatch');
      assert.equal(dispatch.status, 'fail', 'the position never reached AURA');
      const md = readFileSync(reportPath, 'utf8');
      assert.match(md, /POST \/panic-api\/v2\/callouts\/\d+\/locationAndReturnCallout answered 404/);
      assert.match(md, /NOT ready/);
    } finally {
      await stack.sim_('PUT', '/__sim/faults', { routes: [] });
    }
  });
});
