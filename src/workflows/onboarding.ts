// One workflow per customerRef (id `onboarding-<customerRef>`): creates the AURA customer with its subscription
// (never twice), confirms the subscription by AURA's webhook or, when none comes, by reading it back, and then stays
// open as the customer's subscription record: customer and subscription events change its state for as long as the
// customer exists. Its memo carries the compact state that the intake rule reads with one describe.
//
// AURA's webhooks name customers and subscriptions by AURA's ids, which exist only after the create call. Link
// workflows (`customer-aura-<id>`, `subscription-aura-<id>`) map those ids to this workflow: started right after AURA
// answers, open for as long as the customer exists, read by the receiver with describe (their memo names the target).
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type * as callouts from '../activities/callouts.js';
import type { OnboardingActivities } from '../activities/onboarding.js';
import {
  applyClock,
  applyCustomerEvent,
  coveringSubscriptions,
  initialOnboarding,
  memoOf,
  ONBOARDING_VIEW_MEMO,
  reasonOf,
  setCustomer,
  setPhase,
  statusOf,
  type CustomerEvent,
  type OnboardingState,
  type OnboardingView,
} from '../domain/onboarding.js';
import { nextBoundaryMs } from '../domain/subscription.js';
import type { WorkflowConfig } from './config.js';
import { customerEventSignal, getOnboardingQuery, unlinkSignal, type LinkMemo } from './onboarding-messages.js';
import { isSubscriptionEvent } from '../domain/events.js';

export interface OnboardingRequest {
  name: string;
  surname: string;
  mobile: string;
  email?: string | undefined;
  subscriptionTypeId: number;
  validFrom: string;
  validTo: string;
  /** Adopt an existing AURA customer instead of creating one. */
  auraCustomerId?: number | undefined;
}

export interface OnboardingSettings {
  /** Wait this long for the subscription webhook before reading back. */
  confirmWaitMs: number;
  /** After a 409 without an id, wait this long for CREATED_CUSTOMER naming our customerRef. */
  customerLookupWaitMs: number;
  /** Read-backs before giving up on confirmation. */
  readBackAttempts: number;
}

export interface OnboardingInput {
  customerRef: string;
  createdAt: string;
  /** Absent after continue-as-new: personal data is needed only for the create and is not carried. */
  request?: OnboardingRequest;
  settings: OnboardingSettings;
  carried?: { state: OnboardingState; config: WorkflowConfig };
}

type Acts = ReturnType<typeof callouts.createCalloutActivities> & OnboardingActivities;

const { getWorkflowConfig } = proxyLocalActivities<Acts>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});
const { linkAuraIds } = proxyActivities<Acts>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

const MAX_SLEEP_MS = 30 * 24 * 3600_000;
const CONTINUE_AS_NEW_EVENTS = 2_000;

function failureText(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const d = cause.details?.[0] as { code?: string; status?: number | null; auraMessage?: string | null } | undefined;
    return `${d?.code ?? cause.type ?? 'ERROR'}${d?.status ? ` (${d.status})` : ''}: ${d?.auraMessage ?? cause.message}`;
  }
  return (cause as Error)?.message ?? String(cause);
}

