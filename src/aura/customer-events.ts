// AURA's customer and subscription payloads (webhooks and the subscription read-back) reduced to CustomerEvent at
// the edge, so that no customer record (mobile, medical details, next of kin) reaches workflow state or history.
import { z } from 'zod';
import type { CustomerEvent } from '../domain/onboarding.js';
import type { SubscriptionRecord } from '../domain/subscription.js';
import { contentKey } from './mapping.js';
import { CustomerWebhook, SubscriptionWebhook, SubscriptionWire } from './schemas.js';
import { isCustomerEvent } from '../domain/events.js';

type Wire = Partial<z.output<typeof SubscriptionWire>> & { id: number } & Record<string, unknown>;

export function subscriptionRecord(w: Wire): SubscriptionRecord {
  const deps = Array.isArray(w.dependantCustomerIds)
    ? (w.dependantCustomerIds as unknown[]).map(Number).filter(Number.isInteger)
    : Array.isArray(w.dependents)
      ? (w.dependents as unknown[])
          .map((d) => Number((d as { customerId?: unknown })?.customerId))
          .filter(Number.isInteger)
      : [];
  return {
    id: w.id,
    customerId: w.customerId ?? null,
    subscriptionTypeId: w.subscriptionTypeId ?? null,
    validFrom: w.validFrom ?? null,
    validTo: w.validTo ?? null,
    cancelledDate: w.CancelledDate ?? null,
    cancelledReason: w.CancelledReason ?? null,
    dependantCustomerIds: deps,
  };
}

/** Where a customer/subscription event should go: ids that lead to an onboarding workflow. */
export interface CustomerEventRouting {
  /** Our customerRef, when AURA echoes `externalReferenceId` (customer events): routes without any lookup. */
  customerRef: string | null;
  customerIds: number[];
  subscriptionIds: number[];
  /** When the entity was created/updated at AURA (ISO), to tell a fresh event from an old one. */
  entityAt: string | null;
}

export type ParsedCustomerEvent =
  { ok: true; event: CustomerEvent; routing: CustomerEventRouting } | { ok: false; error: z.ZodError };

export function customerEventFromWebhook(payload: unknown, eventName: string, receivedAt: string): ParsedCustomerEvent {
  if (isCustomerEvent(eventName)) {
    const r = CustomerWebhook.safeParse(payload);
    if (!r.success) return { ok: false, error: r.error };
    const c = r.data.customer as z.output<typeof CustomerWebhook>['customer'] & {
      updatedAt?: unknown;
      createdAt?: unknown;
    };
    const subs = (c.subscriptions ?? []).flatMap((x) => {
      const p = SubscriptionWire.safeParse(x);
      return p.success ? [subscriptionRecord({ customerId: c.id, ...p.data } as Wire)] : [];
    });
    const updatedAt = typeof c.updatedAt === 'string' ? c.updatedAt : null;
    return {
      ok: true,
      event: {
        key: contentKey(['customer', eventName, c.id, updatedAt]),
        event: eventName,
        source: 'webhook',
        at: receivedAt,
        customerId: c.id,
        externalReferenceId: c.externalReferenceId ?? null,
        ...(subs.length ? { subscriptions: subs } : {}),
      },
      routing: {
        customerRef: c.externalReferenceId ?? null,
        customerIds: [c.id],
        subscriptionIds: [],
        entityAt: updatedAt ?? (typeof c.createdAt === 'string' ? c.createdAt : null),
      },
    };
  }
  const r = SubscriptionWebhook.safeParse(payload);
  if (!r.success) return { ok: false, error: r.error };
  const list = (Array.isArray(r.data.subscription) ? r.data.subscription : [r.data.subscription]) as Wire[];
  const subs = list.map(subscriptionRecord);
  const links = r.data.links ?? [];
  const dependantIds = links.map((l) => l.customerId);
  const customerIds = [
    ...new Set([...subs.map((s) => s.customerId).filter((x): x is number => x !== null), ...dependantIds]),
  ];
  const only = eventName === 'SUBSCRIPTION_CANCELLED_FAILED';
  const entityAt = list.map((w) => (typeof w.updatedAt === 'string' ? w.updatedAt : null)).find(Boolean) ?? null;
  return {
    ok: true,
    event: {
      key: contentKey([
        'subscription',
        eventName,
        ...subs.map((s) => [s.id, s.validFrom, s.validTo, s.cancelledDate]),
        entityAt,
        dependantIds,
      ]),
      event: eventName,
      source: 'webhook',
      at: receivedAt,
      // A failed cancellation changes nothing about the subscription: only its id is recorded.
      ...(only ? { subscriptionIds: subs.map((s) => s.id) } : { subscriptions: subs }),
      ...(links.length ? { dependantOf: [...new Set(links.map((l) => l.subscriptionId))] } : {}),
    },
    routing: { customerRef: null, customerIds, subscriptionIds: subs.map((s) => s.id), entityAt },
  };
}

/** The read-back (`GET /v2/customers/{id}/subscriptions`) as one event. */
export function customerEventFromReadBack(customerId: number, subs: SubscriptionRecord[], at: string): CustomerEvent {
  return {
    key: contentKey([
      'read_back',
      customerId,
      at,
      ...subs.map((s) => [s.id, s.validFrom, s.validTo, s.cancelledDate, s.dependantCustomerIds]),
    ]),
    event: 'READ_BACK',
    source: 'read_back',
    at,
    customerId,
    subscriptions: subs.map((s) => ({ ...s, customerId: s.customerId ?? customerId })),
  };
}
