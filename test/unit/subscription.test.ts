import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  covers,
  inactiveReason,
  isSubscriptionActive,
  mergeSubscription,
  nextBoundaryMs,
  type SubscriptionRecord,
} from '../../src/domain/subscription.js';

const t = (iso: string) => Date.parse(iso);
const sub = (over: Partial<SubscriptionRecord> = {}): SubscriptionRecord => ({
  id: 1,
  customerId: 10,
  subscriptionTypeId: 12,
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo: '2026-12-31T23:59:59.000Z',
  cancelledDate: null,
  cancelledReason: null,
  dependantCustomerIds: [],
  ...over,
});

describe('subscription activity (no status field: dates and CancelledDate)', () => {
  it('is active while now lies within validFrom–validTo (inclusive) and CancelledDate is null', () => {
    assert.equal(isSubscriptionActive(sub(), t('2026-06-01T00:00:00Z')), true);
    assert.equal(isSubscriptionActive(sub(), t('2026-01-01T00:00:00Z')), true);
    assert.equal(isSubscriptionActive(sub(), t('2026-12-31T23:59:59Z')), true);
    assert.equal(isSubscriptionActive(sub(), t('2025-12-31T23:59:59Z')), false);
    assert.equal(isSubscriptionActive(sub(), t('2027-01-01T00:00:00Z')), false);
  });

  it('is not active once CancelledDate is set, even inside the window (also with a future CancelledDate)', () => {
    assert.equal(
      isSubscriptionActive(sub({ cancelledDate: '2026-03-01T00:00:00Z' }), t('2026-02-01T00:00:00Z')),
      false,
    );
    assert.equal(
      isSubscriptionActive(sub({ cancelledDate: '2026-03-01T00:00:00Z' }), t('2026-06-01T00:00:00Z')),
      false,
    );
  });

  it('treats missing bounds as open and unparseable dates as not active', () => {
    assert.equal(isSubscriptionActive(sub({ validFrom: null, validTo: null }), t('2030-01-01T00:00:00Z')), true);
    assert.equal(isSubscriptionActive(sub({ validTo: 'not a date' }), t('2026-06-01T00:00:00Z')), false);
  });

  it('explains why a subscription is inactive', () => {
    assert.match(
      inactiveReason(
        sub({ cancelledDate: '2026-03-01T00:00:00Z', cancelledReason: 'No longer requires subscription' }),
        t('2026-06-01T00:00:00Z'),
      )!,
      /^SUBSCRIPTION_CANCELLED: No longer requires/,
    );
    assert.match(inactiveReason(sub(), t('2027-06-01T00:00:00Z'))!, /^SUBSCRIPTION_EXPIRED/);
    assert.match(inactiveReason(sub(), t('2025-06-01T00:00:00Z'))!, /^SUBSCRIPTION_NOT_YET_VALID/);
    assert.equal(inactiveReason(sub(), t('2026-06-01T00:00:00Z')), null);
  });

  it('keeps a cancellation when a late delivery without CancelledDate arrives', () => {
    const cancelled = sub({ cancelledDate: '2026-03-01T00:00:00Z', cancelledReason: 'x' });
    const merged = mergeSubscription(cancelled, sub({ validTo: '2027-12-31T00:00:00Z' }));
    assert.equal(merged.cancelledDate, '2026-03-01T00:00:00Z');
    assert.equal(merged.validTo, '2027-12-31T00:00:00Z');
  });

  it('covers the holder and dependants', () => {
    assert.equal(covers(sub({ dependantCustomerIds: [11] }), 11), true);
    assert.equal(covers(sub(), 10), true);
    assert.equal(covers(sub(), 12), false);
    assert.equal(covers(sub(), null), false);
  });

  it('finds the next instant at which activity changes by the clock', () => {
    const now = t('2026-06-01T00:00:00Z');
    assert.equal(nextBoundaryMs([sub()], now), t('2026-12-31T23:59:59.000Z') + 1);
    assert.equal(nextBoundaryMs([sub({ validFrom: '2026-07-01T00:00:00Z' })], now), t('2026-07-01T00:00:00Z'));
    assert.equal(nextBoundaryMs([sub({ cancelledDate: '2026-05-01T00:00:00Z' })], now), null);
  });
});
