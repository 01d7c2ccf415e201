// The staging path of `aura-callouts go-live`, rehearsed against the simulator with --no-simulator-control: the kit
// never drives `/__sim`, it needs a configured test customer, re-registers the receiver (the Panic API has no read
// of the registration) and waits for AURA to move the callout and for a controller to write. Here the test plays
// staging's Responder Simulator (a status change without a webhook) and the controller (a message in the callout's
// event stream), as AURA staging would; every item passes. Without the controller, the dispatch fails saying so.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadEnv } from '../../src/config.js';
import { runGoLive } from '../../src/go-live/runner.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import {
  eventually,
  FIXED_LOCATION_CALLBACK_SECRET,
  panicApi,
  startStack,
  startTemporal,
  WEBHOOK_TOKEN,
  type Stack,
} from '../helpers/stack.js';

let env: TestWorkflowEnvironment;
let stack: Stack;

before(async () => {
  env = await startTemporal();
  stack = await startStack(env, {
    registerWebhook: true,
    pollIntervalMs: 500,
    pollIntervalSlowMs: 1_000,
    eventsEveryPolls: 1,
  });
  const put = await stack.api('PUT', '/v1/platform-locations/GL-S1', {
    name: 'Staging premises',
    address: '1 Rivonia Road, Sandton',
    latitude: -26.1,
    longitude: 28.05,
  });
  assert.equal(put.status, 200);
  const sync = await stack.api('POST', '/v1/fixed-locations/sync', {});
  await eventually(
    async () => (await stack.api('GET', '/v1/fixed-locations/sync/latest')).body?.runId === sync.body.runId,
    60_000,
  );
});

after(async () => {
  await stack?.close();
  await env?.teardown();
});

/** AURA staging's side: its Responder Simulator (no webhooks) and, when asked, a controller answering notes. */
function stagingActors(withController: boolean): () => void {
  let stopped = false;
  const dispatched = new Set<number>();
  const answered = new Set<number>();
  void (async () => {
    while (!stopped) {
      const callouts = (await stack.sim_('GET', '/__sim/callouts').catch(() => [])) as any[];
      for (const c of callouts) {
        if (c.status === 'created' && !dispatched.has(c.id)) {
          dispatched.add(c.id);
          await stack.sim_('POST', `/__sim/callouts/${c.id}/status`, {
            status: 'Responder Dispatched',
            webhook: false,
          });
        }
        if (withController && !answered.has(c.id)) {
          const events = await panicApi(stack, 'GET', `/v2/callouts/${c.id}/events`);
          if (Array.isArray(events.body) && events.body.some((e: any) => /operator note/.test(e.message ?? ''))) {
            answered.add(c.id);
            await stack.sim_('POST', `/__sim/callouts/${c.id}/events`, {
              message: 'Controller: copy, test only',
              author: 'controller',
            });
          }
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return () => void (stopped = true);
}

async function run(stepTimeoutMs: number) {
  const goLiveEnv = loadEnv({
    AURA_BASE_URL: stack.sim.panicApiUrl,
    WEBHOOK_TOKEN,
    FIXED_LOCATION_CALLBACK_SECRET,
    RESOLUTION_REPORTS_URL: 'https://portal.example.com/resolution-reports',
  });
  const progress: string[] = [];
  const { report } = await runGoLive(
    goLiveEnv,
    {
      api: stack.apiUrl,
      customerId: await stack.newCustomer(),
      stepTimeoutMs,
      projectRoot: PROJECT_ROOT,
      noSimulatorControl: true,
    },
    (m) => progress.push(m),
  );
  return { report, progress };
}

describe('go-live: the staging path, rehearsed', () => {
  it('passes every item when AURA moves the callout and a controller writes', async () => {
    const stop = stagingActors(true);
    try {
      const { report } = await run(20_000);
      assert.equal(report.aura.simulator, false);
      const failing = report.items.filter((i) => i.status !== 'pass').map((i) => `${i.name}: ${i.detail}`);
      assert.deepEqual(failing, []);
      assert.equal(report.ok, true);
      const dispatch = report.items.find((i) => i.name === 'dispatch')!;
      const names = dispatch.steps!.map((s) => s.name);
      assert.ok(names.includes('status updates (staging responder)'), names.join(', '));
      assert.ok(!names.includes('status by webhook'), 'the kit did not drive the simulator');
      assert.match(dispatch.steps!.find((s) => s.name === 'note in')!.request, /ask AURA's control room/);
      const webhook = report.items.find((i) => i.name === 'webhook')!;
      assert.match(webhook.steps![0]!.name, /re-registered/);
      assert.match(report.items.find((i) => i.name === 'resolution-reports')!.detail, /portal\.example\.com/);
    } finally {
      stop();
    }
  });

  it('fails the dispatch, saying what it waited for, when no controller writes', async () => {
    const stop = stagingActors(false);
    try {
      const { report } = await run(6_000);
      assert.equal(report.ok, false);
      const dispatch = report.items.find((i) => i.name === 'dispatch')!;
      assert.equal(dispatch.status, 'fail');
      assert.match(dispatch.detail, /note in: no inbound note within the step timeout/);
    } finally {
      stop();
    }
  });
});
