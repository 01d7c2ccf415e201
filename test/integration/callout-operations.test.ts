// What a person does to an open callout: positions, cancellation, notes, rating; and the platform write-back.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { signPlatformBody } from '../../src/activities/platform.js';
import { lifecycleWorkflowId } from '../../src/domain/incident.js';
import { LIVE_POSITION, openIncident, simRequests, startStack, startTemporal, type Stack } from '../helpers/stack.js';

const live = LIVE_POSITION;

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const until = (stack: Stack, incidentId: string, pred: (b: any) => boolean) => stack.incidentWhen(incidentId, pred);

const open = openIncident;
const requests = simRequests;

describe('customer positions', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 1_500 });
  });
  after(() => stack.close());

  it('a burst of 50 positions in 1 s makes at most 2 location calls, the newest position last', async () => {
    const id = await open(stack, 'loc-burst');
    // Sent on a fixed schedule (one every 20 ms), not one after another's answer, so the burst really lasts ~1 s
    // however slowly the API answers on a busy machine; the positions are numbered, so the newest is known.
    const send = (i: number) =>
      stack.api('POST', '/v1/callouts/loc-burst/location', {
        latitude: -26.1 + i / 1000,
        longitude: 28.05,
        accuracy: 5,
      });
    const sent = await Promise.all(
      Array.from({ length: 49 }, (_, i) => new Promise((res) => setTimeout(res, i * 20)).then(() => send(i))),
    );
    // The last one is sent once the others are answered, so it is the newest however a loaded machine orders them.
    sent.push(await send(49));
    assert.ok(sent.every((r) => r.status === 202));
    // Long enough for a second interval to pass: nothing more is sent without new positions.
    await new Promise((res) => setTimeout(res, 3_500));
    const calls = await requests(stack, new RegExp(`/v2/callouts/${id}/(location|locationAndReturnCallout)$`));
    assert.ok(calls.length >= 1 && calls.length <= 2, `${calls.length} location calls`);
    const c = (await stack.sim_('GET', '/__sim/callouts')).find((x: any) => x.id === id);
    assert.equal(c.incidentInformation[0].calloutCurrentLocation.latitude, String(-26.1 + 49 / 1000));
  });

  it("AURA's 285 on a position ends location sending and closes the incident; then the route answers 409", async () => {
    const id = await open(stack, 'loc-285');
    await stack.sim_('POST', `/__sim/callouts/${id}/status`, { status: 'closed' });
    await stack.api('POST', '/v1/callouts/loc-285/location', live);
    const inc = await until(stack, 'loc-285', (b) => b.status === 'closed');
    assert.equal(inc.phase, 'closed');
    const after285 = await stack.api('POST', '/v1/callouts/loc-285/location', live);
    assert.equal(after285.status, 409);
    assert.equal(after285.body.error.code, 'CALLOUT_CLOSED');
    const bad = await stack.api('POST', '/v1/callouts/loc-285/location', { latitude: 100, longitude: 0 });
    assert.equal(bad.status, 400);
  });
});

describe('cancellation', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 300, registerWebhook: true });
  });
  after(() => stack.close());

  it("a wrong safe code is 422 CANCEL_REJECTED with AURA's reason and the callout stays open", async () => {
    const id = await open(stack, 'cancel-wrong');
    const r = await stack.api('POST', '/v1/callouts/cancel-wrong/cancel', { safeCode: '0000' });
    assert.equal(r.status, 422);
    assert.equal(r.body.error.code, 'CANCEL_REJECTED');
    assert.match(r.body.error.message, /Invalid safe code/);
    const sim = (await stack.sim_('GET', '/__sim/callouts')).find((x: any) => x.id === id);
    assert.equal(sim.status, 'created');
    const inc = (await stack.api('GET', '/v1/callouts/cancel-wrong')).body;
    assert.equal(inc.terminal, false);
  });

  it("the customer's safe code cancels: Responder Cancelled, then closed, no rating requested by default", async () => {
    const id = await open(stack, 'cancel-ok');
    // The simulator's new customers have mobiles +2782xxxxxxx: the safe code is the last four digits.
    const mobile = (
      (await fetch(
        `${stack.sim.panicApiUrl}/v2/customers/${(await stack.sim_('GET', '/__sim/callouts')).find((x: any) => x.id === id).customer.id}`,
        { headers: { authorization: 'Bearer dev-token' } },
      ).then((r) => r.json())) as any
    ).customer.mobile;
    const r = await stack.api('POST', '/v1/callouts/cancel-ok/cancel', { safeCode: mobile.slice(-4) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'Responder Cancelled');
    assert.equal(r.body.phase, 'cancelled');
    const done = await until(stack, 'cancel-ok', (b) => b.status === 'closed');
    assert.deepEqual(
      done.timeline.map((t: any) => t.status),
      ['created', 'Responder Cancelled', 'closed'],
    );
    await env.client.workflow.getHandle(lifecycleWorkflowId(id)).result();
    assert.equal((await stack.api('GET', '/v1/callouts/cancel-ok')).body.rating.state, 'not_open');
    const events = (await stack.sim_('GET', '/__sim/deliveries'))
      .filter((d: any) => d.calloutId === id)
      .map((d: any) => d.event);
    assert.ok(
      events.includes('CALLOUT_NO_LONGER_REQUIRES_RESPONSE') && events.includes('CALLOUT_CLOSED'),
      events.join(),
    );
    const again = await stack.api('POST', '/v1/callouts/cancel-ok/cancel', { reasons: [] });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'CALLOUT_CLOSED');
  });

  it('an integration cancellation links its reasons to the callout', async () => {
    const id = await open(stack, 'cancel-int');
    const r = await stack.api('POST', '/v1/callouts/cancel-int/cancel', {
      reasons: ['FALSE_ALARM', 'Customer called back'],
    });
    assert.equal(r.status, 200);
    const linked = (await stack.sim_('GET', '/__sim/exceptionReasons'))
      .filter((x: any) => x.calloutId === id)
      .map((x: any) => x.notes);
    assert.deepEqual(linked, ['FALSE_ALARM', 'Customer called back']);
    const both = await stack.api('POST', '/v1/callouts/cancel-int/cancel', { safeCode: '1234', reasons: ['X'] });
    assert.equal(both.status, 400);
  });
});