export async function onboardingWorkflow(input: OnboardingInput): Promise<OnboardingView> {
  const config = input.carried?.config ?? (await getWorkflowConfig());
  const aura = proxyActivities<Acts>({
    taskQueue: config.auraTaskQueue,
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '10m',
    // Transient failures retry (429 waits for Retry-After); AURA's refusals fail at once (non-retryable).
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });
  const workflowId = workflowInfo().workflowId;
  const linkBase = { onboardingWorkflowId: workflowId, customerRef: input.customerRef };
  let state: OnboardingState = input.carried?.state ?? initialOnboarding(input.customerRef);
  let version = 0;
  let published = -1;
  const now = () => Date.now();
  const at = () => new Date().toISOString();

  const publish = () => {
    if (published === version) return;
    published = version;
    // The API reads the onboarding from this memo (describe), never by a query: no worker replays the workflow to
    // answer a read. The dedupe keys stay out of it.
    upsertMemo({
      onboarding: memoOf(state),
      [ONBOARDING_VIEW_MEMO]: { state: { ...state, seen: [] }, createdAt: input.createdAt },
    });
  };
  const apply = (ev: CustomerEvent) => {
    const r = applyCustomerEvent(state, ev, now());
    if (!r.changed) return;
    state = r.state;
    version++;
  };

  setHandler(getOnboardingQuery, () => ({ state, createdAt: input.createdAt }));
  // A subscription event can reach this workflow before it knows its AURA customer id (the link is started as soon
  // as AURA answers, the answer is processed a moment later): keep it until the id is known, then apply it.
  const early: CustomerEvent[] = [];
  const flushEarly = () => {
    if (state.auraCustomerId === null) return;
    for (const ev of early.splice(0)) apply(ev);
  };
  setHandler(customerEventSignal, (ev) => {
    if (state.auraCustomerId === null && isSubscriptionEvent(ev.event)) {
      if (early.length < 50) early.push(ev);
      return;
    }
    apply(ev);
    flushEarly();
    publish();
  });

  const fail = (reason: string): never => {
    state = setPhase(state, 'failed', at(), now(), reason);
    version++;
    publish();
    // A failed run ends as failed: POSTing the same customerRef again starts a fresh attempt.
    throw ApplicationFailure.nonRetryable(reason, 'ONBOARDING_FAILED');
  };

  const readBack = async (customerId: number) => {
    const subs = await aura.readBackSubscriptions({ customerId });
    apply({
      key: `read_back:${workflowInfo().historyLength}:${at()}`,
      event: 'READ_BACK',
      source: 'read_back',
      at: at(),
      customerId,
      subscriptions: subs,
    });
    publish();
  };

  if (!input.carried && input.request) {
    const req = input.request;
    const subscription = { subscriptionTypeId: req.subscriptionTypeId, validFrom: req.validFrom, validTo: req.validTo };
    let subscriptionRequested = false;

    // 1. The AURA customer, with its subscription in the same create call.
    if (req.auraCustomerId !== undefined) {
      await linkAuraIds({ ...linkBase, customerId: req.auraCustomerId });
      state = setCustomer(state, req.auraCustomerId, null);
      flushEarly();
    } else {
      let created;
      try {
        created = await aura.createAuraCustomer({
          ...linkBase,
          customer: {
            name: req.name,
            surname: req.surname,
            mobile: req.mobile,
            ...(req.email ? { email: req.email } : {}),
          },
          subscription,
        });
      } catch (err) {
        return fail(`CUSTOMER_CREATE_FAILED: ${failureText(err)}`);
      }
      if (created.status === 'created') {
        state = setCustomer(state, created.customerId, created.subscriptionId);
        subscriptionRequested = created.subscriptionId !== null;
      } else if (created.customerId !== null) {
        state = setCustomer(state, created.customerId, null);
      } else {
        // AURA already holds a customer with this mobile number. If it is ours (an earlier attempt whose answer was
        // lost), AURA's CREATED_CUSTOMER webhook names our customerRef: wait for it.
        const learnt = await condition(() => state.auraCustomerId !== null, input.settings.customerLookupWaitMs);
        if (!learnt) {
          return fail(
            `CUSTOMER_EXISTS: AURA already has a customer with this mobile number (${created.auraMessage ?? '409'}) and did not say which; ` +
              'POST again with auraCustomerId to adopt that customer',
          );
        }
        await linkAuraIds({ ...linkBase, customerId: state.auraCustomerId! });
      }
    }
    flushEarly();
    state = setPhase(state, 'customer_created', at(), now());
    version++;
    publish();
    const customerId = state.auraCustomerId!;

    // 2. No subscription came with the create (adopted or existing customer): one may already be active.
    if (!subscriptionRequested && statusOf(state, now()) !== 'active') {
      try {
        await readBack(customerId);
        if (statusOf(state, now()) !== 'active') {
          const r = await aura.requestSubscription({ ...linkBase, customerId, ...subscription });
          if (r.subscriptionId !== null) state = setCustomer(state, customerId, r.subscriptionId);
        }
      } catch (err) {
        return fail(`SUBSCRIPTION_REQUEST_FAILED: ${failureText(err)}`);
      }
    }

    // 3. Confirm: AURA's SUBSCRIPTION_CREATED webhook, or else reading it back.
    if (statusOf(state, now()) !== 'active') {
      state = setPhase(state, 'subscription_requested', at(), now());
      version++;
      publish();
      const confirmed = await condition(() => statusOf(state, now()) === 'active', input.settings.confirmWaitMs);
      if (!confirmed) {
        for (let attempt = 1; attempt <= input.settings.readBackAttempts; attempt++) {
          try {
            await readBack(customerId);
          } catch (err) {
            return fail(`SUBSCRIPTION_READ_BACK_FAILED: ${failureText(err)}`);
          }
          if (statusOf(state, now()) === 'active') break;
          if (attempt < input.settings.readBackAttempts) {
            await condition(() => statusOf(state, now()) === 'active', Math.min(30_000, 1_000 * 2 ** attempt));
            if (statusOf(state, now()) === 'active') break;
          }
        }
      }
      if (statusOf(state, now()) !== 'active') {
        const sub =
          coveringSubscriptions(state).find((s) => s.id === state.requestedSubscriptionId) ??
          coveringSubscriptions(state)[0];
        return fail(
          `SUBSCRIPTION_NOT_CONFIRMED: ${sub ? (reasonOf({ ...state, confirmedBy: 'read_back' }, now()) ?? 'not active') : 'AURA shows no subscription for the customer'}`,
        );
      }
    }
    publish();
  }

  // 4. The customer's subscription record: events change it; the clock ends it at validTo.
  for (;;) {
    const before = statusOf(state, now());
    const seenVersion = version;
    const boundary = nextBoundaryMs(coveringSubscriptions(state), now());
    const timeout = boundary === null ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(1, boundary - now()));
    const woke = await condition(
      () => version !== seenVersion || workflowInfo().historyLength > CONTINUE_AS_NEW_EVENTS,
      timeout,
    );
    if (!woke) {
      const next = applyClock(state, at(), before, now());
      if (next !== state) {
        state = next;
        version++;
      }
    }
    publish();
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > CONTINUE_AS_NEW_EVENTS) {
      await condition(allHandlersFinished);
      const { request: _personal, ...rest } = input;
      await continueAsNew<typeof onboardingWorkflow>({ ...rest, carried: { state, config } });
    }
  }
}

/** Maps one AURA id to its onboarding workflow (memo); stays open until unlinked. */
export async function auraLinkWorkflow(_memo: LinkMemo): Promise<void> {
  let unlinked = false;
  setHandler(unlinkSignal, () => {
    unlinked = true;
  });
  await condition(() => unlinked);
}
