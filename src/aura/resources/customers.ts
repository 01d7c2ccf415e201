// Customers and subscriptions (onboarding). AURA's mobile number is its unique customer key, and a subscription has no
// status field (active while now is within validFrom–validTo and CancelledDate is null).
import { z } from 'zod';
import { auraErrorText } from '../errors.js';
import { endpoint } from '../endpoint.js';
import * as S from '../schemas.js';
import type { AuraTransport } from '../transport.js';

export interface CreateCustomerInput {
  customer: {
    name: string;
    surname: string;
    mobile: string;
    email?: string | undefined;
    externalReferenceId?: string | undefined;
  };
  subscription?:
    { subscriptionTypeId: number; validFrom?: string | undefined; validTo?: string | undefined } | undefined;
}

export type CreateCustomerResult =
  | {
      status: 'created';
      customerId: number;
      externalReferenceId: string | null;
      subscription: S.SubscriptionWire | null;
    }
  | { status: 'exists'; customerId: number | null; auraMessage: string | null };

export type CreateSubscriptionResult = { status: 'created'; subscription: S.SubscriptionWire } | { status: 'exists' };

const CustomerCreated = S.CreateCustomerResponse.transform((c): CreateCustomerResult => {
  const nested = [...(c.subscriptions ?? []), ...(c.topSubscription !== undefined ? [c.topSubscription] : [])]
    .map((x) => S.SubscriptionWire.safeParse(x))
    .find((p) => p.success);
  return {
    status: 'created',
    customerId: c.id,
    externalReferenceId: c.externalReferenceId ?? null,
    subscription: nested?.success ? nested.data : null,
  };
});

/** AURA does not document the 409 body; a customer id in it is used when present. */
const CustomerExists = z.unknown().transform((body): CreateCustomerResult => {
  const b = (body ?? {}) as Record<string, any>;
  const id = [b.customerId, b.customer?.id, b.id].find((x) => Number.isInteger(x)) as number | undefined;
  return { status: 'exists', customerId: id ?? null, auraMessage: auraErrorText(body) ?? null };
});

const endpoints = {
  // A second create for the same mobile answers 409: an answer, because the first may have succeeded and lost its
  // answer.
  createCustomer: endpoint({
    method: 'POST',
    path: '/v2/customers',
    response: CustomerCreated,
    answers: { 409: CustomerExists },
  }),
  // Rate-limited by AURA (about 50 per 10 s per customer source): 429 carries Retry-After.
  listSubscriptions: endpoint({
    method: 'GET',
    path: '/v2/customers/:customerId/subscriptions',
    response: S.SubscriptionList,
  }),
  // 409 (already active) is an answer.
  createSubscription: endpoint({
    method: 'POST',
    path: '/v2/subscriptions',
    response: S.SubscriptionResponse.transform((subscription): CreateSubscriptionResult => ({
      status: 'created',
      subscription,
    })),
    answers: { 409: z.unknown().transform((): CreateSubscriptionResult => ({ status: 'exists' })) },
  }),
};

export function customersResource(t: AuraTransport) {
  return {
    /**
     * Create a customer, activating a subscription in the same call when `subscription` is given (the [B] nested body
     * of the quickstart). A customer that exists already (409, the mobile number) is `exists`, not an error.
     */
    async createCustomer(input: CreateCustomerInput): Promise<CreateCustomerResult> {
      const body: Record<string, unknown> = { customer: input.customer };
      if (input.subscription) body.subscription = input.subscription;
      return (await endpoints.createCustomer(t, { body })).data;
    },

    /** The read-back. Rate-limited by AURA (about 50 per 10 s per customer source): 429 carries Retry-After. */
    async listCustomerSubscriptions(customerId: number): Promise<S.SubscriptionWire[]> {
      return (await endpoints.listSubscriptions(t, { params: { customerId } })).data;
    },

    /** Activate a subscription; 409 (already active) is an answer. */
    async createSubscription(input: {
      customerId: number;
      subscriptionTypeId: number;
      validFrom?: string;
      validTo?: string;
    }): Promise<CreateSubscriptionResult> {
      return (await endpoints.createSubscription(t, { body: input })).data;
    },
  };
}

export type CustomersResource = ReturnType<typeof customersResource>;
