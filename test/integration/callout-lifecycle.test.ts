// Callout lifecycles end to end on a real Temporal dev server, through the HTTP API, with the simulator over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { lifecycleWorkflowId } from '../../src/domain/incident.js';
import { eventually, startStack, startTemporal, type Stack } from '../helpers/stack.js';

const LIFECYCLE = ['created', 'Responder Dispatched', 'Responder Arrived', 'Responder Completed', 'closed'];
const live = { latitude: -26.10911, longitude: 28.053037, accuracy: 12 };

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const untilClosed = (stack: Stack, incidentId: string, timeoutMs = 30_000) =>
  stack.incidentWhen(incidentId, (b) => b.status === 'closed', timeoutMs);

describe('a callout followed by webhooks', () => {
  let stack: Stack;
  before(async () => {
    // Polling slower than the whole lifecycle: only webhooks can move it.
    stack = await startStack(env, {
      pollIntervalMs: 120_000,
      registerWebhook: true,
      simulator: { autopilot: { enabled: true, stepMs: 400, emitWebhooks: true } },
    });
  });
  after(() => stack.close());

  it('goes created → Dispatched → Arrived → Completed → closed, each once, and the workflows finish', async () => {
    const res = await stack.api('POST', '/v1/callouts', {
      incidentId: 'wh-1',
      customerId: 184708,
      responseType: 'SECURITY',
      location: live,
    });
    assert.equal(res.status, 202);
    assert.equal(res.body.incidentId, 'wh-1');
    assert.equal(res.body.workflowId, 'incident-wh-1');
    assert.equal(res.body.phase, 'requested');

    const incident = await untilClosed(stack, 'wh-1');
    assert.deepEqual(
      incident.timeline.map((t: any) => t.status),
      LIFECYCLE,
    );
    assert.equal(incident.phase, 'closed');
    assert.equal(incident.terminal, true);
    assert.equal(typeof incident.auraCalloutId, 'number');
    assert.match(incident.trackingUrl, /\/track\//);
    assert.ok(incident.responder?.callsign, 'responder known from the dispatch webhook');
    // Everything after the create answer came by webhook: no poll was due.
    assert.ok(incident.timeline.slice(1).every((t: any) => t.source === 'webhook'));
    const polls = (await stack.sim_('GET', '/__sim/requests')).filter(
      (r: any) => r.method === 'GET' && /^\/panic-api\/v2\/callouts\/\d+$/.test(r.path),
    );
    assert.equal(polls.length, 0);

    // Both workflows complete at closed (no rating window in this configuration).
    const result = await env.client.workflow.getHandle('incident-wh-1').result();
    assert.equal(result.status, 'closed');
    // The lifecycle completes just after the incident it told: wait for it rather than race it.
    await env.client.workflow.getHandle(lifecycleWorkflowId(incident.auraCalloutId)).result();
    const life = await env.client.workflow.getHandle(lifecycleWorkflowId(incident.auraCalloutId)).describe();
    assert.equal(life.status.name, 'COMPLETED');

    // One AURA callout for the incident.
    const callouts = await stack.sim_('GET', '/__sim/callouts');
    assert.equal(callouts.length, 1);
    assert.equal(callouts[0].id, incident.auraCalloutId);
  });

  it('keeps the search attributes current so the Temporal UI can filter by CalloutStatus', async () => {
    const { incidentId } = (
      await stack.api('POST', '/v1/callouts', { incidentId: 'wh-2', customerId: 184708, location: live })
    ).body;
    await untilClosed(stack, incidentId);
    const found = await eventually(async () => {
      const out: string[] = [];
      for await (const wf of env.client.workflow.list({ query: `CalloutStatus = 'closed' AND IncidentId = 'wh-2'` }))
        out.push(wf.workflowId);
      return out.includes('incident-wh-2') ? out : null;
    });
    assert.ok(found.includes('incident-wh-2'));
  });
});

describe('a callout followed by polling alone (the simulator emits no webhooks)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, {
      pollIntervalMs: 150,
      simulator: { autopilot: { enabled: true, stepMs: 500, emitWebhooks: false } },
    });
  });
  after(() => stack.close());

  it('reaches closed with every transition seen by a poll', async () => {
    await stack.api('POST', '/v1/callouts', { incidentId: 'poll-1', customerId: 184708, location: live });
    const incident = await untilClosed(stack, 'poll-1');
    const statuses = incident.timeline.map((t: any) => t.status);
    assert.deepEqual(statuses, LIFECYCLE);
    assert.equal(new Set(statuses).size, statuses.length, 'each transition once');
    assert.ok(incident.timeline.slice(1).every((t: any) => t.source === 'poll'));
    assert.equal((await stack.sim_('GET', '/__sim/deliveries')).length, 0);

    // Polling stops at closed.
    const count = async () =>
      (await stack.sim_('GET', '/__sim/requests')).filter(
        (r: any) => r.method === 'GET' && r.path.startsWith('/panic-api/v2/callouts/'),
      ).length;
    await env.client.workflow.getHandle('incident-poll-1').result();
    const before = await count();
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(await count(), before);

    // Reads that found nothing new cost the lifecycle no history: it schedules a read only per change it saw.
    const reads = (await stack.sim_('GET', '/__sim/requests')).filter(
      (r: any) => r.method === 'GET' && r.path === `/panic-api/v2/callouts/${incident.auraCalloutId}`,
    ).length;
    const events =
      (await env.client.workflow.getHandle(lifecycleWorkflowId(incident.auraCalloutId)).fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).length;
    assert.ok(scheduled < reads, `${scheduled} activities scheduled for ${reads} reads of the callout`);
    assert.ok(scheduled <= statuses.length + 2, `${scheduled} activities scheduled for ${statuses.length} transitions`);
  });

  it('an unknown status is shown as AURA sent it and the lifecycle goes on', async () => {
    await stack.sim_('PUT', '/__sim/autopilot', { enabled: false });
    const created = await stack.api('POST', '/v1/callouts', {
      incidentId: 'poll-unknown',
      customerId: 184708,
      location: live,
    });
    assert.equal(created.status, 202);
    const inc = await eventually(async () => (await stack.api('GET', '/v1/callouts/poll-unknown')).body.auraCalloutId);
    await stack.sim_('POST', `/__sim/callouts/${inc}/status`, { status: 'Responder Dispatched' });
    await eventually(async () => (await stack.api('GET', '/v1/callouts/poll-unknown')).body.phase === 'dispatched');
    await stack.sim_('POST', `/__sim/callouts/${inc}/status`, { status: 'Awaiting Supervisor Review' });
    const mid = await eventually(async () => {
      const b = (await stack.api('GET', '/v1/callouts/poll-unknown')).body;
      return b.status === 'Awaiting Supervisor Review' ? b : null;
    });
    assert.equal(mid.phase, 'dispatched');
    assert.equal(mid.terminal, false);
    await stack.sim_('POST', `/__sim/callouts/${inc}/status`, { status: 'closed' });
    const done = await untilClosed(stack, 'poll-unknown');
    assert.deepEqual(
      done.timeline.map((t: any) => t.status),
      ['created', 'Responder Dispatched', 'Awaiting Supervisor Review', 'closed'],
    );
  });
});

