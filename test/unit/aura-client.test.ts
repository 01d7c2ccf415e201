// The Panic API client against a small local HTTP stub (a unit test of one module; the simulator covers the rest).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AuraClient } from '../../src/aura/client.js';
import {
  AuraAuthenticationError,
  AuraConnectionError,
  AuraError,
  AuraInvalidRequestError,
  AuraNotFoundError,
  AuraPermissionError,
  AuraRateLimitError,
  AuraServerError,
} from '../../src/aura/errors.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler;
let calls: { method: string; url: string; auth?: string | undefined; body: string }[] = [];
let base = '';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    calls.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
    handler(req, body, res);
  });
});
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const read = { id: 5, status: 'closed', incidentInformation: [] };

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/panic-api`;
});
after(() => server.close());
beforeEach(() => {
  calls = [];
});

describe('AuraClient', () => {
  it('exchanges credentials once and reuses the token until shortly before expiry', async () => {
    let minted = 0;
    handler = (req, _b, res) => {
      if (req.url === '/panic-api/v2/oauth/token')
        return json(res, 200, { access_token: `t${++minted}`, token_type: 'Bearer', expires_in: 3600 });
      json(res, 200, { message: 'ok', callout: read });
    };
    const c = new AuraClient({ baseUrl: base, clientId: 'id', clientSecret: 'secret' });
    await Promise.all([c.getCallout(5), c.getCallout(5), c.getCallout(5)]);
    assert.equal(minted, 1, 'concurrent callers share one token exchange');
    assert.deepEqual(JSON.parse(calls[0]!.body), { clientId: 'id', clientSecret: 'secret' });
    assert.ok(calls.slice(1).every((x) => x.auth === 'Bearer t1'));

    // A token inside the refresh margin is replaced before use.
    const short = new AuraClient({
      baseUrl: base,
      clientId: 'id',
      clientSecret: 'secret',
      tokenRefreshMarginMs: 3_600_000,
    });
    await short.getCallout(5);
    await short.getCallout(5);
    assert.equal(minted, 3);
  });

  it('refreshes once on a 401 and then gives up with an authentication error', async () => {
    let minted = 0;
    handler = (req, _b, res) => {
      if (req.url!.endsWith('/oauth/token')) return json(res, 200, { accessToken: `t${++minted}`, expiresIn: 3600 });
      if (req.headers.authorization === 'Bearer t2') return json(res, 200, read);
      json(res, 401, { errors: 'No authorization token was found' });
    };
    const c = new AuraClient({ baseUrl: base, clientId: 'id', clientSecret: 'secret' });
    assert.equal((await c.getCallout(5)).id, 5);
    assert.equal(minted, 2);

    handler = (req, _b, res) =>
      req.url!.endsWith('/oauth/token')
        ? json(res, 200, { accessToken: 'x', expiresIn: 3600 })
        : json(res, 401, { errors: 'No authorization token was found' });
    await assert.rejects(
      c.getCallout(5),
      (e: unknown) =>
        e instanceof AuraAuthenticationError &&
        e.status === 401 &&
        e.auraMessage === 'No authorization token was found',
    );
  });

  it('returns 285 on a location update as a closed result that carries the callout', async () => {
    handler = (_req, _b, res) => json(res, 285, { message: 'closed', callout: { ...read, status: 'closed' } });
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token' });
    const r = await c.updateLocationAndReturn(5, { latitude: 1, longitude: 2 });
    assert.equal(r.closed, true);
    assert.equal(r.callout?.status, 'closed');
  });

  it("maps statuses onto one error tree with AURA's text and retryability", async () => {
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token', maxRetries: 0 });
    const cases: [number, unknown, new (...a: any[]) => AuraError, boolean][] = [
      [400, { message: 'Unknown externalReferenceId site-9' }, AuraInvalidRequestError, false],
      [403, { message: 'Customer does not have an active subscription' }, AuraPermissionError, false],
      [404, { message: 'Callout not found' }, AuraNotFoundError, false],
      [429, { message: 'slow down' }, AuraRateLimitError, true],
      [502, { error: 'bad gateway' }, AuraServerError, true],
    ];
    for (const [status, body, cls, retryable] of cases) {
      handler = (_req, _b, res) => json(res, status, body, status === 429 ? { 'retry-after': '3' } : {});
      await assert.rejects(c.getCallout(5), (e: unknown) => {
        assert.ok(e instanceof cls, `${status} → ${(e as Error).name}`);
        assert.equal(e.status, status);
        assert.equal(e.retryable, retryable);
        assert.ok(e.auraMessage && e.message.includes(e.auraMessage));
        if (e instanceof AuraRateLimitError) assert.equal(e.retryAfterMs, 3000);
        return true;
      });
    }
  });

  it('retries safe reads with backoff, never creates', async () => {
    let n = 0;
    handler = (_req, _b, res) => (++n < 2 ? json(res, 503, { message: 'busy' }) : json(res, 200, read));
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token', maxRetries: 2 });
    assert.equal((await c.getCallout(5)).id, 5);
    assert.equal(n, 2);

    n = 0;
    handler = (_req, _b, res) => {
      n++;
      json(res, 503, { message: 'busy' });
    };
    await assert.rejects(
      c.createCustomerCallout({ customerId: 1, responseTypeId: 1, location: { latitude: 1, longitude: 1 } }),
      AuraServerError,
    );
    assert.equal(n, 1, 'a create is never retried by the client (the activity decides, after a lookup)');
  });

  it('times out slow answers as a retryable connection error', async () => {
    handler = () => undefined; // never answers
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token', timeoutMs: 150, maxRetries: 0 });
    await assert.rejects(
      c.getCallout(5),
      (e: unknown) => e instanceof AuraConnectionError && e.retryable && e.code === 'AURA_TIMEOUT',
    );
  });

  it('refuses a create with both or neither location kinds before calling AURA', async () => {
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token' });
    await assert.rejects(c.createCustomerCallout({ customerId: 1, responseTypeId: 1 }), AuraError);
    await assert.rejects(
      c.createCustomerCallout({
        customerId: 1,
        responseTypeId: 1,
        location: { latitude: 1, longitude: 1 },
        predefinedLocationId: 3,
      }),
      AuraError,
    );
    assert.equal(calls.length, 0);
  });

  it('tells an existing active callout (200) from a new one (201)', async () => {
    const flat = { id: 9, status: 'created', url: 'https://t/9' };
    handler = (_req, _b, res) => json(res, 201, { message: 'Callout created', callout: flat });
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token' });
    const created = await c.createCustomerCallout({
      customerId: 1,
      responseTypeId: 1,
      location: { latitude: 1, longitude: 1 },
    });
    assert.deepEqual([created.existing, created.callout.url], [false, 'https://t/9']);
    assert.deepEqual(JSON.parse(calls[0]!.body), { responseTypeId: 1, location: { latitude: 1, longitude: 1 } });
    handler = (_req, _b, res) => json(res, 200, flat);
    assert.equal(
      (await c.createCustomerCallout({ customerId: 1, responseTypeId: 1, location: { latitude: 1, longitude: 1 } }))
        .existing,
      true,
    );
  });
});

describe('AuraClient: cancellation, the pacer bound and unreadable create answers', () => {
  const loc = { latitude: 1, longitude: 1 };
  const posts = () => calls.filter((x) => x.method === 'POST' && x.url.includes('/callouts')).length;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const aborted = (e: unknown) => e instanceof AuraError && e.code === 'AURA_ABORTED' && e.retryable;

  it('an aborted signal stops a create before anything is sent', async () => {
    handler = (_req, _b, res) => json(res, 201, { callout: { id: 1, status: 'created' } });
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token' });
    await assert.rejects(
      c.createCustomerCallout({ customerId: 1, responseTypeId: 1, location: loc }, { signal: AbortSignal.abort() }),
      aborted,
    );
    assert.equal(calls.length, 0);
  });

  it('a create waiting for its pacer turn is abandoned when its signal aborts, and is never sent afterwards', async () => {
    handler = (_req, _b, res) => json(res, 201, { callout: { id: 1, status: 'created' } });
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token', maxRequestsPerSecond: 2 });
    await c.listActiveCallouts().catch(() => undefined); // takes the first slot: the next waits 500 ms
    const ac = new AbortController();
    const started = Date.now();
    const create = c.createCustomerCallout({ customerId: 1, responseTypeId: 1, location: loc }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(create, aborted);
    assert.ok(Date.now() - started < 400, 'rejected when aborted, not when its turn came');
    await sleep(700);
    assert.equal(posts(), 0, 'the abandoned create was never sent');
  });

  it('a create waiting for the token exchange is abandoned when its signal aborts, and is never sent afterwards', async () => {
    handler = (req, _b, res) => {
      if (req.url!.endsWith('/oauth/token'))
        return void setTimeout(() => json(res, 200, { accessToken: 't', expiresIn: 3600 }), 400);
      json(res, 201, { callout: { id: 1, status: 'created' } });
    };
    const c = new AuraClient({ baseUrl: base, clientId: 'id', clientSecret: 'secret' });
    const ac = new AbortController();
    const create = c.createCustomerCallout({ customerId: 1, responseTypeId: 1, location: loc }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(create, aborted);
    await sleep(600);
    assert.deepEqual(
      calls.map((x) => x.url),
      ['/panic-api/v2/oauth/token'],
      'the token was fetched, the create never sent',
    );
  });

  it('a signal aborts a request in flight at once, not at the request timeout', async () => {
    handler = () => undefined; // never answers
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token', timeoutMs: 5_000 });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(c.listCustomerActiveCallouts(1, { signal: ac.signal }), aborted);
    assert.ok(Date.now() - started < 1_000);
  });

  it('a caller that would wait longer than the pacer bound fails fast with a retryable error and sends nothing', async () => {
    handler = (_req, _b, res) => json(res, 200, []);
    const c = new AuraClient({
      baseUrl: base,
      staticToken: 'dev-token',
      maxRequestsPerSecond: 10,
      maxQueueWaitMs: 250,
    });
    const started = Date.now();
    const all = await Promise.allSettled(Array.from({ length: 6 }, () => c.listActiveCallouts()));
    const refused = all
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as AuraError);
    // Slots at 0, 100, 200 ms fit the 250 ms bound; the rest would have waited longer.
    assert.equal(refused.length, 3);
    assert.ok(
      refused.every((e) => e instanceof AuraError && e.retryable && e.code === 'AURA_QUEUE_FULL'),
      refused.map((e) => e.code).join(),
    );
    assert.equal(calls.length, 3);
    assert.ok(Date.now() - started < 1_000);
  });

  it('a create goes ahead of the polls queued for their pacer turn (urgent endpoints), and every poll is still sent', async () => {
    handler = (req, _b, res) =>
      req.method === 'POST' ? json(res, 201, { callout: { id: 1, status: 'created' } }) : json(res, 200, read);
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token', maxRequestsPerSecond: 20 });
    // Eight polls: the first goes at once, seven queue 50 ms apart; then a create arrives.
    const polls = Array.from({ length: 8 }, () => c.getCallout(5));
    await sleep(10);
    const create = c.createCustomerCallout({ customerId: 1, responseTypeId: 1, location: loc });
    await Promise.all([...polls, create]);
    assert.deepEqual(
      calls.slice(0, 3).map((x) => x.method),
      ['GET', 'POST', 'GET'],
      'the create took the first slot after the poll in flight',
    );
    assert.equal(calls.filter((x) => x.method === 'GET').length, 8);
  });

  it("one attempt's worst case is derived from the same numbers: a token exchange, then each call's pacer bound and timeout", () => {
    const c = new AuraClient({
      baseUrl: base,
      clientId: 'id',
      clientSecret: 'secret',
      timeoutMs: 1_000,
      maxRequestsPerSecond: 10,
      maxQueueWaitMs: 500,
    });
    assert.equal(c.callBoundMs, 1_500);
    assert.equal(c.attemptBoundMs(3), 1_500 + 3 * 1_500);
    const unpaced = new AuraClient({ baseUrl: base, staticToken: 'dev-token', timeoutMs: 1_000 });
    assert.equal(unpaced.attemptBoundMs(2), 2 * 1_000, 'no pacer, no token exchange');
  });

  it('a create whose 2xx answer cannot be read is a retryable "unconfirmed" error (the callout may exist: look it up)', async () => {
    handler = (_req, _b, res) => json(res, 201, { unexpected: 'shape' });
    const c = new AuraClient({ baseUrl: base, staticToken: 'dev-token' });
    const unconfirmed = (e: unknown) =>
      e instanceof AuraError && e.retryable && e.code === 'AURA_CREATE_UNCONFIRMED' && e.status === 201;
    await assert.rejects(c.createCustomerCallout({ customerId: 1, responseTypeId: 1, location: loc }), unconfirmed);
    await assert.rejects(c.createFixedLocationCallout('site-1', { responseTypeId: 1 }), unconfirmed);
  });
});
