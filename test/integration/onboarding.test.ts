// Customer onboarding on a real Temporal dev server, the simulator over real HTTP, the real worker and API.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DEFAULT_WEBHOOK_EVENTS,
  registerReceiver,
  WebhookRegistrationError,
} from '../../src/aura/webhook-registration.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { eventually, startStack, startTemporal, WEBHOOK_TOKEN, type Stack } from '../helpers/stack.js';

const live = { latitude: -26.10911, longitude: 28.053037 };
const auth = { authorization: `Bearer ${WEBHOOK_TOKEN}` };

let env: TestWorkflowEnvironment;
let stack: Stack;
let n = 0;

before(async () => {
  env = await startTemporal();
  stack = await startStack(env, {
    registerWebhook: true,
    webhookEvents: [...DEFAULT_WEBHOOK_EVENTS],
    onboarding: { settings: { confirmWaitMs: 1_500, customerLookupWaitMs: 3_000, readBackAttempts: 5 } },
  });
});
after(async () => {
  await stack?.close();
  await env?.teardown();
});
beforeEach(async () => {
  await stack.sim_('PUT', '/__sim/faults', {});
  await stack.sim_('PUT', '/__sim/onboarding-faults', {});
});

function person(tag: string) {
  n++;
  const ref = `cust-${tag}-${Date.now().toString(36)}-${n}`;
  const mobile = `+2783${Math.floor(Math.random() * 1e7)
    .toString()
    .padStart(7, '0')}`;
  return {
    customerRef: ref,
    name: 'Thandi',
    surname: 'Nkosi',
    mobile,
    email: `${ref}@example.com`,
    subscriptionTypeId: 12,
  };
}

async function onboardingWhen(ref: string, pred: (b: any) => boolean, timeoutMs = 30_000): Promise<any> {
  return eventually(async () => {
    const r = await stack.api('GET', `/v1/customers/onboarding/${ref}`);
    return r.status === 200 && pred(r.body) ? r.body : null;
  }, timeoutMs);
}

async function requests(): Promise<{ at: string; method: string; path: string; status: number }[]> {
  return stack.sim_('GET', '/__sim/requests');
}

