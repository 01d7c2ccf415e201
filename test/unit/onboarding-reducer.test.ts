import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { customerEventFromReadBack, customerEventFromWebhook } from '../../src/aura/customer-events.js';
import { parseJsonLenient } from '../../src/aura/json.js';
import { normaliseEventName } from '../../src/domain/events.js';
import {
  applyCustomerEvent,
  initialOnboarding,
  memoOf,
  onboardingView,
  refusesLiveCallouts,
  setCustomer,
  setPhase,
  stateFromMemo,
  statusOf,
  type CustomerEvent,
  type OnboardingState,
} from '../../src/domain/onboarding.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'webhook-payloads');
const NOW = Date.parse('2026-06-01T00:00:00Z');
const at = '2026-06-01T00:00:00.000Z';

function seed(file: string, receivedAt = at): CustomerEvent {
  const parsed = parseJsonLenient(readFileSync(join(fixtures, file), 'utf8'));
  assert.ok(parsed.ok);
  const name = normaliseEventName((parsed.value as { message: string }).message);
  const r = customerEventFromWebhook(parsed.value, name, receivedAt);
  assert.ok(r.ok, file);
  return r.event;
}

function requested(customerId: number, subscriptionId: number): OnboardingState {
  let s = setCustomer(initialOnboarding('ref-1'), customerId, subscriptionId);
  s = setPhase(s, 'customer_created', at, NOW);
  return setPhase(s, 'subscription_requested', at, NOW);
}

