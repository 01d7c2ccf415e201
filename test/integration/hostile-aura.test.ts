// A hostile AURA and a platform that is down, on the real stack (dev server, simulator over HTTP, worker, API):
// route faults that answer differently from the reference, lost wake-ups, two callers at once, a dead lifecycle.
// Each case failed on the code before the v2 lifecycle and incident workflows.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cancelUpdate } from '../../src/workflows/messages.js';
import { lifecycleWorkflowId } from '../../src/domain/incident.js';
import {
  eventually,
  LIVE_POSITION,
  openIncident,
  simRequests,
  startStack,
  startTemporal,
  type Stack,
} from '../helpers/stack.js';

const live = LIVE_POSITION;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const setStatus = (stack: Stack, id: number, status: string, webhook = false) =>
  stack.sim_('POST', `/__sim/callouts/${id}/status`, { status, webhook });
const open = openIncident;
const requests = simRequests;

describe('polling never stops before closed', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 500 });
  });
  after(() => stack.close());

  it('location routes answering 404 for good, webhooks off: the callout still reads closed within a poll interval of AURA closing it', async () => {
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [
        { method: 'POST', path: '/panic-api/v2/callouts/*/location*', status: 404, body: { message: 'Not found' } },
      ],
    });
    const id = await open(stack, 'poll-404');
    const r = await stack.api('POST', '/v1/callouts/poll-404/location', { latitude: -26.2, longitude: 28.1 });
    assert.equal(r.status, 202);
    await eventually(async () => (await requests(stack, new RegExp(`/v2/callouts/${id}/location`))).length >= 1);
    await setStatus(stack, id, 'Responder Dispatched');
    await stack.incidentWhen('poll-404', (b) => b.status === 'Responder Dispatched', 3_000);
    await stack.api('POST', '/v1/callouts/poll-404/location', { latitude: -26.3, longitude: 28.1 });
    // Closed only once the second position was tried: a position still waiting when the callout closes is rightly
    // never sent (AURA takes none after closed), and the watch may read closed first.
    await eventually(async () => (await stack.sim_('GET', '/__sim/faults')).routes[0].hits >= 2);
    await setStatus(stack, id, 'closed');
    const closed = await stack.incidentWhen('poll-404', (b) => b.status === 'closed', 3_000);
    // The dropped position is said on the incident, once for the error.
    const dropped = closed.notes.filter((n: any) => /position could not be sent/i.test(n.text));
    assert.equal(dropped.length, 1, JSON.stringify(closed.notes));
    assert.equal(dropped[0].delivery, 'failed');
    // AURA's answer is said once, as the client words it.
    assert.match(dropped[0].text, /dropped: AURA answered 404 to /, dropped[0].text);
    assert.doesNotMatch(dropped[0].text, /AURA answered AURA answered/);
    const faults = await stack.sim_('GET', '/__sim/faults');
    assert.ok(faults.routes[0].hits >= 2, 'both positions were tried');
  });
});

describe('no lost wake-up', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 60_000, pollIntervalSlowMs: 60_000, registerWebhook: true });
  });
  after(() => stack.close());

  it('slow interval 60 s: 20 webhook transitions in bursts, each reflected in a read within 2 s', async () => {
    const ids: [string, number][] = [];
    for (let i = 0; i < 5; i++) ids.push([`wake-${i}`, await open(stack, `wake-${i}`)]);
    // Two bursts of two transitions per callout, 20 ms apart: the second arrives while the first is published.
    for (const pair of [
      ['Responder Dispatched', 'Responder Arrived'],
      ['Responder Completed', 'closed'],
    ]) {
      await Promise.all(
        ids.map(async ([, id]) => {
          await setStatus(stack, id, pair[0]!, true);
          await sleep(20);
          await setStatus(stack, id, pair[1]!, true);
        }),
      );
      for (const [incidentId] of ids) await stack.incidentWhen(incidentId, (b) => b.status === pair[1], 2_000);
    }
    for (const [incidentId] of ids) {
      // Two deliveries 20 ms apart may reach the receiver out of order: the later status wins, the earlier is late.
      const b = (await stack.api('GET', `/v1/callouts/${incidentId}`)).body;
      const timeline = b.timeline.map((t: any) => t.status);
      assert.ok(timeline.includes('Responder Arrived') && timeline.at(-1) === 'closed', JSON.stringify(timeline));
    }
  });
});

