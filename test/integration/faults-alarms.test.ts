// Alarm dispatch (Fixed Location callouts) when faults come together, on the real stack, against a simulator that
// makes a second callout for a location when asked (AURA documents no dedupe for Fixed Location callouts): a lost or
// unreadable create answer with a failing lookup, a second alarm on the same premises, and a saturated pacer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { samplePortfolio } from '../../src/fixed-locations/sample.js';
import type { PlatformLocation } from '../../src/domain/fixed-locations.js';
import { eventually, startStack, startTemporal, type Stack, type StackOptions } from '../helpers/stack.js';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const FIXED_CREATE = '/panic-api/v2/predefinedLocations/externalRef/*/callouts';

async function alarmStack(portfolio: PlatformLocation[], opts: StackOptions = {}): Promise<Stack> {
  const stack = await startStack(env, {
    pollIntervalMs: 1_000,
    ...opts,
    simulator: { fixedLocationCalloutDedupe: false, ...opts.simulator },
  });
  for (const { platformLocationId, updatedAt: _u, ...body } of portfolio) {
    const r = await stack.api('PUT', `/v1/platform-locations/${platformLocationId}`, body);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const run = await stack.api('POST', '/v1/fixed-locations/sync', {});
  assert.equal(run.status, 202);
  await eventually(async () => {
    const l = await stack.api('GET', '/v1/fixed-locations/sync/latest');
    return l.status === 200 && l.body.runId === run.body.runId && l.body.finishedAt ? l.body : null;
  }, 30_000);
  await stack.env.client.workflow.getHandle(run.body.workflowId).result();
  return stack;
}

const fixedIdOf = async (stack: Stack, ref: string) =>
  ((await stack.sim_('GET', '/__sim/fixed-locations')) as any[]).find((f) => f.externalReferenceId === ref)
    .id as number;
/** The location's callouts, read (after clearing any route fault) from AURA's list in the flat shape, which names the location. */
async function calloutsAt(stack: Stack, fixedLocationId: number): Promise<any[]> {
  await stack.sim_('PUT', '/__sim/faults', {});
  const res = await fetch(`${stack.sim.panicApiUrl}/v2/callouts/activeCallouts`, {
    headers: { authorization: 'Bearer dev-token' },
  });
  return ((await res.json()) as any[]).filter((c) => c.predefinedLocationId === fixedLocationId);
}
const createsOf = async (stack: Stack, ref: string) =>
  ((await stack.sim_('GET', '/__sim/requests')) as any[]).filter(
    (r) => r.method === 'POST' && r.path === `/panic-api/v2/predefinedLocations/externalRef/${ref}/callouts`,
  );
const alarm = (stack: Stack, alarmId: string, platformLocationId: string) =>
  stack.api('POST', '/v1/alarms', { alarmId, platformLocationId, alarmType: 'BURGLARY' });
const settled = (stack: Stack, incidentId: string, timeoutMs = 30_000) =>
  stack.incidentWhen(incidentId, (i) => i.auraCalloutId != null || i.phase === 'failed', timeoutMs);

describe('alarms when faults come together (one AURA callout per alarm and per location)', () => {
  let stack: Stack;
  const portfolio = samplePortfolio(4, 31, 'FA');
  before(async () => {
    stack = await alarmStack(portfolio);
  });
  after(async () => {
    await stack?.close();
  });

  it('a second alarm on premises that already have an active callout joins it instead of creating a second one', async () => {
    const p = portfolio[0]!;
    const fixedId = await fixedIdOf(stack, p.platformLocationId);
    assert.equal((await alarm(stack, 'J-1', p.platformLocationId)).status, 202);
    const first = await settled(stack, 'alarm-J-1');
    assert.equal((await alarm(stack, 'J-2', p.platformLocationId)).status, 202);
    const second = await settled(stack, 'alarm-J-2');
    assert.notEqual(second.phase, 'failed');
    assert.equal(second.auraCalloutId, first.auraCalloutId, "the second alarm joined the first one's callout");
    assert.equal((await calloutsAt(stack, fixedId)).length, 1, 'one callout for the location');
    assert.equal((await createsOf(stack, p.platformLocationId)).length, 1);
  });

  it('a lost create answer, then the active-callouts lookup answering 404: one callout, the incident not failed', async () => {
    const p = portfolio[1]!;
    const fixedId = await fixedIdOf(stack, p.platformLocationId);
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [
        { method: 'POST', path: FIXED_CREATE, kind: 'lost', times: 1 },
        { method: 'GET', path: '/panic-api/v2/callouts/activeCallouts', status: 404, times: 1 },
      ],
    });
    try {
      assert.equal((await alarm(stack, 'L-1', p.platformLocationId)).status, 202);
      const inc = await settled(stack, 'alarm-L-1');
      assert.notEqual(inc.phase, 'failed', `the incident failed: ${JSON.stringify(inc.failure)}`);
      const at = await calloutsAt(stack, fixedId);
      assert.equal(at.length, 1, 'one callout for the alarm');
      assert.equal(inc.auraCalloutId, at[0].id);
    } finally {
      await stack.sim_('PUT', '/__sim/faults', {});
    }
  });

  it('a 2xx create answer in an unexpected shape: one callout, the incident not failed', async () => {
    const p = portfolio[2]!;
    const fixedId = await fixedIdOf(stack, p.platformLocationId);
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [{ method: 'POST', path: FIXED_CREATE, status: 201, body: { status: 'queued' }, times: 1 }],
    });
    try {
      assert.equal((await alarm(stack, 'S-1', p.platformLocationId)).status, 202);
      const inc = await settled(stack, 'alarm-S-1');
      assert.notEqual(inc.phase, 'failed', `the incident failed: ${JSON.stringify(inc.failure)}`);
      const at = await calloutsAt(stack, fixedId);
      assert.equal(at.length, 1);
      assert.equal(inc.auraCalloutId, at[0].id);
    } finally {
      await stack.sim_('PUT', '/__sim/faults', {});
    }
  });
});

