// deploy/prometheus/alerts.yml and the service's own metrics through promtool (built from the Go module proxy,
// src/deploy/promtool.ts): `check rules`, `test rules` (deploy/prometheus/alerts.test.yml), and `check metrics` on
// the /metrics of the real service (src/main.ts, SERVICE_ROLE=all: the API's and the worker's endpoints) after an
// incident, a webhook and a reconciliation have given its series values. promtool must find nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensurePromtool } from '../../src/deploy/promtool.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';
import { freePort, PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { eventually, startTemporal } from '../helpers/stack.js';

const TOKEN = 'go-live-deploy-webhook-token';

function promtool(bin: string, args: string[], input?: string) {
  const r = spawnSync(bin, args, { cwd: PROJECT_ROOT, encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

let bin: string;
let env: TestWorkflowEnvironment;
let sim: RunningSimulator;
let service: ChildProcess | null = null;
let output = '';
let dataDir: string;
let apiUrl: string;
let workerUrl: string;

before(async () => {
  bin = ensurePromtool();
  env = await startTemporal();
  sim = await startSimulator({
    autopilot: { enabled: true, stepMs: 300, emitWebhooks: true },
    firstCalloutId: 700_000,
  });
  dataDir = mkdtempSync(join(tmpdir(), 'go-live-deploy-'));
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${apiPort}`;
  workerUrl = `http://127.0.0.1:${workerPort}`;
  service = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      SERVICE_ROLE: 'all',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `go-live-deploy-${Date.now()}`,
      AURA_BASE_URL: sim.panicApiUrl,
      WEBHOOK_TOKEN: TOKEN,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      WORKER_METRICS_PORT: String(workerPort),
      DATA_DIR: dataDir,
      POLL_INTERVAL_MS: '500',
      FIXED_LOCATION_SYNC_INTERVAL_MS: '0',
    },
  });
  service.stdout!.on('data', (d) => (output += d));
  service.stderr!.on('data', (d) => (output += d));
  await eventually(async () => (await fetch(`${apiUrl}/readyz`).catch(() => null))?.status === 200, 120_000).catch(
    (err: Error) => {
      throw new Error(`${err.message}\n${output.slice(-4000)}`);
    },
  );
  // Values for the series: an incident to closed (Panic API calls, polls, transitions), a refused webhook, a sync.
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(apiUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const open = await post('/v1/callouts', {
    incidentId: `deploy-${Date.now()}`,
    customerId: 184708,
    responseType: 'SECURITY',
    location: { latitude: -26.1, longitude: 28.05 },
  });
  const opened = await open.text();
  assert.equal(open.status, 202, opened);
  const { incidentId } = JSON.parse(opened) as { incidentId: string };
  assert.equal((await post('/webhooks/aura', { message: 'NEW_CALLOUT' })).status, 401);
  assert.equal((await post('/v1/fixed-locations/sync', {})).status, 202);
  await eventually(async () => {
    const r = await fetch(`${apiUrl}/v1/callouts/${incidentId}`);
    return r.ok && ((await r.json()) as { phase: string }).phase === 'closed';
  }, 60_000);
  await eventually(async () => (await fetch(`${apiUrl}/v1/fixed-locations/sync/latest`)).ok, 60_000);
});

after(async () => {
  if (service && service.exitCode === null) {
    const exited = new Promise((r) => service!.on('exit', r));
    service.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (service.exitCode === null) service.kill('SIGKILL');
  }
  await sim?.close();
  await env?.teardown();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('deploy: alert rules and metrics through promtool', () => {
  it('promtool check rules finds nothing wrong in deploy/prometheus/alerts.yml', () => {
    const r = promtool(bin, ['check', 'rules', 'deploy/prometheus/alerts.yml']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: \d+ rules found/);
  });

  it('promtool test rules passes the unit tests of four alerts', () => {
    const r = promtool(bin, ['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  for (const which of ['API', 'worker'] as const) {
    it(`promtool check metrics finds nothing in the ${which}'s /metrics`, async () => {
      const res = await fetch(`${which === 'API' ? apiUrl : workerUrl}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      for (const name of ['aura_panic_api_requests_total', 'aura_callout_polls_total', 'aura_worker_up'])
        assert.ok(which === 'API' || text.includes(name), `${which} exports ${name}`);
      if (which === 'API') {
        assert.match(text, /aura_webhook_deliveries_total\{event="unparsed",outcome="unauthenticated"\} 1/);
        assert.match(text, /aura_fixed_location_sync_issues\{kind="MISSING_IN_AURA"\} 0/);
        assert.match(text, /aura_incidents_not_dispatched\{older_than_seconds="600"\} 0/);
      }
      const r = promtool(bin, ['check', 'metrics'], text);
      assert.equal(r.out.trim(), '', r.out);
      assert.equal(r.code, 0, r.out);
    });
  }
});