describe('notes', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 500 });
  });
  after(() => stack.close());

  it('relaying notes never blocks polling: events route answering 500 → a closed callout reads closed, the note still on the incident', async () => {
    const id = await open(stack, 'note-500');
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [{ method: 'POST', path: '/panic-api/v2/callouts/*/events', status: 500 }],
    });
    assert.equal(
      (await stack.api('POST', '/v1/callouts/note-500/notes', { text: 'Gate code 4411', author: 'op-7' })).status,
      202,
    );
    assert.equal((await stack.api('POST', '/v1/callouts/note-500/notes', { text: 'Dog on site' })).status, 202);
    const pending = await stack.incidentWhen('note-500', (b) => b.notes.length === 2, 3_000);
    assert.deepEqual(
      pending.notes.map((n: any) => [n.text, n.delivery]),
      [
        ['Gate code 4411', 'pending'],
        ['Dog on site', 'pending'],
      ],
    );
    await eventually(async () => (await stack.sim_('GET', '/__sim/faults')).routes[0].hits >= 2);
    await setStatus(stack, id, 'closed');
    const closed = await stack.incidentWhen('note-500', (b) => b.status === 'closed', 2_000);
    // The note in flight may still be retrying; the one behind it can no longer reach AURA: marked, never dropped.
    const texts = closed.notes.map((n: any) => n.text);
    assert.deepEqual(texts, ['Gate code 4411', 'Dog on site']);
    const dog = closed.notes[1];
    assert.equal(dog.delivery, 'failed');
    assert.match(dog.detail, /closed/);
    await stack.sim_('PUT', '/__sim/faults', {});
  });

  it('notes sent in a burst while the incident is being opened all reach AURA, each once', async () => {
    await stack.sim_('PUT', '/__sim/faults', {});
    const customerId = await stack.newCustomer();
    const post = stack.api('POST', '/v1/callouts', { incidentId: 'note-burst', customerId, location: live });
    const texts = Array.from({ length: 25 }, (_, i) => `note ${i}`);
    const sent = await Promise.all(
      texts.map((text, i) =>
        sleep(i * 15).then(async () => {
          for (;;) {
            const r = await stack.api('POST', '/v1/callouts/note-burst/notes', { text });
            if (r.status !== 404) return r; // 404 until the workflow exists
            await sleep(5);
          }
        }),
      ),
    );
    assert.equal((await post).status, 202);
    assert.ok(sent.every((r) => r.status === 202));
    let last: any;
    const b = await stack
      .incidentWhen(
        'note-burst',
        (x) => (last = x).notes.filter((n: any) => !n.delivery).length === texts.length,
        10_000,
      )
      .catch((err) => assert.fail(`${err.message}: ${JSON.stringify(last?.notes)}`));
    assert.deepEqual(b.notes.map((n: any) => n.text).sort(), [...texts].sort());
    const events = (await stack.sim_('GET', '/__sim/callouts')).find((c: any) => c.id === b.auraCalloutId);
    assert.ok(events, 'the callout exists');
    const posted = await requests(stack, new RegExp(`/v2/callouts/${b.auraCalloutId}/events$`));
    assert.equal(posted.length, texts.length, 'each note sent to AURA once');
  });
});