describe('customer onboarding', () => {
  it('reaches active by the subscription webhook, with no read-back; a repeat POST answers 200', async () => {
    const p = person('hook');
    const r = await stack.api('POST', '/v1/customers/onboarding', p);
    assert.equal(r.status, 202);
    assert.equal(r.body.status, 'pending');
    assert.equal(r.body.onboardingId, `onboarding-${p.customerRef}`);

    const done = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    assert.equal(done.confirmedBy, 'webhook');
    assert.equal(done.subscription.active, true);
    assert.equal(done.subscription.CancelledDate, undefined, 'exposed as cancelledDate, not AURA casing');
    assert.equal(done.subscription.cancelledDate, null);
    // The webhook may beat the create call's answer to the workflow: states only ever move forward.
    const order = ['pending', 'customer_created', 'subscription_requested', 'active'];
    const seen = done.timeline.map((t: any) => order.indexOf(t.status));
    assert.ok(
      seen.every((i: number, k: number) => i >= 0 && (k === 0 || i > seen[k - 1])),
      JSON.stringify(done.timeline),
    );
    assert.deepEqual(
      { ...done.timeline.at(-1), at: undefined },
      { at: undefined, status: 'active', source: 'webhook', event: 'SUBSCRIPTION_CREATED' },
    );
    // No personal data in the resource.
    assert.equal(JSON.stringify(done).includes(p.mobile), false);

    const customers = await stack.sim_('GET', `/__sim/customers?externalReferenceId=${p.customerRef}`);
    assert.equal(customers.length, 1);
    assert.equal(customers[0].id, done.auraCustomerId);
    const reads = (await requests()).filter(
      (q) => q.path === `/panic-api/v2/customers/${done.auraCustomerId}/subscriptions`,
    );
    assert.equal(reads.length, 0, 'confirmed by the webhook, never read back');

    const again = await stack.api('POST', '/v1/customers/onboarding', p);
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'active');
  });

  it('reaches active by reading back when every webhook is dropped', async () => {
    await stack.sim_('PUT', '/__sim/faults', { webhookDropRate: 1 });
    const p = person('drop');
    assert.equal((await stack.api('POST', '/v1/customers/onboarding', p)).status, 202);
    const done = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    assert.equal(done.confirmedBy, 'read_back');
    assert.equal(done.timeline.at(-1).source, 'read_back');
    const reads = (await requests()).filter(
      (q) => q.path === `/panic-api/v2/customers/${done.auraCustomerId}/subscriptions`,
    );
    assert.ok(reads.length >= 1);
  });

  it('a create whose answer was lost and is retried makes one customer, and onboarding still completes', async () => {
    await stack.sim_('PUT', '/__sim/onboarding-faults', { loseCustomerCreateAnswers: 1 });
    const p = person('lost');
    assert.equal((await stack.api('POST', '/v1/customers/onboarding', p)).status, 202);
    const done = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    const customers = await stack.sim_('GET', `/__sim/customers?externalReferenceId=${p.customerRef}`);
    assert.equal(customers.length, 1, 'exactly one AURA customer');
    assert.equal(customers[0].subscriptions.length, 1, 'and one subscription');
    assert.equal(done.auraCustomerId, customers[0].id);
    const faults = await stack.sim_('GET', '/__sim/onboarding-faults');
    assert.equal(faults.lostAnswers.length, 1, 'the first answer was really lost');
    const creates = (await requests()).filter((q) => q.method === 'POST' && q.path === '/panic-api/v2/customers');
    assert.ok(
      creates.some((q) => q.status === 409),
      "the retry met AURA's duplicate-mobile answer",
    );
  });

  it('with the create answer and every webhook lost, onboarding fails naming the cause; POSTing again with auraCustomerId adopts the customer', async () => {
    await stack.sim_('PUT', '/__sim/faults', { webhookDropRate: 1 });
    await stack.sim_('PUT', '/__sim/onboarding-faults', { loseCustomerCreateAnswers: 1 });
    const p = person('adopt');
    assert.equal((await stack.api('POST', '/v1/customers/onboarding', p)).status, 202);
    const failed = await onboardingWhen(p.customerRef, (b) => b.status === 'failed');
    assert.match(failed.reason, /^CUSTOMER_EXISTS: /);
    assert.match(failed.reason, /auraCustomerId/);
    const customers = await stack.sim_('GET', `/__sim/customers?externalReferenceId=${p.customerRef}`);
    assert.equal(customers.length, 1);

    const again = await stack.api('POST', '/v1/customers/onboarding', { ...p, auraCustomerId: customers[0].id });
    assert.equal(again.status, 202, 'a failed onboarding may be started again');
    const done = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    assert.equal(done.auraCustomerId, customers[0].id);
    assert.equal(done.confirmedBy, 'read_back');
    assert.equal(
      (await stack.sim_('GET', `/__sim/customers?externalReferenceId=${p.customerRef}`)).length,
      1,
      'still one customer',
    );
  });

  it('adopting an existing AURA customer without a subscription requests one (POST /v2/subscriptions) and confirms it', async () => {
    // The simulator's seed customer 184733 holds no subscription.
    const p = { ...person('seed'), auraCustomerId: 184733 };
    assert.equal((await stack.api('POST', '/v1/customers/onboarding', p)).status, 202);
    const done = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    assert.equal(done.auraCustomerId, 184733);
    assert.equal(done.confirmedBy, 'webhook');
    const log = await requests();
    assert.ok(log.some((q) => q.method === 'POST' && q.path === '/panic-api/v2/subscriptions' && q.status === 201));
    const [c] = (await stack.sim_('GET', '/__sim/customers')).filter((x: any) => x.id === 184733);
    assert.equal(c.subscriptions.length, 1);
  });

  it('a cancelled subscription makes the customer not active, and a live callout for them answers 422 SUBSCRIPTION_INACTIVE', async () => {
    const p = person('cancel');
    await stack.api('POST', '/v1/customers/onboarding', p);
    const active = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    const customerId = active.auraCustomerId;

    // While active the rule lets a live callout through.
    const ok = await stack.api('POST', '/v1/callouts', {
      incidentId: `${p.customerRef}-ok`,
      customerId,
      location: live,
    });
    assert.equal(ok.status, 202);
    const inc = await stack.incidentWhen(`${p.customerRef}-ok`, (i) => i.auraCalloutId !== null);
    await stack.sim_('POST', `/__sim/callouts/${inc.auraCalloutId}/status`, { status: 'closed' });

    // AURA cancels the subscription; its SUBSCRIPTION_CANCELLED webhook reaches the customer's workflow.
    const del = await fetch(`${stack.sim.panicApiUrl}/v2/subscriptions/${active.subscription.id}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'Customer stopped paying' }),
    });
    assert.equal(del.status, 200);
    const cancelled = await onboardingWhen(p.customerRef, (b) => b.status === 'cancelled');
    assert.match(cancelled.reason, /SUBSCRIPTION_CANCELLED: Customer stopped paying/);
    assert.equal(cancelled.subscription.active, false);
    assert.equal(cancelled.timeline.at(-1).event, 'SUBSCRIPTION_CANCELLED');

    const before = (await requests()).length;
    const refused = await stack.api('POST', '/v1/callouts', {
      incidentId: `${p.customerRef}-no`,
      customerId,
      location: live,
    });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'SUBSCRIPTION_INACTIVE');
    assert.match(refused.body.error.message, /no active AURA subscription/);
    assert.match(refused.body.error.message, /retry/);
    const after = await requests();
    assert.equal(
      after.slice(before).filter((q) => q.path.includes('/callouts')).length,
      0,
      'refused before any AURA call',
    );
    assert.equal((await stack.api('GET', `/v1/callouts/${p.customerRef}-no`)).status, 404, 'no incident was opened');

    // Customers the service never onboarded are left to AURA (the seed customer with a subscription still works).
    const seed = await stack.api('POST', '/v1/callouts', {
      incidentId: `${p.customerRef}-seed`,
      customerId: await stack.newCustomer(),
      location: live,
    });
    assert.equal(seed.status, 202);
  });

  it('the legacy grace switch lets a live callout for an inactive known customer reach AURA', async () => {
    const { createApp } = await import('../../src/api/app.js');
    const { createLogger } = await import('../../src/logger.js');
    const p = person('grace');
    await stack.api('POST', '/v1/customers/onboarding', p);
    const active = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    await fetch(`${stack.sim.panicApiUrl}/v2/subscriptions/${active.subscription.id}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer dev-token' },
    });
    await onboardingWhen(p.customerRef, (b) => b.status === 'cancelled');

    const app = createApp({
      client: env.client,
      taskQueue: stack.taskQueue,
      namespace: 'default',
      log: createLogger({ level: 'silent' }),
      webhookToken: WEBHOOK_TOKEN,
      responseTypes: { SECURITY: 1 },
      onboarding: { subscriptionGrace: true },
    });
    const server = await new Promise<import('node:http').Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const res = await fetch(`http://127.0.0.1:${port}/v1/callouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          incidentId: `${p.customerRef}-grace`,
          customerId: active.auraCustomerId,
          location: live,
        }),
      });
      assert.equal(res.status, 202);
      // AURA itself still decides: the simulator (no grace arrangement) refuses with 403 and the incident fails.
      const inc = await stack.incidentWhen(`${p.customerRef}-grace`, (i) => i.phase === 'failed');
      assert.equal(inc.terminal, true);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('reading back respects 429 and Retry-After from the rate-limited route', async () => {
    await stack.sim_('PUT', '/__sim/faults', { webhookDropRate: 1 });
    await stack.sim_('PUT', '/__sim/onboarding-faults', { subscriptionReadLimit: 1, subscriptionReadWindowMs: 2_000 });
    const people = [person('rl'), person('rl'), person('rl')];
    const start = (await requests()).length;
    for (const p of people) assert.equal((await stack.api('POST', '/v1/customers/onboarding', p)).status, 202);
    for (const p of people) {
      const done = await onboardingWhen(p.customerRef, (b) => b.status === 'active', 60_000);
      assert.equal(done.confirmedBy, 'read_back');
    }
    const reads = (await requests()).slice(start).filter((q) => q.method === 'GET' && /\/subscriptions$/.test(q.path));
    const limited = reads.filter((q) => q.status === 429);
    assert.ok(limited.length >= 1, 'the limit was hit');
    // After a 429 the same customer's next read waits for Retry-After (at least 1 s here).
    for (const q of limited) {
      const next = reads.find((r) => r.path === q.path && Date.parse(r.at) > Date.parse(q.at));
      if (next)
        assert.ok(
          Date.parse(next.at) - Date.parse(q.at) >= 900,
          `${q.path}: next read ${Date.parse(next.at) - Date.parse(q.at)} ms after a 429`,
        );
    }
    // Retry-After was honoured: the reads did not hammer the route (3 customers, each read back until active).
    assert.ok(reads.length <= 12, `${reads.length} reads`);
  });

  it("SUBSCRIPTION_UPDATED (array, by subscription id), SUBSCRIPTION_CANCELLED_FAILED and UPDATED_CUSTOMER reach the customer's workflow", async () => {
    const p = person('events');
    await stack.api('POST', '/v1/customers/onboarding', p);
    const active = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    const subId = active.subscription.id;
    const post = (body: object) =>
      stack.api('POST', '/webhooks/aura', JSON.stringify(body), { 'content-type': 'application/json', ...auth });

    // AURA's SUBSCRIPTION_UPDATED names no customer on the subscription: it is routed by the subscription id.
    const renewedTo = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString();
    const now = new Date().toISOString();
    const upd = await post({
      links: [],
      subscription: [
        {
          id: subId,
          subscriptionTypeId: 12,
          validFrom: active.subscription.validFrom,
          validTo: renewedTo,
          CancelledDate: null,
          CancelledReason: null,
          updatedAt: now,
        },
      ],
      message: 'SUBSCRIPTION_UPDATED',
    });
    assert.equal(upd.status, 200);
    assert.equal(upd.body.status, 'accepted');
    const renewed = await onboardingWhen(p.customerRef, (b) => b.subscription.validTo === renewedTo);
    assert.equal(renewed.status, 'active');

    const failed = await post({ message: 'SUBSCRIPTION_CANCELLED_FAILED', subscription: { id: subId } });
    assert.equal(failed.body.status, 'accepted');
    const withFailure = await onboardingWhen(p.customerRef, (b) => b.cancellationFailed !== null);
    assert.equal(withFailure.cancellationFailed.subscriptionId, subId);
    assert.equal(withFailure.status, 'active');

    // UPDATED_CUSTOMER, as the simulator emits it after a profile update.
    const put = await fetch(`${stack.sim.panicApiUrl}/v2/customers/${active.auraCustomerId}`, {
      method: 'PUT',
      headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' },
      body: JSON.stringify({ customer: { vehicleColour: 'blue' } }),
    });
    assert.equal(put.status, 200);
    await onboardingWhen(p.customerRef, (b) => b.customerUpdatedAt !== null);
  });

  it('a subscription that lapses at validTo makes the customer not active by the clock alone', async () => {
    const p = { ...person('lapse'), validTo: new Date(Date.now() + 4_000).toISOString() };
    assert.equal((await stack.api('POST', '/v1/customers/onboarding', p)).status, 202);
    const active = await onboardingWhen(p.customerRef, (b) => b.status === 'active');
    // The API computes activity with the real clock; the workflow's own timer at validTo records the transition.
    const lapsed = await onboardingWhen(
      p.customerRef,
      (b) => b.status === 'cancelled' && b.timeline.at(-1).source === 'clock',
      20_000,
    );
    assert.match(lapsed.reason, /^SUBSCRIPTION_EXPIRED/);
    assert.equal(lapsed.timeline.at(-1).status, 'cancelled');
    const refused = await stack.api('POST', '/v1/callouts', { customerId: active.auraCustomerId, location: live });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, 'SUBSCRIPTION_INACTIVE');
  });

  it('a subscription event for a customer without onboarding is acknowledged, not an error', async () => {
    const r = await stack.api(
      'POST',
      '/webhooks/aura',
      JSON.stringify({
        message: 'SUBSCRIPTION_CANCELLED',
        subscription: { id: 999_999_001, customerId: 999_999_002, CancelledDate: '2024-12-12T23:59:39.000Z' },
      }),
      { 'content-type': 'application/json', ...auth },
    );
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'acknowledged');
    assert.match(r.body.reason, /unknown customer/);
  });

  it('validates the onboarding request (400 naming fields) and answers 404 for an unknown customerRef', async () => {
    const bad = await stack.api('POST', '/v1/customers/onboarding', { customerRef: 'x y', name: '', mobile: 'abc' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    const paths = bad.body.error.details.map((d: any) => d.path);
    for (const f of ['customerRef', 'name', 'surname', 'mobile', 'subscriptionTypeId'])
      assert.ok(paths.includes(f), `${f} in ${paths}`);
    const missing = await stack.api('GET', '/v1/customers/onboarding/nobody-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'ONBOARDING_NOT_FOUND');
  });
});

describe('webhook registration', () => {
  const base = () => ({ url: `${stack.apiUrl}/webhooks/aura`, headers: auth, allowLoopbackHttp: true });
  const registrations = async () => (await requests()).filter((q) => q.path === '/panic-api/v2/notifiers/webhooks');

  it('refuses an unknown event before calling AURA', async () => {
    const before = (await registrations()).length;
    await assert.rejects(
      registerReceiver(stack.aura, { ...base(), events: ['NEW_CALLOUT', 'CALLOUT_TELEPORTED'] }),
      (err: unknown) => {
        assert.ok(err instanceof WebhookRegistrationError);
        assert.match(err.message, /CALLOUT_TELEPORTED/);
        return true;
      },
    );
    assert.equal((await registrations()).length, before, 'AURA was not called');
  });

  it('refuses a plain-HTTP public URL before calling AURA', async () => {
    const before = (await registrations()).length;
    await assert.rejects(
      registerReceiver(stack.aura, {
        ...base(),
        url: 'http://callouts.example.com/webhooks/aura',
        events: ['NEW_CALLOUT'],
      }),
      /HTTPS/,
    );
    assert.equal((await registrations()).length, before);
  });

  it('replaces an earlier registration (one webhook per customer source); the deprecated name warns', async () => {
    const warnings: string[] = [];
    await registerReceiver(stack.aura, { ...base(), events: ['NEW_CALLOUT', 'CALLOUT_CLOSED'] });
    assert.deepEqual((await stack.sim_('GET', '/__sim/webhook')).events, ['NEW_CALLOUT', 'CALLOUT_CLOSED']);
    const r = await registerReceiver(
      stack.aura,
      { ...base(), events: ['RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA', 'SUBSCRIPTION_CANCELLED'] },
      (w) => warnings.push(w),
    );
    assert.deepEqual(r.events, ['RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA', 'SUBSCRIPTION_CANCELLED']);
    const hook = await stack.sim_('GET', '/__sim/webhook');
    assert.deepEqual(
      hook.events,
      ['RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA', 'SUBSCRIPTION_CANCELLED'],
      'the second replaced the first',
    );
    assert.deepEqual(hook.headers, auth);
    assert.equal(warnings.length, 1);
    // Put the full registration back for any later test.
    await registerReceiver(stack.aura, { ...base(), events: DEFAULT_WEBHOOK_EVENTS });
  });

  it('npm run webhooks:register registers from configuration and exits 2 on an unknown event', async () => {
    const run = promisify(execFile);
    const common = {
      ...process.env,
      NODE_ENV: 'development',
      AURA_BASE_URL: stack.sim.panicApiUrl,
      WEBHOOK_PUBLIC_URL: `${stack.apiUrl}/webhooks/aura`,
      WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    };
    const script = ['--import', 'tsx', 'scripts/register-webhooks.ts'];
    const ok = await run(process.execPath, script, { cwd: PROJECT_ROOT, env: common, encoding: 'utf8' });
    assert.match(ok.stdout, /Registered .* for \d+ events/);
    assert.equal((await stack.sim_('GET', '/__sim/webhook')).events.length, DEFAULT_WEBHOOK_EVENTS.length);
    await assert.rejects(
      run(process.execPath, script, {
        cwd: PROJECT_ROOT,
        env: { ...common, WEBHOOK_EVENTS: 'NEW_CALLOUT,NOT_AN_EVENT' },
        encoding: 'utf8',
      }),
      (err: any) => {
        assert.equal(err.code, 2);
        assert.match(err.stderr, /NOT_AN_EVENT/);
        return true;
      },
    );
  });
});

describe('onboarding reads', () => {
  it('are answered from the memo, with no worker running (no query)', async () => {
    const own = await startStack(env, { registerWebhook: true, webhookEvents: [...DEFAULT_WEBHOOK_EVENTS] });
    try {
      const p = person('memo');
      assert.equal((await own.api('POST', '/v1/customers/onboarding', p)).status, 202);
      const active = await eventually(async () => {
        const r = await own.api('GET', `/v1/customers/onboarding/${p.customerRef}`);
        return r.body?.status === 'active' ? r.body : null;
      }, 30_000);
      own.workers.shutdown();
      // A query would wait for a worker that never comes; the memo answers at once.
      const r = await Promise.race([
        own.api('GET', `/v1/customers/onboarding/${p.customerRef}`),
        new Promise<null>((res) => setTimeout(() => res(null), 5_000)),
      ]);
      assert.ok(r, 'answered without a worker');
      assert.equal(r.status, 200);
      assert.deepEqual({ ...r.body, timeline: undefined }, { ...active, timeline: undefined });
    } finally {
      await own.close().catch(() => undefined);
    }
  });
});
