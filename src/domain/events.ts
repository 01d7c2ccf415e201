// AURA's webhook event names and what each means for a callout. Pure data, shared by the receiver, the simulator,
// the webhook registration and the status write-back.
import { CalloutStatus } from './status.js';

export const CALLOUT_EVENTS = [
  'NEW_CALLOUT',
  'RESPONDER_MANUALLY_DISPATCHED',
  'RESPONDER_ACKNOWLEDGED_CALLOUT',
  'RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA',
  'RESPONDER_ARRIVED_ON_SCENE',
  'RESPONDER_COMPLETED',
  'CALLOUT_NO_LONGER_REQUIRES_RESPONSE',
  'CALLOUT_SOFT_CANCELLED_BY_CUSTOMER',
  'CALLOUT_CLOSED',
  'CALLOUT_EVENTS_CHANGED',
  'RESPONDER_LOCATION_CHANGED',
  'CALLOUT_OWNED',
] as const;

export const CUSTOMER_EVENTS = ['CREATED_CUSTOMER', 'UPDATED_CUSTOMER'] as const;

export const SUBSCRIPTION_EVENTS = [
  'SUBSCRIPTION_CREATED',
  'SUBSCRIPTION_UPDATED',
  'SUBSCRIPTION_CANCELLED',
  'SUBSCRIPTION_CANCELLED_FAILED',
] as const;

/** Every event name AURA accepts in a webhook registration. */
export const REGISTRABLE_EVENTS: readonly string[] = [...CALLOUT_EVENTS, ...CUSTOMER_EVENTS, ...SUBSCRIPTION_EVENTS];

export const DEPRECATED_EVENTS: Readonly<Record<string, string>> = {
  RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA: 'RESPONDER_ACKNOWLEDGED_CALLOUT',
};

/** Registrable but left out of the default registration: high-volume and not needed to follow a callout. */
export const NOT_REGISTERED_BY_DEFAULT: readonly string[] = ['RESPONDER_LOCATION_CHANGED', 'CALLOUT_OWNED'];

/**
 * AURA's `SUBSCRIPTION_CREATED` delivery does not carry its own name in `message`: it arrives as
 * "Successfully activated customer subscription". Normalise delivered messages to event names here, in one place.
 */
export const DELIVERED_MESSAGE_ALIASES: Readonly<Record<string, string>> = {
  'Successfully activated customer subscription': 'SUBSCRIPTION_CREATED',
};

export function normaliseEventName(message: string): string {
  // Own keys only: a message such as "toString" must not resolve to Object.prototype's function.
  return Object.hasOwn(DELIVERED_MESSAGE_ALIASES, message) ? DELIVERED_MESSAGE_ALIASES[message]! : message;
}

/** The status a callout event implies, for payloads that lack `callout.status` (the payload's status wins). */
export const EVENT_STATUS: Readonly<Record<string, string>> = {
  NEW_CALLOUT: CalloutStatus.Created,
  RESPONDER_MANUALLY_DISPATCHED: CalloutStatus.ResponderDispatched,
  RESPONDER_ACKNOWLEDGED_CALLOUT: CalloutStatus.ResponderDispatched,
  RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA: CalloutStatus.ResponderDispatched,
  RESPONDER_ARRIVED_ON_SCENE: CalloutStatus.ResponderArrived,
  RESPONDER_COMPLETED: CalloutStatus.ResponderCompleted,
  CALLOUT_NO_LONGER_REQUIRES_RESPONSE: CalloutStatus.ResponderCancelled,
  CALLOUT_SOFT_CANCELLED_BY_CUSTOMER: CalloutStatus.CustomerSoftCancellation,
  CALLOUT_CLOSED: CalloutStatus.Closed,
};

/** The event AURA emits when a callout enters a status (used by the simulator). */
export const STATUS_EVENT: Readonly<Record<string, string>> = {
  [CalloutStatus.Created]: 'NEW_CALLOUT',
  [CalloutStatus.ResponderDispatched]: 'RESPONDER_MANUALLY_DISPATCHED',
  [CalloutStatus.ResponderArrived]: 'RESPONDER_ARRIVED_ON_SCENE',
  [CalloutStatus.ResponderCompleted]: 'RESPONDER_COMPLETED',
  [CalloutStatus.ResponderCancelled]: 'CALLOUT_NO_LONGER_REQUIRES_RESPONSE',
  [CalloutStatus.CustomerSoftCancellation]: 'CALLOUT_SOFT_CANCELLED_BY_CUSTOMER',
  [CalloutStatus.Closed]: 'CALLOUT_CLOSED',
};

export function isCalloutEvent(name: string): boolean {
  return (CALLOUT_EVENTS as readonly string[]).includes(name);
}

export function isCustomerEvent(name: string): boolean {
  return (CUSTOMER_EVENTS as readonly string[]).includes(name);
}

export function isSubscriptionEvent(name: string): boolean {
  return (SUBSCRIPTION_EVENTS as readonly string[]).includes(name);
}

export function isCustomerOrSubscriptionEvent(name: string): boolean {
  return isCustomerEvent(name) || isSubscriptionEvent(name);
}
