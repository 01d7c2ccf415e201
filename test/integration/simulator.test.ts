// The AURA simulator over HTTP: the documented Panic API behaviour that the service and outside tests rely on.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';

let sim: RunningSimulator;
const received: { headers: IncomingHttpHeaders; body: any }[] = [];
let hookUrl = '';
const hook = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    received.push({ headers: req.headers, body: JSON.parse(body) });
    res.writeHead(200).end();
  });
});

async function call(method: string, path: string, body?: unknown, token: string | null = 'dev-token') {
  const res = await fetch(sim.url + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  sim = await startSimulator({ cancelCloseMs: 200 });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
});
after(async () => {
  await sim.close();
  hook.close();
});
beforeEach(async () => {
  await call('POST', '/__sim/reset', undefined, null);
  received.length = 0;
});

const until = async (fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('simulator: authentication', () => {
  it("issues tokens for dev-client/dev-secret, accepts dev-token, and answers 401 with AURA's body otherwise", async () => {
    const t = await call(
      'POST',
      '/panic-api/v2/oauth/token',
      { clientId: 'dev-client', clientSecret: 'dev-secret' },
      null,
    );
    assert.equal(t.status, 200);
    assert.equal(typeof t.body.accessToken, 'string');
    assert.equal(t.body.expiresIn, 3600);
    assert.equal(
      (await call('GET', '/panic-api/v2/callouts/activeCallouts', undefined, t.body.accessToken)).status,
      200,
    );
    assert.equal((await call('GET', '/panic-api/v2/callouts/activeCallouts')).status, 200);
    const none = await call('GET', '/panic-api/v2/callouts/activeCallouts', undefined, null);
    assert.deepEqual([none.status, none.body], [401, { errors: 'No authorization token was found' }]);
    assert.equal(
      (await call('POST', '/panic-api/v2/oauth/token', { clientId: 'dev-client', clientSecret: 'x' }, null)).status,
      401,
    );
  });
});

describe('simulator: callouts', () => {
  it('creates a live callout (flat answer with url), reads it nested, returns the existing active callout again', async () => {
    const c = await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: -26.1, longitude: 28.05, accuracy: 5 },
      responseTypeId: 1,
    });
    assert.equal(c.status, 201);
    assert.equal(c.body.callout.status, 'created');
    assert.match(c.body.callout.url, /\/track\//);
    assert.equal(c.body.callout.incidentInformation, undefined);
    const again = await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: -26.1, longitude: 28.05 },
      responseTypeId: 1,
    });
    assert.deepEqual([again.status, again.body.callout.id], [200, c.body.callout.id]);
    const read = await call('GET', `/panic-api/v2/callouts/${c.body.callout.id}`);
    const info = read.body.callout.incidentInformation[0];
    assert.equal(info.calloutCurrentLocation.latitude, '-26.1');
    assert.ok('dispatchInformation' in info);
  });

  it('refuses both/neither location kinds (400), unknown customers (404), and live callouts without a subscription (403)', async () => {
    assert.equal(
      (
        await call('POST', '/panic-api/v2/customers/184708/callouts', {
          location: { latitude: 1, longitude: 1 },
          predefinedLocationId: 3,
          responseTypeId: 1,
        })
      ).status,
      400,
    );
    assert.equal((await call('POST', '/panic-api/v2/customers/184708/callouts', { responseTypeId: 1 })).status, 400);
    assert.equal(
      (
        await call('POST', '/panic-api/v2/customers/999/callouts', {
          location: { latitude: 1, longitude: 1 },
          responseTypeId: 1,
        })
      ).status,
      404,
    );
    const nosub = await call('POST', '/panic-api/v2/customers/184733/callouts', {
      location: { latitude: 1, longitude: 1 },
      responseTypeId: 1,
    });
    assert.equal(nosub.status, 403);
    assert.match(nosub.body.message, /subscription/);
  });

  it('answers location updates after closed with 285 and the latest callout, on both routes', async () => {
    const c = await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: 1, longitude: 1 },
      responseTypeId: 1,
    });
    const id = c.body.callout.id;
    assert.equal(
      (await call('POST', `/panic-api/v2/callouts/${id}/location`, { latitude: 2, longitude: 2 })).status,
      200,
    );
    const open = await call('POST', `/panic-api/v2/callouts/${id}/locationAndReturnCallout`, {
      latitude: 3,
      longitude: 3,
    });
    assert.equal(open.body.callout.incidentInformation[0].calloutCurrentLocation.latitude, '3');
    await call('POST', `/__sim/callouts/${id}/status`, { status: 'closed' }, null);
    for (const path of ['location', 'locationAndReturnCallout']) {
      const r = await call('POST', `/panic-api/v2/callouts/${id}/${path}`, { latitude: 4, longitude: 4 });
      assert.equal(r.status, 285);
      assert.equal(r.body.callout.status, 'closed');
    }
  });

  it('cancels with the right safe code (Responder Cancelled, then closed) and refuses a wrong one', async () => {
    const c = await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: 1, longitude: 1 },
      responseTypeId: 1,
    });
    const id = c.body.callout.id;
    const wrong = await call('POST', `/panic-api/v2/callouts/${id}/cancel`, { safeCode: '0000' });
    assert.equal(wrong.status, 400);
    const ok = await call('POST', `/panic-api/v2/callouts/${id}/cancel`, { safeCode: '4567' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.callout.status, 'Responder Cancelled');
    await until(() => sim.state.callouts.get(id)?.status === 'closed');
  });
});

