// `npm run build && npm start` against a real Temporal dev server: the compiled API and worker (prebuilt workflow
// bundle) serve a whole lifecycle; /metrics shows the service's series and the Temporal SDK's own worker metrics;
// SIGTERM stops taking requests, lets the in-flight activity finish and exits 0.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { AuraClient } from '../../src/aura/client.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { eventually, startTemporal } from '../helpers/stack.js';

const TOKEN = 'production-test-webhook-token';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The `node dist/main.js` process among the descendants of `pid` (npm → sh → node). */
function nodeUnder(pid: number): number {
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    const out = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(p)], { encoding: 'utf8' }).stdout;
    for (const line of out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      const [child, ...args] = line.split(/\s+/);
      if (args.join(' ').includes('dist/main.js') && /(^|\/)node$/.test(args[0] ?? '')) return Number(child);
      queue.push(Number(child));
    }
  }
  return 0;
}

let env: TestWorkflowEnvironment;
let sim: RunningSimulator;
// No DATABASE_URL: the service starts the embedded database in DATA_DIR, as `npm start` does by default.
const dataDir = mkdtempSync(join(tmpdir(), 'production-start-data-'));
before(async () => {
  // The build is part of what is tested.
  const build = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
  assert.ok(existsSync(join(PROJECT_ROOT, 'dist', 'main.js')));
  assert.ok(existsSync(join(PROJECT_ROOT, 'dist', 'workflow-bundle.js')));
  env = await startTemporal();
  sim = await startSimulator({
    autopilot: { enabled: true, stepMs: 300, emitWebhooks: true },
    firstCalloutId: 900_000 + Math.floor(Math.random() * 9000) * 10,
  });
});
after(async () => {
  await sim?.close();
  await env?.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

function start(
  apiPort: number,
  extra: Record<string, string> = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  const child = spawn('npm', ['start', '--silent'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `prod-${randomUUID()}`,
      AURA_BASE_URL: sim.panicApiUrl,
      AURA_CLIENT_ID: 'dev-client',
      AURA_CLIENT_SECRET: 'dev-secret',
      WEBHOOK_TOKEN: TOKEN,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      POLL_INTERVAL_MS: '500',
      RATING_WINDOW_MS: '1000',
      SHUTDOWN_GRACE_MS: '20000',
      // No load balancer here: close at once on SIGTERM (test/integration/readiness.test.ts covers the drain period).
      SHUTDOWN_READINESS_DELAY_MS: '0',
      // The worker's own health server on a free port (its default 9464 may be taken on a shared machine).
      WORKER_METRICS_PORT: '0',
      DATA_DIR: dataDir,
      ...extra,
    },
    // Its own process group, so the signal reaches node and not only npm.
    detached: true,
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

describe('npm start (compiled API and worker)', () => {
  let proc: ReturnType<typeof start>;
  let api: string;
  before(async () => {
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    proc = start(port);
    await eventually(async () => (await fetch(`${api}/readyz`).catch(() => null))?.status === 200, 60_000, 300).catch(
      (err) => {
        throw new Error(`${(err as Error).message}\n${proc.output()}`);
      },
    );
  });
  after(async () => {
    if (proc.child.exitCode === null) process.kill(-proc.child.pid!, 'SIGKILL');
  });

  it('serves a lifecycle to closed with the prebuilt bundle, and /metrics shows the series and the SDK worker metrics', async () => {
    assert.match(proc.output(), /dist\/workflow-bundle\.js/, 'the worker loaded the prebuilt bundle');
    const aura = new AuraClient({ baseUrl: sim.panicApiUrl, clientId: 'dev-client', clientSecret: 'dev-secret' });
    await aura.registerWebhook({
      url: `${api}/webhooks/aura`,
      events: ['RESPONDER_MANUALLY_DISPATCHED', 'RESPONDER_ARRIVED_ON_SCENE', 'RESPONDER_COMPLETED', 'CALLOUT_CLOSED'],
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const res = await fetch(`${api}/v1/callouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        incidentId: 'prod-1',
        customerId: 184708,
        location: { latitude: -26.1, longitude: 28.05 },
      }),
    });
    assert.equal(res.status, 202);
    const closed = await eventually(async () => {
      const b = (await (await fetch(`${api}/v1/callouts/prod-1`)).json()) as any;
      return b.status === 'closed' ? b : null;
    }, 30_000);
    assert.deepEqual(
      closed.timeline.map((t: any) => t.status),
      ['created', 'Responder Dispatched', 'Responder Arrived', 'Responder Completed', 'closed'],
    );

    const text = await eventually(async () => {
      const t = await (await fetch(`${api}/metrics`)).text();
      return /^aura_incident_time_to_close_seconds_count 1$/m.test(t) ? t : null;
    }, 10_000);
    for (const series of [
      /^aura_webhook_deliveries_total\{event="CALLOUT_CLOSED",outcome="accepted"\} [1-9]/m,
      /^aura_panic_api_requests_total\{route="POST \/v2\/customers\/:customerId\/callouts",status="201"\} 1$/m,
      /^aura_panic_api_request_duration_seconds_bucket\{/m,
      /^aura_callout_polls_total\{/m,
      /^aura_incident_transitions_total\{phase="on_scene"\} 1$/m,
      /^aura_incident_time_to_dispatch_seconds_count 1$/m,
      /^aura_incident_time_to_arrival_seconds_count 1$/m,
      /^aura_active_incidents \d+$/m,
      // The Temporal SDK's own worker metrics (core's Prometheus exporter), in the same text.
      /^temporal_[a-z_]+(\{[^}]*\})? /m,
      /^temporal_worker_task_slots_available\{/m,
    ]) {
      assert.match(text, series);
    }
    const openapi = (await (await fetch(`${api}/openapi.json`)).json()) as any;
    assert.equal(openapi.openapi, '3.1.0');
  });

  it('on SIGTERM stops taking requests, lets the in-flight activity finish, and exits 0', async () => {
    // Every Panic API answer now takes 2 s: the create activity is in flight when the signal arrives.
    await fetch(`${sim.url}/__sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiLatencyMs: 2000 }),
    });
    try {
      const res = await fetch(`${api}/v1/callouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          incidentId: 'prod-sigterm',
          customerId: 184708,
          location: { latitude: -26.1, longitude: 28.05 },
        }),
      });
      assert.equal(res.status, 202);
      // Wait until the create activity has started (its request to AURA is in flight).
      const handle = env.client.workflow.getHandle('incident-prod-sigterm');
      await eventually(
        async () =>
          ((await handle.describe()).raw.pendingActivities ?? []).some(
            (a) => a.activityType?.name === 'createCallout' && a.state === 2,
          ),
        10_000,
        50,
      );
      const signalledAt = Date.now();
      // SIGTERM to the node process `npm start` runs (as a container runtime signals its main process); npm then
      // exits with node's exit code.
      const nodePid = nodeUnder(proc.child.pid!);
      assert.ok(nodePid > 0, 'found the node process under npm');
      process.kill(nodePid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const refused = await fetch(`${api}/healthz`).then(
        (r) => `answered ${r.status}`,
        () => 'refused',
      );
      assert.equal(refused, 'refused', 'no new requests after SIGTERM');
      const code = await proc.exited;
      assert.equal(code, 0, proc.output().slice(-3000));
      assert.ok(Date.now() - signalledAt >= 1000, 'the process waited for the in-flight activity');
      // The activity's result reached Temporal: the create completed, it did not fail or time out.
      const history = await handle.fetchHistory();
      const scheduled = history.events!.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createCallout',
      )!;
      const completed = history.events!.find(
        (e) =>
          e.activityTaskCompletedEventAttributes &&
          String(e.activityTaskCompletedEventAttributes.scheduledEventId) === String(scheduled.eventId),
      );
      assert.ok(completed, 'the in-flight createCallout completed and its result reached Temporal');
      assert.ok(
        !history.events!.some((e) => e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes),
        'no activity failed or timed out',
      );
      assert.match(proc.output(), /shutting down/);
      assert.match(proc.output(), /"msg":"stopped"/);
      // The embedded database it started was stopped with it (its last user).
      assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'the embedded server stopped');
    } finally {
      await fetch(`${sim.url}/__sim/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiLatencyMs: 0 }),
      });
    }
  });
});
