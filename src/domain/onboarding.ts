// Customer onboarding (one workflow per customerRef): the state the workflow keeps, how AURA's customer and
// subscription events change it, and the status the contract exposes. Pure: safe in workflow code.
import {
  covers,
  inactiveReason,
  isSubscriptionActive,
  mergeSubscription,
  type SubscriptionRecord,
} from './subscription.js';
import { isCustomerEvent } from './events.js';

export type OnboardingStatus =
  'pending' | 'customer_created' | 'subscription_requested' | 'active' | 'failed' | 'cancelled';
/** Where the workflow's own steps stand; `active`/`cancelled` are derived from the confirmed subscriptions. */
export type OnboardingPhase = 'pending' | 'customer_created' | 'subscription_requested' | 'failed';
export type EventSource = 'api' | 'webhook' | 'read_back' | 'clock';

export const onboardingWorkflowId = (customerRef: string) => `onboarding-${customerRef}`;
/**
 * Deterministic ids of the link workflows that map AURA's ids to the onboarding workflow (see workflows/onboarding.ts).
 */
export const customerLinkWorkflowId = (auraCustomerId: number) => `customer-aura-${auraCustomerId}`;
export const subscriptionLinkWorkflowId = (subscriptionId: number) => `subscription-aura-${subscriptionId}`;

/** One customer or subscription event, reduced at the edge (receiver, activity) to what onboarding needs. */
export interface CustomerEvent {
  /** Dedupe key: the same delivery repeated has the effect of one. */
  key: string;
  /** Event name (SUBSCRIPTION_CREATED, …), or READ_BACK for a read of the customer's subscriptions. */
  event: string;
  source: 'webhook' | 'read_back';
  at: string;
  customerId?: number | null;
  externalReferenceId?: string | null;
  subscriptions?: SubscriptionRecord[];
  /** Ids named by an event that carries nothing else (SUBSCRIPTION_CANCELLED_FAILED). */
  subscriptionIds?: number[];
  /** Subscription ids that a SUBSCRIPTION_UPDATED links this customer to as a dependant. */
  dependantOf?: number[];
}

export interface OnboardingTimelineEntry {
  at: string;
  status: OnboardingStatus;
  source: EventSource;
  event?: string;
}

export interface OnboardingState {
  customerRef: string;
  phase: OnboardingPhase;
  /** Why onboarding failed (phase `failed`). */
  failure: string | null;
  auraCustomerId: number | null;
  /** The subscription our create call (or POST /subscriptions) asked for, before anything confirmed it. */
  requestedSubscriptionId: number | null;
  /** Subscriptions confirmed by a webhook or a read-back. */
  subscriptions: SubscriptionRecord[];
  confirmedBy: 'webhook' | 'read_back' | null;
  cancellationFailed: { subscriptionId: number; at: string } | null;
  customerUpdatedAt: string | null;
  timeline: OnboardingTimelineEntry[];
  seen: string[];
}

const MAX_SEEN = 200;
const MAX_TIMELINE = 100;

export function initialOnboarding(customerRef: string): OnboardingState {
  return {
    customerRef,
    phase: 'pending',
    failure: null,
    auraCustomerId: null,
    requestedSubscriptionId: null,
    subscriptions: [],
    confirmedBy: null,
    cancellationFailed: null,
    customerUpdatedAt: null,
    timeline: [],
    seen: [],
  };
}

/** The subscriptions that give this customer access (held or as dependant). */
export function coveringSubscriptions(s: OnboardingState): SubscriptionRecord[] {
  return s.subscriptions.filter((x) => covers(x, s.auraCustomerId));
}

export function statusOf(s: OnboardingState, nowMs: number): OnboardingStatus {
  const subs = coveringSubscriptions(s);
  if (subs.some((x) => isSubscriptionActive(x, nowMs))) return 'active';
  // Once a confirmed subscription has ended (cancelled, lapsed), the customer is no longer active.
  if (s.confirmedBy !== null && subs.length > 0) return 'cancelled';
  return s.phase;
}

export function reasonOf(s: OnboardingState, nowMs: number): string | null {
  const status = statusOf(s, nowMs);
  if (status === 'failed') return s.failure;
  if (status !== 'cancelled') return null;
  // The most recently ended subscription explains it.
  const ended = coveringSubscriptions(s)
    .map((x) => ({ x, t: Date.parse(x.cancelledDate ?? x.validTo ?? '') || 0 }))
    .sort((a, b) => b.t - a.t)[0];
  return ended ? inactiveReason(ended.x, nowMs) : null;
}

