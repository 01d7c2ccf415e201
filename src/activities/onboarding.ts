// Activities of customer onboarding: the AURA customer create (never twice), the subscription request and read-back,
// and the link workflows that map AURA's ids to the onboarding workflow.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { AuraClient } from '../aura/client.js';
import { guarded } from './aura-call.js';
import { subscriptionRecord } from '../aura/customer-events.js';
import { customerLinkWorkflowId, subscriptionLinkWorkflowId } from '../domain/onboarding.js';
import type { SubscriptionRecord } from '../domain/subscription.js';
import type { LinkMemo } from '../workflows/onboarding-messages.js';
import { auraLinkWorkflow } from '../workflows/onboarding.js';

export interface OnboardingActivityDeps {
  aura: AuraClient;
  temporal: Client;
  taskQueue: string;
}

export interface LinkInput {
  onboardingWorkflowId: string;
  customerRef: string;
  customerId?: number | null;
  subscriptionIds?: number[];
}

export interface CreateAuraCustomerInput extends LinkInput {
  customer: { name: string; surname: string; mobile: string; email?: string | undefined };
  subscription?: { subscriptionTypeId: number; validFrom: string; validTo: string } | undefined;
}

export type CreateAuraCustomerResult =
  | { status: 'created'; customerId: number; subscriptionId: number | null }
  | { status: 'exists'; customerId: number | null; auraMessage: string | null };

export function createOnboardingActivities(deps: OnboardingActivityDeps) {
  const { aura, temporal } = deps;

  /** Start (idempotently) the link workflow for each id; an existing link is kept. */
  async function link(input: LinkInput): Promise<void> {
    const memo: LinkMemo = { onboardingWorkflowId: input.onboardingWorkflowId, customerRef: input.customerRef };
    const ids = [
      ...(input.customerId != null ? [customerLinkWorkflowId(input.customerId)] : []),
      ...(input.subscriptionIds ?? []).map(subscriptionLinkWorkflowId),
    ];
    await Promise.all(
      ids.map(async (workflowId) => {
        try {
          await temporal.workflow.start(auraLinkWorkflow, {
            workflowId,
            taskQueue: deps.taskQueue,
            args: [memo],
            memo: memo as unknown as Record<string, unknown>,
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }),
    );
  }

  return {
    /**
     * Create the AURA customer with its subscription in the same call. Never twice: the mobile number is AURA's
     * unique key, so a retry after a lost answer gets 409 (`exists`), and the workflow then learns the id from
     * AURA's CREATED_CUSTOMER webhook (which carries our customerRef as externalReferenceId). The links are
     * started here, right after AURA's answer, so that webhooks racing the answer find the workflow.
     */
    async createAuraCustomer(input: CreateAuraCustomerInput): Promise<CreateAuraCustomerResult> {
      return guarded(async () => {
        const r = await aura.createCustomer({
          customer: { ...input.customer, externalReferenceId: input.customerRef },
          subscription: input.subscription,
        });
        if (r.status === 'exists') {
          if (r.customerId !== null) await link({ ...input, customerId: r.customerId });
          return { status: 'exists', customerId: r.customerId, auraMessage: r.auraMessage };
        }
        const subscriptionId = r.subscription?.id ?? null;
        await link({
          ...input,
          customerId: r.customerId,
          subscriptionIds: subscriptionId !== null ? [subscriptionId] : [],
        });
        return { status: 'created', customerId: r.customerId, subscriptionId };
      });
    },

    async linkAuraIds(input: LinkInput): Promise<void> {
      await link(input);
    },

    /** Activate a subscription for an existing customer; 409 means one is already active. */
    async requestSubscription(
      input: LinkInput & { customerId: number; subscriptionTypeId: number; validFrom: string; validTo: string },
    ): Promise<{ status: 'created' | 'exists'; subscriptionId: number | null }> {
      return guarded(async () => {
        const r = await aura.createSubscription({
          customerId: input.customerId,
          subscriptionTypeId: input.subscriptionTypeId,
          validFrom: input.validFrom,
          validTo: input.validTo,
        });
        if (r.status === 'exists') return { status: 'exists', subscriptionId: null };
        await link({ ...input, subscriptionIds: [r.subscription.id] });
        return { status: 'created', subscriptionId: r.subscription.id };
      });
    },

    /**
     * Read the customer's subscriptions back. AURA rate-limits this route per customer source: a 429 becomes a
     * retryable failure whose next retry waits for Retry-After (toFailure), and the activity runs on the AURA task
     * queue whose server-side rate limit is the global request cap.
     */
    async readBackSubscriptions(input: { customerId: number }): Promise<SubscriptionRecord[]> {
      return guarded(async () =>
        (await aura.listCustomerSubscriptions(input.customerId)).map((w) =>
          subscriptionRecord({ ...w, customerId: w.customerId ?? input.customerId }),
        ),
      );
    },
  };
}

export type OnboardingActivities = ReturnType<typeof createOnboardingActivities>;