describe('one incident, one workflow, one AURA callout', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, {
      pollIntervalMs: 200,
      simulator: { autopilot: { enabled: false, stepMs: 1000, emitWebhooks: false } },
    });
  });
  after(() => stack.close());

  it('repeating POST /v1/callouts with the same incidentId answers 200 and creates nothing new', async () => {
    const body = { incidentId: 'dup-1', customerId: 184708, location: live };
    const first = await stack.api('POST', '/v1/callouts', body);
    assert.equal(first.status, 202);
    await eventually(async () => (await stack.api('GET', '/v1/callouts/dup-1')).body.auraCalloutId);
    const again = await Promise.all([stack.api('POST', '/v1/callouts', body), stack.api('POST', '/v1/callouts', body)]);
    for (const r of again) {
      assert.equal(r.status, 200);
      assert.equal(r.body.incidentId, 'dup-1');
      assert.equal(typeof r.body.auraCalloutId, 'number');
    }
    const creates = (await stack.sim_('GET', '/__sim/requests')).filter(
      (r: any) => r.method === 'POST' && /\/customers\/\d+\/callouts$/.test(r.path),
    );
    assert.equal(creates.length, 1);
    assert.equal((await stack.sim_('GET', '/__sim/callouts')).length, 1);
  });

  it('a second incident for a customer with an active callout joins that callout', async () => {
    const customerId = await stack.newCustomer();
    const before = (await stack.sim_('GET', '/__sim/callouts')).length;
    await stack.api('POST', '/v1/callouts', { incidentId: 'join-a', customerId, location: live });
    const a = await eventually(async () => (await stack.api('GET', '/v1/callouts/join-a')).body.auraCalloutId);
    await stack.api('POST', '/v1/callouts', { incidentId: 'join-b', customerId, location: live });
    const b = await eventually(async () => (await stack.api('GET', '/v1/callouts/join-b')).body.auraCalloutId);
    assert.equal(a, b);
    assert.equal((await stack.sim_('GET', '/__sim/callouts')).length, before + 1);
    await stack.sim_('POST', `/__sim/callouts/${a}/status`, { status: 'Responder Dispatched' });
    await stack.sim_('POST', `/__sim/callouts/${a}/status`, { status: 'closed' });
    const [ia, ib] = await Promise.all([untilClosed(stack, 'join-a'), untilClosed(stack, 'join-b')]);
    assert.deepEqual(ia.timeline, ib.timeline);
    assert.equal(ib.joined, true);
    assert.equal(ia.joined, undefined);
  });

  it("a customer without an active subscription: AURA refuses, the incident fails with AURA's reason", async () => {
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'nosub-1', customerId: 184733, location: live });
    assert.equal(r.status, 202);
    const failed = await eventually(async () => {
      const b = (await stack.api('GET', '/v1/callouts/nosub-1')).body;
      return b.phase === 'failed' ? b : null;
    });
    assert.equal(failed.terminal, true);
    assert.equal(failed.failure.code, 'AURA_FORBIDDEN');
    assert.match(failed.failure.message, /active subscription/);
    const creates = (await stack.sim_('GET', '/__sim/requests')).filter(
      (x: any) => x.path === '/panic-api/v2/customers/184733/callouts',
    );
    assert.equal(creates.length, 1, 'a refusal is not retried');
  });
});