describe('alarms while the pacer is saturated', () => {
  const portfolio = samplePortfolio(3, 37, 'PS');

  it('alarms arriving behind a long pacer queue each get their one callout promptly (the queue is bounded)', async () => {
    // 5 requests/s to AURA from this worker; 150 requests at once would queue for 30 s without a bound.
    const stack = await alarmStack(portfolio, { auraClient: { maxRequestsPerSecond: 5 } });
    try {
      const flood = Promise.allSettled(Array.from({ length: 150 }, () => stack.aura.listActiveCallouts()));
      const started = Date.now();
      for (const [i, p] of portfolio.entries())
        assert.equal((await alarm(stack, `P-${i}`, p.platformLocationId)).status, 202);
      for (const i of portfolio.keys()) {
        const inc = await settled(stack, `alarm-P-${i}`, 20_000);
        assert.notEqual(inc.phase, 'failed', `the incident failed: ${JSON.stringify(inc.failure)}`);
      }
      assert.ok(Date.now() - started < 20_000);
      await flood;
      await new Promise((r) => setTimeout(r, 2_000));
      for (const p of portfolio) {
        assert.equal(
          (await calloutsAt(stack, await fixedIdOf(stack, p.platformLocationId))).length,
          1,
          `one callout at ${p.platformLocationId}`,
        );
        assert.equal(
          (await createsOf(stack, p.platformLocationId)).length,
          1,
          `one create for ${p.platformLocationId}`,
        );
      }
    } finally {
      await stack.close();
    }
  });

  it('an alarm create stuck in a saturated pacer when its worker shuts down never POSTs afterwards: one callout, on the replica that takes over', async () => {
    // A worker whose pacer admits a long wait (60 s): its create waits behind the flood when the worker is shut down.
    const stack = await alarmStack(portfolio.slice(0, 1), {
      auraClient: { maxRequestsPerSecond: 5, maxQueueWaitMs: 60_000 },
    });
    try {
      const p = portfolio[0]!;
      const fixedId = await fixedIdOf(stack, p.platformLocationId);
      const flood = Promise.allSettled(Array.from({ length: 100 }, () => stack.aura.listActiveCallouts()));
      assert.equal((await alarm(stack, 'Z-1', p.platformLocationId)).status, 202);
      const handle = env.client.workflow.getHandle('incident-alarm-Z-1');
      await eventually(
        async () =>
          ((await handle.describe()).raw.pendingActivities ?? []).some(
            (a) => a.activityType?.name === 'createFixedLocationCallout' && a.state === 2,
          ),
        10_000,
        50,
      );
      // A replica with a quiet pacer takes over the Panic API task queue; the first worker goes away.
      await stack.startReplica({ maxRequestsPerSecond: 50 });
      stack.workers.aura.shutdown();
      const inc = await settled(stack, 'alarm-Z-1', 45_000);
      assert.notEqual(inc.phase, 'failed', `the incident failed: ${JSON.stringify(inc.failure)}`);
      await flood;
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal((await calloutsAt(stack, fixedId)).length, 1, 'one callout for the alarm');
      assert.equal(
        (await createsOf(stack, p.platformLocationId)).length,
        1,
        'the shut-down worker never sent its create',
      );
    } finally {
      await stack.close();
    }
  });
});