describe('simulator: webhooks', () => {
  it("registers with AURA's exact 200 and 400 bodies, one webhook per source (again replaces)", async () => {
    const good = await call('POST', '/panic-api/v2/notifiers/webhooks', {
      url: hookUrl,
      events: ['NEW_CALLOUT'],
      method: 'webhook',
      headers: { authorization: 'Bearer x' },
    });
    assert.equal(good.status, 200);
    assert.equal(good.body.message, 'Successfully updated notifier webhook config');
    assert.deepEqual(good.body.notifier.config[0].events, ['NEW_CALLOUT']);
    for (const bad of [
      { url: hookUrl, events: ['NOT_AN_EVENT'] },
      { url: 'http://example.com/hook', events: ['NEW_CALLOUT'] },
      { url: 'not a url', events: ['NEW_CALLOUT'] },
      { url: hookUrl, events: [] },
    ]) {
      const r = await call('POST', '/panic-api/v2/notifiers/webhooks', bad);
      assert.deepEqual(
        [r.status, r.body],
        [400, { error: 'Invalid webhook configuration object. Please check your request.' }],
        JSON.stringify(bad),
      );
    }
    const unauth = await call(
      'POST',
      '/panic-api/v2/notifiers/webhooks',
      { url: hookUrl, events: ['NEW_CALLOUT'] },
      null,
    );
    assert.deepEqual([unauth.status, unauth.body], [401, { errors: 'No authorization token was found' }]);
    await call('POST', '/panic-api/v2/notifiers/webhooks', { url: hookUrl, events: ['CALLOUT_CLOSED'] });
    assert.deepEqual(sim.state.webhook?.events, ['CALLOUT_CLOSED']);
  });

  it('delivers each subscribed event once, with the registered headers, and logs every attempt', async () => {
    await call('POST', '/panic-api/v2/notifiers/webhooks', {
      url: hookUrl,
      events: [
        'NEW_CALLOUT',
        'RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA',
        'RESPONDER_ARRIVED_ON_SCENE',
        'CALLOUT_CLOSED',
      ],
      headers: { authorization: 'Bearer hook-secret', 'x-extra': 'yes' },
    });
    await call('PUT', '/__sim/autopilot', { enabled: true, stepMs: 50, emitWebhooks: true }, null);
    await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: 1, longitude: 1 },
      responseTypeId: 1,
    });
    await until(() => received.some((r) => r.body.message === 'CALLOUT_CLOSED'));
    const messages = received.map((r) => r.body.message);
    // Completed was not subscribed; the deprecated _WITH_ETA registration receives RESPONDER_ACKNOWLEDGED_CALLOUT.
    assert.deepEqual(messages, [
      'NEW_CALLOUT',
      'RESPONDER_ACKNOWLEDGED_CALLOUT',
      'RESPONDER_ARRIVED_ON_SCENE',
      'CALLOUT_CLOSED',
    ]);
    assert.ok(
      received.every((r) => r.headers.authorization === 'Bearer hook-secret' && r.headers['x-extra'] === 'yes'),
    );
    const arrived = received[2]!.body;
    assert.equal(arrived.callout.incidentInformation[0].status, 'Responder Arrived');
    assert.equal(received[0]!.body.callout.location.calloutId, received[0]!.body.callout.id);
    const deliveries = (await call('GET', '/__sim/deliveries', undefined, null)).body;
    assert.equal(deliveries.length, 4);
    assert.ok(deliveries.every((d: any) => d.outcome === 'delivered'));
  });

  it("the autopilot moves callouts without webhooks unless asked (like AURA staging's Responder Simulator)", async () => {
    await call('POST', '/panic-api/v2/notifiers/webhooks', {
      url: hookUrl,
      events: ['RESPONDER_ARRIVED_ON_SCENE', 'CALLOUT_CLOSED'],
    });
    await call('PUT', '/__sim/autopilot', { enabled: true, stepMs: 30, emitWebhooks: false }, null);
    const c = await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: 1, longitude: 1 },
      responseTypeId: 1,
    });
    await until(() => sim.state.callouts.get(c.body.callout.id)?.status === 'closed');
    assert.equal(received.length, 0);
    const requests = (await call('GET', '/__sim/requests', undefined, null)).body;
    assert.ok(requests.some((r: any) => r.method === 'POST' && r.status === 201));
    const callouts = (await call('GET', '/__sim/callouts', undefined, null)).body;
    assert.equal(callouts[0].status, 'closed');
  });
});