describe('bounded history', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, {
      pollIntervalMs: 100,
      continueAsNewEvents: 50,
      registerWebhook: true,
      simulator: { autopilot: { enabled: true, stepMs: 1200, emitWebhooks: true } },
    });
  });
  after(() => stack.close());

  it('continues as new every ~50 events, carrying the whole state, and ends with the full timeline', async () => {
    await stack.api('POST', '/v1/callouts', {
      incidentId: 'can-1',
      customerId: await stack.newCustomer(),
      location: live,
    });
    // Quiet polls cost a lifecycle no history (the watch), so the history is driven by a customer's positions, each
    // sent to AURA by an activity of its own, as a People Protect app streams them.
    let open = true;
    const positions = (async () => {
      for (let k = 0; open; k++) {
        await stack.api('POST', '/v1/callouts/can-1/location', {
          latitude: live.latitude + k / 1e5,
          longitude: live.longitude,
        });
        await new Promise((r) => setTimeout(r, 120));
      }
    })();
    const incident = await untilClosed(stack, 'can-1', 40_000).finally(() => (open = false));
    await positions;
    assert.deepEqual(
      incident.timeline.map((t: any) => t.status),
      LIFECYCLE,
    );
    const workflowId = lifecycleWorkflowId(incident.auraCalloutId);
    await env.client.workflow.getHandle(workflowId).result();

    const runs: string[] = [];
    await eventually(async () => {
      runs.length = 0;
      for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(wf.runId);
      return runs.length > 2;
    });
    let longest = 0;
    for (const runId of runs) {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      longest = Math.max(longest, history.events?.length ?? 0);
    }
    // The threshold is checked once per loop turn, and a turn under load (signals arriving together) can add a
    // dozen or two events: bounded near the threshold, where a single run of this lifecycle would hold ~600.
    assert.ok(longest <= 2 * 50, `longest run had ${longest} events`);
  });
});