/** The current subscription to show: an active one, else the latest known. */
export function currentSubscription(
  s: OnboardingState,
  nowMs: number,
): (SubscriptionRecord & { active: boolean }) | null {
  const subs = coveringSubscriptions(s);
  const active = subs.find((x) => isSubscriptionActive(x, nowMs));
  const pick = active ?? subs[subs.length - 1];
  return pick ? { ...pick, active: isSubscriptionActive(pick, nowMs) } : null;
}

function record(
  s: OnboardingState,
  before: OnboardingStatus,
  at: string,
  source: EventSource,
  event: string | undefined,
  nowMs: number,
): void {
  const after = statusOf(s, nowMs);
  // Each distinct transition once; an event that changes nothing visible adds no entry.
  if (after === before) return;
  s.timeline.push({ at, status: after, source, ...(event ? { event } : {}) });
  if (s.timeline.length > MAX_TIMELINE) s.timeline.splice(0, s.timeline.length - MAX_TIMELINE);
}

/** Move the workflow's own step forward (create answered, subscription requested, failure). */
export function setPhase(
  prev: OnboardingState,
  phase: OnboardingPhase,
  at: string,
  nowMs: number,
  failure?: string,
): OnboardingState {
  const s = structuredCloneState(prev);
  const before = statusOf(s, nowMs);
  s.phase = phase;
  if (phase === 'failed') s.failure = failure ?? 'FAILED';
  record(s, before, at, 'api', undefined, nowMs);
  return s;
}

function structuredCloneState(s: OnboardingState): OnboardingState {
  return {
    ...s,
    subscriptions: s.subscriptions.map((x) => ({ ...x, dependantCustomerIds: [...x.dependantCustomerIds] })),
    timeline: [...s.timeline],
    seen: [...s.seen],
  };
}

export interface ApplyResult {
  state: OnboardingState;
  changed: boolean;
  /** The event told us the AURA customer id (CREATED_CUSTOMER for our customerRef). */
  learnedCustomerId: number | null;
}

/**
 * Apply one customer or subscription event. Idempotent (dedupe by key) and monotonic for cancellations, so
 * duplicated or reordered deliveries cannot resurrect a cancelled subscription.
 */
export function applyCustomerEvent(prev: OnboardingState, ev: CustomerEvent, nowMs: number): ApplyResult {
  if (prev.seen.includes(ev.key)) return { state: prev, changed: false, learnedCustomerId: null };
  const s = structuredCloneState(prev);
  s.seen.push(ev.key);
  if (s.seen.length > MAX_SEEN) s.seen.splice(0, s.seen.length - MAX_SEEN);
  const before = statusOf(s, nowMs);
  let learnedCustomerId: number | null = null;

  if (isCustomerEvent(ev.event)) {
    if (s.auraCustomerId === null && ev.customerId != null && ev.externalReferenceId === s.customerRef) {
      s.auraCustomerId = ev.customerId;
      learnedCustomerId = ev.customerId;
    }
    if (ev.customerId != null && ev.customerId === s.auraCustomerId) s.customerUpdatedAt = ev.at;
  }

  if (ev.event === 'SUBSCRIPTION_CANCELLED_FAILED') {
    const id = ev.subscriptionIds?.[0] ?? ev.subscriptions?.[0]?.id;
    if (id !== undefined) s.cancellationFailed = { subscriptionId: id, at: ev.at };
  }

  for (const seen of ev.subscriptions ?? []) {
    const known = s.subscriptions.find((x) => x.id === seen.id);
    let candidate = seen;
    if (
      ev.dependantOf?.includes(seen.id) &&
      s.auraCustomerId !== null &&
      !seen.dependantCustomerIds.includes(s.auraCustomerId)
    ) {
      candidate = { ...seen, dependantCustomerIds: [...seen.dependantCustomerIds, s.auraCustomerId] };
    }
    const ours = known !== undefined || seen.id === s.requestedSubscriptionId || covers(candidate, s.auraCustomerId);
    if (!ours) continue;
    const merged = mergeSubscription(known, {
      ...candidate,
      customerId: candidate.customerId ?? known?.customerId ?? null,
    });
    if (known) s.subscriptions[s.subscriptions.indexOf(known)] = merged;
    else
      s.subscriptions.push(
        merged.customerId === null && seen.id === s.requestedSubscriptionId
          ? { ...merged, customerId: s.auraCustomerId }
          : merged,
      );
    if (
      s.confirmedBy === null &&
      isSubscriptionActive(merged, nowMs) &&
      covers(
        s.subscriptions.find((x) => x.id === seen.id)!,
        s.auraCustomerId,
      )
    ) {
      s.confirmedBy = ev.source;
    }
  }
  if (s.subscriptions.length > 20) s.subscriptions.splice(0, s.subscriptions.length - 20);

  record(s, before, ev.at, ev.source, ev.event, nowMs);
  return { state: s, changed: true, learnedCustomerId };
}