describe('simulator: reset and route faults (contract §5)', () => {
  it('a reset keeps the webhook registration (it is configuration), so deliveries go on after it', async () => {
    await call('POST', '/panic-api/v2/notifiers/webhooks', {
      url: hookUrl,
      events: ['NEW_CALLOUT'],
      headers: { authorization: 'Bearer x' },
    });
    await call('POST', '/__sim/reset', undefined, null);
    assert.deepEqual(sim.state.webhook?.events, ['NEW_CALLOUT']);
    await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: 1, longitude: 1 },
      responseTypeId: 1,
    });
    await until(() => received.some((r) => r.body.message === 'NEW_CALLOUT'));
  });

  it('answers a status and body for matching requests, for a number of times, and reports each rule with its hits', async () => {
    const c = await call('POST', '/panic-api/v2/customers/184708/callouts', {
      location: { latitude: 1, longitude: 1 },
      responseTypeId: 1,
    });
    const id = c.body.callout.id as number;
    const put = await call(
      'PUT',
      '/__sim/faults',
      {
        routes: [
          { method: 'POST', path: '/panic-api/v2/callouts/*/location*', status: 404, times: 2 },
          { method: '*', path: '/panic-api/**/events', status: 200, body: { results: [] } },
          { method: 'GET', path: '/panic-api/v2/callouts/*', status: 500, rate: 0 },
        ],
      },
      null,
    );
    assert.equal(put.status, 200);
    for (let i = 0; i < 2; i++) {
      const r = await call('POST', `/panic-api/v2/callouts/${id}/locationAndReturnCallout`, {
        latitude: 2,
        longitude: 2,
      });
      assert.deepEqual([r.status, r.body], [404, { message: 'Injected route fault' }]);
    }
    // `times` used up: the route answers as documented again.
    assert.equal(
      (await call('POST', `/panic-api/v2/callouts/${id}/location`, { latitude: 2, longitude: 2 })).status,
      200,
    );
    // `**` spans segments, `*` any method; the body is the rule's.
    assert.deepEqual((await call('GET', `/panic-api/v2/callouts/${id}/events`)).body, { results: [] });
    // `*` stays within one segment; a rate of 0 never hits.
    assert.equal((await call('GET', `/panic-api/v2/callouts/${id}`)).status, 200);
    const report = (await call('GET', '/__sim/faults', undefined, null)).body;
    assert.deepEqual(
      report.routes.map((r: any) => r.hits),
      [2, 1, 0],
    );
    assert.equal(report.routes[0].path, '/panic-api/v2/callouts/*/location*');
  });

  it('connection faults: a lost answer is processed; a reset is not; the first matching rule applies', async () => {
    await call(
      'PUT',
      '/__sim/faults',
      {
        routes: [
          { method: 'POST', path: '/panic-api/v2/customers/184708/callouts', kind: 'lost', times: 1 },
          { method: 'POST', path: '/panic-api/v2/customers/*/callouts', kind: 'reset' },
        ],
      },
      null,
    );
    await assert.rejects(
      call('POST', '/panic-api/v2/customers/184708/callouts', {
        location: { latitude: 1, longitude: 1 },
        responseTypeId: 1,
      }),
    );
    assert.equal(sim.state.activeCalloutOf(184708)?.customerId, 184708, 'the lost answer was processed');
    const before = sim.state.callouts.size;
    await assert.rejects(
      call('POST', '/panic-api/v2/customers/184733/callouts', {
        location: { latitude: 1, longitude: 1 },
        responseTypeId: 1,
      }),
    );
    assert.equal(sim.state.callouts.size, before, 'a reset is not processed');
    const report = (await call('GET', '/__sim/faults', undefined, null)).body;
    assert.deepEqual(
      report.routes.map((r: any) => r.hits),
      [1, 1],
    );
  });

  it('refuses a malformed rule with a validation error; a reset clears the rules', async () => {
    for (const bad of [
      { routes: {} },
      { routes: [{ path: '/x', status: 404 }] },
      { routes: [{ method: 'GET', path: 'x', status: 404 }] },
      { routes: [{ method: 'GET', path: '/x' }] },
      { routes: [{ method: 'GET', path: '/x', kind: 'boom' }] },
      { routes: [{ method: 'GET', path: '/x', status: 404, rate: 2 }] },
    ]) {
      const r = await call('PUT', '/__sim/faults', bad, null);
      assert.equal(r.status, 400, JSON.stringify(bad));
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
    }
    await call('PUT', '/__sim/faults', { routes: [{ method: 'GET', path: '/panic-api/**', status: 503 }] }, null);
    assert.equal((await call('GET', '/panic-api/v2/callouts/activeCallouts')).status, 503);
    await call('POST', '/__sim/reset', undefined, null);
    assert.deepEqual((await call('GET', '/__sim/faults', undefined, null)).body.routes, []);
    assert.equal((await call('GET', '/panic-api/v2/callouts/activeCallouts')).status, 200);
  });
});
