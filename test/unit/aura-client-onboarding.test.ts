// The Panic API client's customer and subscription calls against a small local HTTP stub.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AuraClient } from '../../src/aura/client.js';
import { AuraInvalidRequestError, AuraRateLimitError } from '../../src/aura/errors.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler;
let calls: { method: string; url: string; body: string; at: number }[] = [];
let base = '';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    calls.push({ method: req.method!, url: req.url!, body, at: Date.now() });
    handler(req, body, res);
  });
});
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const sub = {
  id: 9,
  customerId: 7,
  subscriptionTypeId: 12,
  validFrom: '2026-01-01T00:00:00Z',
  validTo: '2027-01-01T00:00:00Z',
  CancelledDate: null,
  CancelledReason: null,
};

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/panic-api`;
});
after(() => server.close());
beforeEach(() => {
  calls = [];
});
const client = () => new AuraClient({ baseUrl: base, staticToken: 't', maxRetries: 1 });

describe('AuraClient customers and subscriptions', () => {
  it('creates a customer with its subscription in one call and reads the nested subscription ([B] shape)', async () => {
    handler = (_req, _b, res) =>
      json(res, 201, {
        message: 'Customer created',
        customer: { id: 7, externalReferenceId: 'ref-1', subscriptions: [sub] },
      });
    const r = await client().createCustomer({
      customer: { name: 'A', surname: 'B', mobile: '+27820000000', externalReferenceId: 'ref-1' },
      subscription: { subscriptionTypeId: 12 },
    });
    assert.deepEqual(
      r.status === 'created' && { id: r.customerId, ref: r.externalReferenceId, sub: r.subscription?.id },
      { id: 7, ref: 'ref-1', sub: 9 },
    );
    const sent = JSON.parse(calls[0]!.body);
    assert.equal(calls[0]!.url, '/panic-api/v2/customers');
    assert.deepEqual(Object.keys(sent).sort(), ['customer', 'subscription']);
    assert.equal(sent.customer.externalReferenceId, 'ref-1');
  });

  it('accepts the flat [A] answer without a subscription', async () => {
    handler = (_req, _b, res) =>
      json(res, 201, { id: 8, firstName: 'A', lastName: 'B', mobileNumber: '+27820000000', externalReferenceId: null });
    const r = await client().createCustomer({ customer: { name: 'A', surname: 'B', mobile: '+27820000000' } });
    assert.equal(r.status, 'created');
    assert.equal(r.status === 'created' && r.subscription, null);
  });

  it('answers 409 (duplicate mobile) as `exists`, with the id only when AURA gives one; POST is never retried by the client', async () => {
    handler = (_req, _b, res) => json(res, 409, { message: 'A customer with this mobile number already exists' });
    const r = await client().createCustomer({ customer: { name: 'A', surname: 'B', mobile: '+27820000000' } });
    assert.deepEqual(r, {
      status: 'exists',
      customerId: null,
      auraMessage: 'A customer with this mobile number already exists',
    });
    handler = (_req, _b, res) => json(res, 409, { message: 'exists', customerId: 77 });
    const r2 = await client().createCustomer({ customer: { name: 'A', surname: 'B', mobile: '+27820000000' } });
    assert.equal(r2.status === 'exists' && r2.customerId, 77);
    handler = (_req, _b, res) => json(res, 400, { message: 'mobile is required' });
    calls = [];
    await assert.rejects(
      client().createCustomer({ customer: { name: 'A', surname: 'B', mobile: '' } }),
      AuraInvalidRequestError,
    );
    assert.equal(calls.length, 1);
  });

  it('reads subscriptions back as an array or wrapped; a 429 waits for Retry-After, then surfaces with retryAfterMs', async () => {
    handler = (_req, _b, res) => json(res, 200, [sub]);
    assert.equal((await client().listCustomerSubscriptions(7))[0]!.CancelledDate, null);
    handler = (_req, _b, res) => json(res, 200, { subscriptions: [sub] });
    assert.equal((await client().listCustomerSubscriptions(7)).length, 1);

    calls = [];
    handler = (_req, _b, res) => json(res, 429, { message: 'Too many requests' }, { 'retry-after': '1' });
    await assert.rejects(client().listCustomerSubscriptions(7), (err: unknown) => {
      assert.ok(err instanceof AuraRateLimitError);
      assert.equal(err.retryAfterMs, 1000);
      return true;
    });
    assert.equal(calls.length, 2, 'one retry inside the client');
    assert.ok(
      calls[1]!.at - calls[0]!.at >= 950,
      `retried after ${calls[1]!.at - calls[0]!.at} ms, not before Retry-After`,
    );
  });

  it('creates a subscription (409 = already active)', async () => {
    handler = (_req, _b, res) => json(res, 201, { message: 'Subscription activated', subscription: sub });
    const r = await client().createSubscription({ customerId: 7, subscriptionTypeId: 12 });
    assert.equal(r.status === 'created' && r.subscription.id, 9);
    handler = (_req, _b, res) => json(res, 409, { message: 'Customer already has an active subscription' });
    assert.deepEqual(await client().createSubscription({ customerId: 7, subscriptionTypeId: 12 }), {
      status: 'exists',
    });
  });
});