describe('notes both ways', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, {
      pollIntervalMs: 300,
      eventsEveryPolls: 2,
      registerWebhook: true,
      webhookEvents: ['CALLOUT_EVENTS_CHANGED', 'CALLOUT_CLOSED'],
    });
  });
  after(() => stack.close());

  it("an operator note reaches AURA's event stream; controller messages come back as inbound notes, each once", async () => {
    const id = await open(stack, 'notes-1', { notes: 'Gate code 4411, dog on premises' });
    const r = await stack.api('POST', '/v1/callouts/notes-1/notes', {
      text: 'Customer not answering phone',
      author: 'operator-7',
    });
    assert.equal(r.status, 202);
    await stack.sim_('POST', `/__sim/callouts/${id}/events`, {
      message: 'Responder 5 minutes out',
      author: 'controller',
    });
    await stack.sim_('POST', `/__sim/callouts/${id}/events`, {
      message: 'Gate is locked, please advise',
      author: 'responder',
      webhook: false,
    });
    // Outbound notes show at once as pending and lose the mark once AURA has them: wait for both to be sent.
    const inc = await until(
      stack,
      'notes-1',
      (b) =>
        b.notes.filter((n: any) => n.direction === 'inbound').length >= 2 &&
        b.notes.length >= 4 &&
        b.notes.every((n: any) => !n.delivery),
    );
    // Let several more polls (and their event reads) pass: nothing is added twice.
    await new Promise((res) => setTimeout(res, 1_500));
    const later = (await stack.api('GET', '/v1/callouts/notes-1')).body;
    assert.deepEqual(later.notes, inc.notes);
    assert.deepEqual(later.notes.map((n: any) => [n.direction, n.text]).sort(), [
      ['inbound', 'Gate is locked, please advise'],
      ['inbound', 'Responder 5 minutes out'],
      ['outbound', 'Customer not answering phone'],
      ['outbound', 'Gate code 4411, dog on premises'],
    ]);
    const simEvents = (await stack.sim_('GET', '/__sim/callouts'))
      .find((x: any) => x.id === id)
      .incidentInformation[0].calloutEvents.map((e: any) => e.message);
    assert.ok(simEvents.includes('operator-7: Customer not answering phone'), simEvents.join(' | '));
    assert.ok(simEvents.includes('intake: Gate code 4411, dog on premises'));
  });
});

describe('rating', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { pollIntervalMs: 200, ratingWindowMs: 60_000 });
  });
  after(() => stack.close());

  it('opens at closed, takes one rating, sends it to AURA and completes', async () => {
    const id = await open(stack, 'rate-1');
    const early = await stack.api('POST', '/v1/callouts/rate-1/rating', { rating: 5 });
    assert.equal(early.status, 409);
    assert.equal(early.body.error.code, 'RATING_NOT_OPEN');
    await stack.sim_('POST', `/__sim/callouts/${id}/status`, { status: 'closed' });
    const requested = await until(stack, 'rate-1', (b) => b.rating.state === 'requested');
    assert.equal(requested.status, 'closed');
    // Polling and positions stop at closed.
    const polls = (await requests(stack, new RegExp(`/v2/callouts/${id}$`), 'GET')).length;
    const r = await stack.api('POST', '/v1/callouts/rate-1/rating', { rating: 4, comment: 'Fast and kind' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.rating, { state: 'submitted', value: 4, comment: 'Fast and kind' });
    const ratings = (await stack.sim_('GET', '/__sim/ratings')).filter((x: any) => x.calloutId === id);
    assert.deepEqual(
      ratings.map((x: any) => [x.rating, x.comment]),
      [[4, 'Fast and kind']],
    );
    await env.client.workflow.getHandle('incident-rate-1').result();
    assert.equal((await requests(stack, new RegExp(`/v2/callouts/${id}$`), 'GET')).length, polls);
    const twice = await stack.api('POST', '/v1/callouts/rate-1/rating', { rating: 3 });
    assert.equal(twice.status, 409);
    const bad = await stack.api('POST', '/v1/callouts/rate-1/rating', { rating: 6 });
    assert.equal(bad.status, 400);
  });

  it('expires when no rating comes within the window, and the workflow completes', async () => {
    const short = await startStack(env, { pollIntervalMs: 200, ratingWindowMs: 800 });
    try {
      const id = await open(short, 'rate-expire');
      await short.sim_('POST', `/__sim/callouts/${id}/status`, { status: 'closed' });
      const result = await env.client.workflow.getHandle('incident-rate-expire').result();
      assert.equal(result.rating.state, 'expired');
      const late = await short.api('POST', '/v1/callouts/rate-expire/rating', { rating: 5 });
      assert.equal(late.status, 409);
      assert.equal(late.body.error.code, 'RATING_NOT_OPEN');
    } finally {
      await short.close();
    }
  });
});