describe('updates are once and answer truthfully; a read after a write shows it', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 300, ratingWindowMs: 30_000 });
  });
  after(() => stack.close());

  it('two cancellations at once reach AURA once (the other is 409); the next GET shows the cancellation', async () => {
    const id = await open(stack, 'cancel-twice');
    await stack.sim_('PUT', '/__sim/faults', { apiLatencyMs: 300 });
    const [a, b] = await Promise.all([
      stack.api('POST', '/v1/callouts/cancel-twice/cancel', { reasons: ['FALSE_ALARM'] }),
      stack.api('POST', '/v1/callouts/cancel-twice/cancel', { reasons: ['FALSE_ALARM'] }),
    ]);
    await stack.sim_('PUT', '/__sim/faults', {});
    assert.deepEqual([a.status, b.status].sort(), [200, 409], JSON.stringify([a.body, b.body]));
    const read = await stack.api('GET', '/v1/callouts/cancel-twice');
    assert.equal(read.body.phase, 'cancelled');
    assert.ok(
      read.body.notes.some((n: any) => /Cancellation requested by integration/.test(n.text)),
      JSON.stringify(read.body.notes),
    );
    assert.equal((await requests(stack, new RegExp(`/v2/callouts/${id}/cancel$`))).length, 1);
  });

  it("a cancellation delivered in a lifecycle's first activation is handled, not rejected for want of a handler", async () => {
    const customerId = await stack.newCustomer();
    const { callout } = await stack.aura.createCustomerCallout({ customerId, responseTypeId: 1, location: live });
    const view = await env.client.workflow.executeUpdateWithStart(cancelUpdate, {
      args: [{ reasons: ['FALSE_ALARM'] }],
      startWorkflowOperation: new WithStartWorkflowOperation('calloutLifecycleWorkflow', {
        workflowId: lifecycleWorkflowId(callout.id),
        taskQueue: stack.taskQueue,
        args: [{ auraCalloutId: callout.id }],
        workflowIdConflictPolicy: 'FAIL',
      }),
    });
    assert.ok(
      view.notes.some((n) => /Cancellation requested by integration/.test(n.text)),
      JSON.stringify(view),
    );
    assert.equal((await requests(stack, new RegExp(`/v2/callouts/${callout.id}/cancel$`))).length, 1);
  });

  it('two ratings at once reach AURA once; an AURA refusal is a 4xx with its message; the next GET shows the rating', async () => {
    const id = await open(stack, 'rate-twice');
    await setStatus(stack, id, 'closed');
    await stack.incidentWhen('rate-twice', (b) => b.rating.state === 'requested', 5_000);
    await stack.sim_('PUT', '/__sim/faults', {
      routes: [
        {
          method: 'POST',
          path: '/panic-api/v2/ratings',
          status: 400,
          body: { message: 'Rating comment too long' },
          times: 1,
        },
      ],
    });
    const refused = await stack.api('POST', '/v1/callouts/rate-twice/rating', { rating: 4, comment: 'x' });
    assert.equal(refused.status, 422, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'RATING_REJECTED');
    assert.match(refused.body.error.message, /Rating comment too long/);
    await stack.sim_('PUT', '/__sim/faults', { apiLatencyMs: 300 });
    const [a, b] = await Promise.all([
      stack.api('POST', '/v1/callouts/rate-twice/rating', { rating: 5 }),
      stack.api('POST', '/v1/callouts/rate-twice/rating', { rating: 5 }),
    ]);
    await stack.sim_('PUT', '/__sim/faults', {});
    assert.deepEqual([a.status, b.status].sort(), [200, 409], JSON.stringify([a.body, b.body]));
    const read = await stack.api('GET', '/v1/callouts/rate-twice');
    assert.deepEqual([read.body.rating.state, read.body.rating.value], ['submitted', 5]);
    const ratings = (await stack.sim_('GET', '/__sim/ratings')).filter((r: any) => r.calloutId === id);
    assert.equal(ratings.length, 1);
  });
});