/** Re-evaluate at a validFrom/validTo boundary: the status may change by the clock alone. */
export function applyClock(
  prev: OnboardingState,
  at: string,
  previousStatus: OnboardingStatus,
  nowMs: number,
): OnboardingState {
  if (statusOf(prev, nowMs) === previousStatus) return prev;
  const s = structuredCloneState(prev);
  record(s, previousStatus, at, 'clock', undefined, nowMs);
  return s;
}

/** Record the AURA customer id (create answered, adopted, or learnt from CREATED_CUSTOMER). */
export function setCustomer(
  prev: OnboardingState,
  auraCustomerId: number,
  requestedSubscriptionId: number | null,
): OnboardingState {
  return {
    ...structuredCloneState(prev),
    auraCustomerId,
    requestedSubscriptionId: requestedSubscriptionId ?? prev.requestedSubscriptionId,
  };
}

/** The compact state kept in the workflow's memo: read by the intake rule with one describe, no worker involved. */
export interface OnboardingMemo {
  customerRef: string;
  phase: OnboardingPhase;
  failure: string | null;
  auraCustomerId: number | null;
  subscriptions: SubscriptionRecord[];
  confirmedBy: 'webhook' | 'read_back' | null;
}

/** Memo key under which an onboarding workflow keeps what a read needs (the API reads it with describe). */
export const ONBOARDING_VIEW_MEMO = 'onboardingView';

export interface OnboardingViewMemo {
  state: OnboardingState;
  createdAt: string;
}

export function memoOf(s: OnboardingState): OnboardingMemo {
  return {
    customerRef: s.customerRef,
    phase: s.phase,
    failure: s.failure,
    auraCustomerId: s.auraCustomerId,
    subscriptions: coveringSubscriptions(s),
    confirmedBy: s.confirmedBy,
  };
}

/** A memo read back as state (the fields it lacks are empty). */
export function stateFromMemo(m: OnboardingMemo): OnboardingState {
  return {
    ...initialOnboarding(m.customerRef),
    ...m,
    requestedSubscriptionId: null,
    cancellationFailed: null,
    customerUpdatedAt: null,
  };
}

/** The contract's onboarding resource (GET /v1/customers/onboarding/:customerRef). No personal data. */
export interface OnboardingView {
  onboardingId: string;
  customerRef: string;
  status: OnboardingStatus;
  reason: string | null;
  auraCustomerId: number | null;
  subscription: (SubscriptionRecord & { active: boolean }) | null;
  confirmedBy: 'webhook' | 'read_back' | null;
  cancellationFailed: { subscriptionId: number; at: string } | null;
  customerUpdatedAt: string | null;
  timeline: OnboardingTimelineEntry[];
  createdAt: string;
}

export function onboardingView(s: OnboardingState, createdAt: string, nowMs: number): OnboardingView {
  return {
    onboardingId: onboardingWorkflowId(s.customerRef),
    customerRef: s.customerRef,
    status: statusOf(s, nowMs),
    reason: reasonOf(s, nowMs),
    auraCustomerId: s.auraCustomerId,
    subscription: currentSubscription(s, nowMs),
    confirmedBy: s.confirmedBy,
    cancellationFailed: s.cancellationFailed,
    customerUpdatedAt: s.customerUpdatedAt,
    timeline: s.timeline,
    createdAt,
  };
}

/**
 * The intake rule's question: does our record positively say this customer has no active subscription? Only AURA's
 * own word counts: a confirmed subscription that was cancelled or lapsed (`cancelled`), or a read-back that showed
 * none active (`SUBSCRIPTION_NOT_CONFIRMED`). While onboarding is in progress, or failed for another reason, the
 * subscription may well be active at AURA already: refusing an emergency on a guess is worse than AURA's 403.
 */
export function refusesLiveCallouts(s: OnboardingState, nowMs: number): boolean {
  const status = statusOf(s, nowMs);
  if (status === 'cancelled') return true;
  return status === 'failed' && (s.failure ?? '').startsWith('SUBSCRIPTION_NOT_CONFIRMED');
}