describe('onboarding state', () => {
  it('SUBSCRIPTION_CREATED (message "Successfully activated customer subscription") confirms: active by webhook', () => {
    const ev = seed('SUBSCRIPTION_CREATED.json');
    assert.equal(ev.event, 'SUBSCRIPTION_CREATED');
    const r = applyCustomerEvent(requested(184708, 318642), ev, NOW);
    assert.equal(statusOf(r.state, NOW), 'active');
    assert.equal(r.state.confirmedBy, 'webhook');
    assert.deepEqual(
      r.state.timeline.map((e) => e.status),
      ['customer_created', 'subscription_requested', 'active'],
    );
  });

  it('the same delivery twice has the effect of one', () => {
    const ev = seed('SUBSCRIPTION_CREATED.json');
    const once = applyCustomerEvent(requested(184708, 318642), ev, NOW).state;
    const twice = applyCustomerEvent(once, ev, NOW);
    assert.equal(twice.changed, false);
    assert.equal(twice.state, once);
  });

  it('SUBSCRIPTION_CANCELLED ends it: cancelled with the reason; a late SUBSCRIPTION_CREATED does not revive it', () => {
    let s = requested(1231231, 1231231231);
    s = applyCustomerEvent(
      s,
      customerEventFromReadBack(
        1231231,
        [
          {
            id: 1231231231,
            customerId: 1231231,
            subscriptionTypeId: 1,
            validFrom: '2024-11-06T00:00:00.000Z',
            validTo: '2123-05-12T23:59:39.000Z',
            cancelledDate: null,
            cancelledReason: null,
            dependantCustomerIds: [],
          },
        ],
        at,
      ),
      NOW,
    ).state;
    assert.equal(statusOf(s, NOW), 'active');
    assert.equal(s.confirmedBy, 'read_back');
    s = applyCustomerEvent(s, seed('SUBSCRIPTION_CANCELLED.json'), NOW).state;
    assert.equal(statusOf(s, NOW), 'cancelled');
    assert.match(onboardingView(s, at, NOW).reason!, /No longer requires subscription/);
    // A reordered activation for the same subscription (no CancelledDate) arrives late.
    const late: CustomerEvent = {
      key: 'late',
      event: 'SUBSCRIPTION_CREATED',
      source: 'webhook',
      at,
      subscriptions: [
        {
          id: 1231231231,
          customerId: 1231231,
          subscriptionTypeId: 1,
          validFrom: '2024-11-06T00:00:00.000Z',
          validTo: '2123-05-12T23:59:39.000Z',
          cancelledDate: null,
          cancelledReason: null,
          dependantCustomerIds: [],
        },
      ],
    };
    assert.equal(statusOf(applyCustomerEvent(s, late, NOW).state, NOW), 'cancelled');
  });

  it('SUBSCRIPTION_UPDATED (subscription as an array, dependant links) updates the window and covers the dependant', () => {
    const ev = seed('SUBSCRIPTION_UPDATED.json');
    assert.deepEqual(ev.dependantOf, [318642]);
    // The dependant 184707 is the onboarded customer here: the update links them to subscription 318642.
    const dependant = setPhase(setCustomer(initialOnboarding('dep'), 184707, null), 'subscription_requested', at, NOW);
    const r = applyCustomerEvent(dependant, ev, NOW);
    assert.equal(statusOf(r.state, NOW), 'active');
    assert.deepEqual(r.state.subscriptions[0]!.dependantCustomerIds, [184707]);
  });

  it("SUBSCRIPTION_CANCELLED_FAILED (AURA's own payload with a trailing comma) is recorded, status unchanged", () => {
    const s0 = applyCustomerEvent(requested(184708, 318642), seed('SUBSCRIPTION_CREATED.json'), NOW).state;
    const r = applyCustomerEvent(s0, seed('SUBSCRIPTION_CANCELLED_FAILED.as-documented.txt'), NOW);
    assert.equal(statusOf(r.state, NOW), 'active');
    assert.deepEqual(r.state.cancellationFailed, { subscriptionId: 1231231231, at });
  });

  it('CREATED_CUSTOMER naming our customerRef teaches the AURA id (create answer lost); another ref does not', () => {
    const base = customerEventFromWebhook(
      {
        message: 'CREATED_CUSTOMER',
        customer: { id: 190001, externalReferenceId: 'ref-1', mobile: '+27820000000', updatedAt: at },
      },
      'CREATED_CUSTOMER',
      at,
    );
    assert.ok(base.ok);
    const r = applyCustomerEvent(initialOnboarding('ref-1'), base.event, NOW);
    assert.equal(r.learnedCustomerId, 190001);
    assert.equal(r.state.auraCustomerId, 190001);
    const other = applyCustomerEvent(initialOnboarding('ref-2'), base.event, NOW);
    assert.equal(other.state.auraCustomerId, null);
    // No personal data reaches the event.
    assert.equal(JSON.stringify(base.event).includes('+2782'), false);
  });

  it('UPDATED_CUSTOMER of the seeds parses and records the update without personal data', () => {
    const ev = seed('UPDATED_CUSTOMER.json');
    assert.equal(ev.customerId, 184590);
    assert.equal(/Arthritis|Anna|\+278/.test(JSON.stringify(ev)), false);
    const r = applyCustomerEvent(setCustomer(initialOnboarding('x'), 184590, null), ev, NOW);
    assert.equal(r.state.customerUpdatedAt, at);
  });

  it('becomes cancelled by the clock once validTo passes, and the memo round-trips the status', () => {
    let s = requested(5, 6);
    s = applyCustomerEvent(
      s,
      customerEventFromReadBack(
        5,
        [
          {
            id: 6,
            customerId: 5,
            subscriptionTypeId: 1,
            validFrom: '2026-01-01T00:00:00Z',
            validTo: '2026-07-01T00:00:00Z',
            cancelledDate: null,
            cancelledReason: null,
            dependantCustomerIds: [],
          },
        ],
        at,
      ),
      NOW,
    ).state;
    assert.equal(statusOf(s, NOW), 'active');
    const later = Date.parse('2026-08-01T00:00:00Z');
    assert.equal(statusOf(s, later), 'cancelled');
    assert.match(onboardingView(s, at, later).reason!, /^SUBSCRIPTION_EXPIRED/);
    assert.equal(statusOf(stateFromMemo(memoOf(s)), NOW), 'active');
    assert.equal(statusOf(stateFromMemo(memoOf(s)), later), 'cancelled');
  });

  it('an unconfirmed read-back showing no active subscription leaves the phase', () => {
    const s = applyCustomerEvent(requested(5, 6), customerEventFromReadBack(5, [], at), NOW).state;
    assert.equal(statusOf(s, NOW), 'subscription_requested');
  });

  it("the intake rule refuses only on AURA's own word: cancelled or lapsed, or a read-back showing none active", () => {
    const inProgress = requested(5, 6);
    assert.equal(
      refusesLiveCallouts(inProgress, NOW),
      false,
      'mid-onboarding the subscription may already be active at AURA',
    );
    assert.equal(
      refusesLiveCallouts(setPhase(inProgress, 'failed', at, NOW, 'SUBSCRIPTION_READ_BACK_FAILED: 503'), NOW),
      false,
    );
    assert.equal(
      refusesLiveCallouts(
        setPhase(inProgress, 'failed', at, NOW, 'SUBSCRIPTION_NOT_CONFIRMED: AURA shows no subscription'),
        NOW,
      ),
      true,
    );
    let s = applyCustomerEvent(
      inProgress,
      customerEventFromReadBack(
        5,
        [
          {
            id: 6,
            customerId: 5,
            subscriptionTypeId: 1,
            validFrom: '2026-01-01T00:00:00Z',
            validTo: '2026-07-01T00:00:00Z',
            cancelledDate: null,
            cancelledReason: null,
            dependantCustomerIds: [],
          },
        ],
        at,
      ),
      NOW,
    ).state;
    assert.equal(refusesLiveCallouts(s, NOW), false);
    assert.equal(refusesLiveCallouts(s, Date.parse('2026-08-01T00:00:00Z')), true);
    s = applyCustomerEvent(
      s,
      {
        key: 'c',
        event: 'SUBSCRIPTION_CANCELLED',
        source: 'webhook',
        at,
        subscriptions: [
          {
            id: 6,
            customerId: 5,
            subscriptionTypeId: 1,
            validFrom: '2026-01-01T00:00:00Z',
            validTo: '2026-07-01T00:00:00Z',
            cancelledDate: at,
            cancelledReason: 'x',
            dependantCustomerIds: [],
          },
        ],
      },
      NOW,
    ).state;
    assert.equal(refusesLiveCallouts(s, NOW), true);
  });
});
