// AURA subscriptions have no status field (aura-api.md "Subscriptions"): a subscription is active while now lies within
// validFrom–validTo and `CancelledDate` is null. Pure functions, safe in workflow code.

/** What the service keeps of one AURA subscription (no personal data). */
export interface SubscriptionRecord {
  id: number;
  customerId: number | null;
  subscriptionTypeId: number | null;
  validFrom: string | null;
  validTo: string | null;
  cancelledDate: string | null;
  cancelledReason: string | null;
  /** Customers linked to it as dependants (family plans). */
  dependantCustomerIds: number[];
}

/** Missing validFrom means "from creation"; missing validTo means open-ended. An unparseable date is never active. */
export function isSubscriptionActive(
  s: Pick<SubscriptionRecord, 'validFrom' | 'validTo' | 'cancelledDate'>,
  nowMs: number,
): boolean {
  if (s.cancelledDate !== null && s.cancelledDate !== undefined) return false;
  if (s.validFrom) {
    const from = Date.parse(s.validFrom);
    if (!Number.isFinite(from) || nowMs < from) return false;
  }
  if (s.validTo) {
    const to = Date.parse(s.validTo);
    if (!Number.isFinite(to) || nowMs > to) return false;
  }
  return true;
}

/** Why a subscription is not active, for the onboarding state's reason. */
export function inactiveReason(
  s: Pick<SubscriptionRecord, 'validFrom' | 'validTo' | 'cancelledDate' | 'cancelledReason'>,
  nowMs: number,
): string | null {
  if (isSubscriptionActive(s, nowMs)) return null;
  if (s.cancelledDate) return `SUBSCRIPTION_CANCELLED: ${s.cancelledReason ?? 'cancelled'} (${s.cancelledDate})`;
  if (s.validFrom && nowMs < Date.parse(s.validFrom)) return `SUBSCRIPTION_NOT_YET_VALID: valid from ${s.validFrom}`;
  if (s.validTo && nowMs > Date.parse(s.validTo)) return `SUBSCRIPTION_EXPIRED: valid until ${s.validTo}`;
  return 'SUBSCRIPTION_INVALID_DATES';
}

/**
 * Merge a newer observation of a subscription into what is known. A cancellation is final (AURA cannot revive a
 * cancelled subscription), so a late or reordered delivery without `CancelledDate` never undoes it.
 */
export function mergeSubscription(known: SubscriptionRecord | undefined, seen: SubscriptionRecord): SubscriptionRecord {
  if (!known) return seen;
  return {
    id: known.id,
    customerId: seen.customerId ?? known.customerId,
    subscriptionTypeId: seen.subscriptionTypeId ?? known.subscriptionTypeId,
    validFrom: seen.validFrom ?? known.validFrom,
    validTo: seen.validTo ?? known.validTo,
    cancelledDate: known.cancelledDate ?? seen.cancelledDate,
    cancelledReason: known.cancelledDate ? known.cancelledReason : (seen.cancelledReason ?? known.cancelledReason),
    dependantCustomerIds: seen.dependantCustomerIds.length ? seen.dependantCustomerIds : known.dependantCustomerIds,
  };
}

/** Does this subscription cover the customer (as holder or as dependant)? */
export function covers(s: SubscriptionRecord, customerId: number | null): boolean {
  if (customerId === null) return false;
  return s.customerId === customerId || s.dependantCustomerIds.includes(customerId);
}

/**
 * The next instant at which the activity of one of these subscriptions changes by the clock alone (validFrom/validTo).
 */
export function nextBoundaryMs(subs: readonly SubscriptionRecord[], nowMs: number): number | null {
  let next: number | null = null;
  for (const s of subs) {
    if (s.cancelledDate) continue;
    for (const d of [s.validFrom, s.validTo]) {
      if (!d) continue;
      const t = Date.parse(d);
      // validTo is inclusive: the subscription lapses just after it.
      const edge = d === s.validTo ? t + 1 : t;
      if (Number.isFinite(edge) && edge > nowMs && (next === null || edge < next)) next = edge;
    }
  }
  return next;
}
