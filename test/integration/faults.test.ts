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

const creates = async () => ((await stack.sim_('GET', '/__sim/requests')) as { method: string; path: string; status: number }[]).filter((r) => r.method === 'POST' && /\/v2\/customers\/\d+\/callouts$/.test(r.path));

describe('Panic API faults', () => {
  it('a create that succeeded at AURA but whose answer was lost is looked up, not repeated', async () => {
    const customerId = await stack.newCustomer();
    await stack.sim_('PUT', '/__sim/faults', { loseNextResponses: 1 });
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'lost-answer', customerId, location: live });
    assert.equal(r.status, 202);
    const inc = await stack.incidentWhen('lost-answer', (i) => i.auraCalloutId != null, 30_000);
    const mine = (await stack.sim_('GET', '/__sim/callouts')).filter((c: { customer?: { id: number } | null; customerId?: number }) => (c.customer?.id ?? c.customerId) === customerId);
    assert.equal(mine.length, 1, 'one AURA callout for the customer');
    const posts = await creates();
    assert.deepEqual(posts.map((p) => p.status), [0], 'one create reached AURA, and its answer was lost');
    assert.equal(inc.phase, 'requested');
  });

  it('server errors, 429 and dropped connections are retried until the callout is created and followed to closed', async () => {
    const customerId = await stack.newCustomer();
    const faults = await stack.sim_('PUT', '/__sim/faults', { apiErrorRate: 0.4, apiTimeoutMs: 500, seed: 7 });
    assert.equal(faults.apiErrorRate, 0.4);
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'flaky-api', customerId, location: live });
    assert.equal(r.status, 202);
    const inc = await stack.incidentWhen('flaky-api', (i) => i.auraCalloutId != null, 60_000);
    await stack.sim_('POST', `/__sim/callouts/${inc.auraCalloutId}/status`, { status: 'Responder Dispatched', webhook: false });
    await stack.incidentWhen('flaky-api', (i) => i.phase === 'dispatched', 60_000);
    await stack.sim_('POST', `/__sim/callouts/${inc.auraCalloutId}/status`, { status: 'closed', webhook: false });
    const closed = await stack.incidentWhen('flaky-api', (i) => i.phase === 'closed', 60_000);
    await stack.sim_('PUT', '/__sim/faults', {});
    const log = (await stack.sim_('GET', '/__sim/requests')) as { status: number }[];
    const statuses = new Set(log.map((x) => x.status));
    assert.ok([500, 502, 503].some((s) => statuses.has(s)), `server errors were injected (${[...statuses].join(', ')})`);
    assert.deepEqual(closed.timeline.map((t: { status: string }) => t.status), ['created', 'Responder Dispatched', 'closed']);
    const mine = (await stack.sim_('GET', '/__sim/callouts')).filter((c: { customer?: { id: number } | null; customerId?: number }) => (c.customer?.id ?? c.customerId) === customerId);
    assert.equal(mine.length, 1);
  });

  it('a refusal (403, no subscription) is not retried: one create, the incident fails with AURA\'s reason', async () => {
    const before = (await creates()).length;
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'no-sub', customerId: 184733, location: live });
    assert.equal(r.status, 202);
    const failed = await stack.incidentWhen('no-sub', (i) => i.phase === 'failed', 30_000);
    assert.match(failed.failure.message, /subscription/i);
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal((await creates()).length - before, 1, 'exactly one create attempt');
  });
});
