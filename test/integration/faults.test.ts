// Panic API faults against the real stack: what is retried, what is not, and the create whose answer was lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, startTemporal, type Stack } from '../helpers/stack.js';

const live = { latitude: -26.10911, longitude: 28.053037 };
let env: TestWorkflowEnvironment;
let stack: Stack;
before(async () => {
  env = await startTemporal();
  stack = await startStack(env, { pollIntervalMs: 200 });
});
after(async () => {
  await stack?.close();
  await env?.teardown();
});

const mineAt = async (customerId: number) =>
  (await stack.sim_('GET', '/__sim/callouts')).filter(
    (c: { customer?: { id: number } | null; customerId?: number }) => (c.customer?.id ?? c.customerId) === customerId,
  );
const requestLog = async () =>
  (await stack.sim_('GET', '/__sim/requests')) as { method: string; path: string; status: number }[];
const creates = async () =>
  ((await stack.sim_('GET', '/__sim/requests')) as { method: string; path: string; status: number }[]).filter(
    (r) => r.method === 'POST' && /\/v2\/customers\/\d+\/callouts$/.test(r.path),
  );

describe('Panic API faults', () => {
  it('a create that succeeded at AURA but whose answer was lost is looked up, not repeated', async () => {
    const customerId = await stack.newCustomer();
    await stack.sim_('PUT', '/__sim/faults', { loseNextResponses: 1 });
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'lost-answer', customerId, location: live });
    assert.equal(r.status, 202);
    const inc = await stack.incidentWhen('lost-answer', (i) => i.auraCalloutId != null, 30_000);
    const mine = (await stack.sim_('GET', '/__sim/callouts')).filter(
      (c: { customer?: { id: number } | null; customerId?: number }) => (c.customer?.id ?? c.customerId) === customerId,
    );
    assert.equal(mine.length, 1, 'one AURA callout for the customer');
    const posts = await creates();
    assert.deepEqual(
      posts.map((p) => p.status),
      [0],
      'one create reached AURA, and its answer was lost',
    );
    assert.equal(inc.phase, 'requested');
  });

  it('server errors, 429 and dropped connections are retried until the callout is created and followed to closed', async () => {
    const customerId = await stack.newCustomer();
    const faults = await stack.sim_('PUT', '/__sim/faults', { apiErrorRate: 0.4, apiTimeoutMs: 500, seed: 7 });
    assert.equal(faults.apiErrorRate, 0.4);
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'flaky-api', customerId, location: live });
    assert.equal(r.status, 202);
    const inc = await stack.incidentWhen('flaky-api', (i) => i.auraCalloutId != null, 60_000);
    await stack.sim_('POST', `/__sim/callouts/${inc.auraCalloutId}/status`, {
      status: 'Responder Dispatched',
      webhook: false,
    });
    await stack.incidentWhen('flaky-api', (i) => i.phase === 'dispatched', 60_000);
    await stack.sim_('POST', `/__sim/callouts/${inc.auraCalloutId}/status`, { status: 'closed', webhook: false });
    const closed = await stack.incidentWhen('flaky-api', (i) => i.phase === 'closed', 60_000);
    await stack.sim_('PUT', '/__sim/faults', {});
    const log = (await stack.sim_('GET', '/__sim/requests')) as { status: number }[];
    const statuses = new Set(log.map((x) => x.status));
    assert.ok(
      [500, 502, 503].some((s) => statuses.has(s)),
      `server errors were injected (${[...statuses].join(', ')})`,
    );
    assert.deepEqual(
      closed.timeline.map((t: { status: string }) => t.status),
      ['created', 'Responder Dispatched', 'closed'],
    );
    const mine = (await stack.sim_('GET', '/__sim/callouts')).filter(
      (c: { customer?: { id: number } | null; customerId?: number }) => (c.customer?.id ?? c.customerId) === customerId,
    );
    assert.equal(mine.length, 1);
  });

  it('a lost create answer, then a lookup answering 404: one AURA callout, the incident not failed', async () => {
    const customerId = await stack.newCustomer();
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [
        { method: 'POST', path: '/panic-api/v2/customers/*/callouts', kind: 'lost', times: 1 },
        { method: 'GET', path: '/panic-api/v2/customers/*/callouts', status: 404, times: 1 },
      ],
    });
    try {
      const r = await stack.api('POST', '/v1/callouts', { incidentId: 'lost-then-404', customerId, location: live });
      assert.equal(r.status, 202);
      const inc = await stack.incidentWhen(
        'lost-then-404',
        (i) => i.auraCalloutId != null || i.phase === 'failed',
        30_000,
      );
      assert.notEqual(inc.phase, 'failed', `the incident failed: ${JSON.stringify(inc.failure)}`);
      const mine = await mineAt(customerId);
      assert.equal(mine.length, 1, 'one AURA callout');
      assert.equal(inc.auraCalloutId, mine[0].id);
    } finally {
      await stack.sim_('PUT', '/__sim/faults', {});
    }
  });

  it('with the inferred lookup path missing at AURA (404 every time), a lost create is found through the documented active-callouts list', async () => {
    const customerId = await stack.newCustomer();
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [
        { method: 'POST', path: '/panic-api/v2/customers/*/callouts', kind: 'lost', times: 1 },
        { method: 'GET', path: '/panic-api/v2/customers/*/callouts', status: 404 },
      ],
    });
    try {
      await stack.api('POST', '/v1/callouts', { incidentId: 'lost-no-lookup-route', customerId, location: live });
      const inc = await stack.incidentWhen(
        'lost-no-lookup-route',
        (i) => i.auraCalloutId != null || i.phase === 'failed',
        30_000,
      );
      assert.notEqual(inc.phase, 'failed', `the incident failed: ${JSON.stringify(inc.failure)}`);
      assert.equal((await mineAt(customerId)).length, 1);
    } finally {
      await stack.sim_('PUT', '/__sim/faults', {});
    }
  });

  it('a 2xx create answer in an unexpected shape is looked up, not failed, and not POSTed again blindly: one callout', async () => {
    const customerId = await stack.newCustomer();
    const path = `/panic-api/v2/customers/${customerId}/callouts`;
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [{ method: 'POST', path, status: 201, body: { result: 'ok', data: [{ calloutRef: 'x' }] }, times: 1 }],
    });
    try {
      await stack.api('POST', '/v1/callouts', { incidentId: 'odd-shape', customerId, location: live });
      const inc = await stack.incidentWhen('odd-shape', (i) => i.auraCalloutId != null || i.phase === 'failed', 30_000);
      assert.notEqual(inc.phase, 'failed', `the incident failed: ${JSON.stringify(inc.failure)}`);
      const mine = await mineAt(customerId);
      assert.equal(mine.length, 1);
      assert.equal(inc.auraCalloutId, mine[0].id);
      // Every create after the unreadable answer came after a lookup of the customer's active callouts.
      const log = (await requestLog()).filter((x) => x.path === path);
      const firstPost = log.findIndex((x) => x.method === 'POST');
      for (let i = firstPost + 1; i < log.length; i++) {
        if (log[i]!.method === 'POST')
          assert.ok(
            log.slice(firstPost + 1, i).some((x) => x.method === 'GET'),
            `POST #${i} without a lookup before it: ${JSON.stringify(log)}`,
          );
      }
    } finally {
      await stack.sim_('PUT', '/__sim/faults', {});
    }
  });

  it("the create's start-to-close is above one attempt's worst case, from the client's numbers, and it heartbeats", async () => {
    const customerId = await stack.newCustomer();
    await stack.api('POST', '/v1/callouts', { incidentId: 'create-timeouts', customerId, location: live });
    await stack.incidentWhen('create-timeouts', (i) => i.auraCalloutId != null, 30_000);
    const history = await stack.env.client.workflow.getHandle('incident-create-timeouts').fetchHistory();
    const scheduled = history.events!.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'createCallout',
    )!.activityTaskScheduledEventAttributes!;
    const ms = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
      Number(d?.seconds ?? 0) * 1000 + Math.round((d?.nanos ?? 0) / 1e6);
    // A token exchange, then the attempt's four calls (lookup, its fallback, the create, the lookup before giving up),
    // each its pacer bound plus its timeout, and the 2 s the attempt keeps before Temporal's deadline.
    const worst = stack.aura.attemptBoundMs(4);
    assert.equal(ms(scheduled.startToCloseTimeout), worst + 2_000);
    assert.ok(
      ms(scheduled.heartbeatTimeout) > 0 && ms(scheduled.heartbeatTimeout) <= 10_000,
      'a lost worker is noticed within seconds',
    );
  });

  it("a refusal (403, no subscription) is not retried: one create, the incident fails with AURA's reason", async () => {
    const before = (await creates()).length;
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'no-sub', customerId: 184733, location: live });
    assert.equal(r.status, 202);
    const failed = await stack.incidentWhen('no-sub', (i) => i.phase === 'failed', 30_000);
    assert.match(failed.failure.message, /subscription/i);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal((await creates()).length - before, 1, 'exactly one create attempt');
  });
});