describe('a dead lifecycle is not the end', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 300, registerWebhook: true, lifecycleLivenessMs: 1_000 });
  });
  after(() => stack.close());

  it('terminated by an operator: the next webhook follows the callout again and the incident takes its views', async () => {
    const id = await open(stack, 'dead-webhook');
    await setStatus(stack, id, 'Responder Dispatched', true);
    await stack.incidentWhen('dead-webhook', (b) => b.status === 'Responder Dispatched', 5_000);
    await env.client.workflow.getHandle(lifecycleWorkflowId(id)).terminate('operator test');
    // A note while no lifecycle runs: accepted, and it reaches AURA once a lifecycle follows the callout again.
    assert.equal(
      (await stack.api('POST', '/v1/callouts/dead-webhook/notes', { text: 'while it was down' })).status,
      202,
    );
    await setStatus(stack, id, 'Responder Arrived', true);
    const arrived = await stack.incidentWhen('dead-webhook', (b) => b.status === 'Responder Arrived', 10_000);
    // The restarted lifecycle took the incident's view as its base: nothing earlier is lost.
    assert.deepEqual(
      arrived.timeline.map((t: any) => t.status),
      ['created', 'Responder Dispatched', 'Responder Arrived'],
    );
    const noted = await stack.incidentWhen(
      'dead-webhook',
      (b) => b.notes.some((n: any) => n.text === 'while it was down' && !n.delivery),
      10_000,
    );
    assert.equal(noted.notes.filter((n: any) => n.text === 'while it was down').length, 1);
    assert.equal((await requests(stack, new RegExp(`/v2/callouts/${id}/events$`))).length, 1, 'sent to AURA once');
    await setStatus(stack, id, 'closed');
    await stack.incidentWhen('dead-webhook', (b) => b.status === 'closed', 10_000);
    assert.equal((await stack.sim_('GET', '/__sim/callouts')).filter((c: any) => c.id === id).length, 1);
  });

  it("failed or terminated with webhooks silent: the incident's liveness check starts it again", async () => {
    const id = await open(stack, 'dead-quiet');
    await env.client.workflow.getHandle(lifecycleWorkflowId(id)).terminate('operator test');
    await setStatus(stack, id, 'Responder Dispatched');
    await stack.incidentWhen('dead-quiet', (b) => b.status === 'Responder Dispatched', 10_000);
    await setStatus(stack, id, 'closed');
    await stack.incidentWhen('dead-quiet', (b) => b.status === 'closed', 10_000);
  });
});

describe('a platform outage never freezes an incident', () => {
  let receiver: Server;
  let up = false;
  const seen: { id: string; status: number; body: any }[] = [];
  let url = '';
  before(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const status = up ? 200 : 503;
        seen.push({ id: String(req.headers['idempotency-key']), status, body: JSON.parse(body) });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  });
  after(() => receiver.close());

  it('receiver down while the callout runs to closed: reads stay current; once it is back every event arrives once, in order', async () => {
    // Continue-as-new every few events, so that the incident continues as new during the outage.
    const stack = await startStack(env, {
      pollIntervalMs: 300,
      platformEventsUrl: url,
      platformEventsSecret: 'platform-secret-0123456789',
      ratingWindowMs: 300,
      continueAsNewEvents: 20,
    });
    try {
      const id = await open(stack, 'outage-1');
      for (const status of ['Responder Dispatched', 'Responder Arrived', 'Responder Completed', 'closed']) {
        await setStatus(stack, id, status);
        await stack.incidentWhen('outage-1', (b) => b.status === status, 5_000);
      }
      assert.ok(seen.length > 0 && seen.every((s) => s.status === 503));
      up = true;
      await env.client.workflow.getHandle('incident-outage-1').result();
    } finally {
      await stack.close();
    }
    const accepted = seen.filter((s) => s.status === 200);
    const ids = accepted.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length, 'each event accepted once');
    assert.deepEqual(
      accepted.map((s) => s.body.action ?? s.body.type),
      [
        'response_requested',
        'response_requested',
        'responder_dispatched',
        'responder_on_location',
        'response_complete',
        'lifecycle_closed',
        'incident.rating_requested',
      ],
    );
  });
});