describe('adaptive polling', () => {
  it('polls slowly while webhooks flow and fast while they are silent', async () => {
    // Steps long enough against the fast interval that the two modes differ by far more than scheduling noise.
    const stepMs = 1_500;
    const pollMs = 200;
    const count = async (emitWebhooks: boolean) => {
      const stack = await startStack(env, {
        pollIntervalMs: pollMs,
        pollIntervalSlowMs: 20_000,
        registerWebhook: true,
        simulator: { autopilot: { enabled: true, stepMs, emitWebhooks } },
      });
      try {
        const id = await open(stack, `adaptive-${emitWebhooks}`);
        await until(stack, `adaptive-${emitWebhooks}`, (b) => b.status === 'closed');
        return (await requests(stack, new RegExp(`/v2/callouts/${id}$`), 'GET')).length;
      } finally {
        await stack.close();
      }
    };
    const flowing = await count(true);
    const silent = await count(false);
    // Before the first webhook-reported transition the lifecycle polls fast (webhooks have not earned trust yet),
    // so flowing allows about one step's worth of fast polls, and nothing after.
    assert.ok(flowing <= stepMs / pollMs + 2, `with webhooks flowing: ${flowing} polls`);
    assert.ok(silent >= 3 * Math.max(flowing, 2), `with webhooks silent: ${silent} polls (flowing: ${flowing})`);
  });
});

describe('write-back to the platform', () => {
  let receiver: Server;
  const seen: { id: string; body: any; signature: string | undefined; status: number }[] = [];
  let url = '';
  const secret = 'platform-secret-0123456789';
  before(async () => {
    let attempts = 0;
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        attempts++;
        // The platform fails the first two attempts outright.
        const status = attempts <= 2 ? 503 : 200;
        seen.push({
          id: String(req.headers['idempotency-key']),
          body: JSON.parse(body),
          signature: req.headers['x-aura-callouts-signature'] as string,
          status,
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
  });
  after(() => receiver.close());

  it('posts every status change and note once each, signed, retried until accepted, in order', async () => {
    const stack = await startStack(env, {
      pollIntervalMs: 200,
      platformEventsUrl: url,
      platformEventsSecret: secret,
      ratingWindowMs: 300,
    });
    try {
      const id = await open(stack, 'wb-1');
      await stack.api('POST', '/v1/callouts/wb-1/notes', { text: 'On our way' });
      await until(stack, 'wb-1', (b) => b.notes.length === 1);
      for (const status of ['Responder Dispatched', 'Responder Arrived', 'closed']) {
        await stack.sim_('POST', `/__sim/callouts/${id}/status`, { status });
        await until(stack, 'wb-1', (b) => b.status === status);
      }
      await env.client.workflow.getHandle('incident-wb-1').result();
    } finally {
      await stack.close();
    }
    const accepted = seen.filter((s) => s.status === 200);
    const ids = accepted.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length, 'each event accepted once');
    assert.equal(seen.filter((s) => s.status === 503).length, 2);
    assert.deepEqual(
      seen.slice(0, 3).map((s) => s.id),
      [seen[0]!.id, seen[0]!.id, seen[0]!.id],
      'the failed event is retried before any other',
    );
    assert.deepEqual(
      accepted.map((s) => s.body.action ?? s.body.type),
      [
        'response_requested',
        'response_requested',
        'incident.note',
        'responder_dispatched',
        'responder_on_location',
        'lifecycle_closed',
        'incident.rating_requested',
      ],
    );
    for (const s of accepted) {
      const t = Number(/t=(\d+)/.exec(s.signature ?? '')?.[1]);
      assert.equal(s.signature, signPlatformBody(secret, t, JSON.stringify(s.body)));
      assert.equal(s.body.incidentId, 'wb-1');
    }
    assert.equal(accepted.find((s) => s.body.status === 'Responder Arrived')?.body.phase, 'on_scene');
  });
});
