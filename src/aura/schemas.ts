// Wire shapes of AURA's Panic API and webhooks, in one module so that a correction found on AURA staging touches one
// place. AURA's reference exists in two generations that disagree (flat vs wrapped objects, snake_case vs camelCase
// token keys, numbers vs strings for coordinates); parsers accept both where that costs little. Objects are loose:
// unknown fields are kept, never rejected.
import { z } from 'zod';

/** AURA sends coordinates sometimes as numbers, sometimes as strings ("-26.10911"). */
export const Coordinate = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: 'not a number' });
    return z.NEVER;
  }
  return n;
});

const nullish = <T extends z.ZodType>(t: T) => t.nullish();

// ---- Authentication -------------------------------------------------------------------------------------------

export const TokenResponse = z
  .looseObject({
    accessToken: z.string().optional(),
    access_token: z.string().optional(),
    tokenType: z.string().optional(),
    token_type: z.string().optional(),
    expiresIn: z.number().optional(),
    expires_in: z.number().optional(),
  })
  .transform((t, ctx) => {
    const accessToken = t.accessToken ?? t.access_token;
    if (!accessToken) {
      ctx.addIssue({ code: 'custom', message: 'token response has neither accessToken nor access_token' });
      return z.NEVER;
    }
    return {
      accessToken,
      tokenType: t.tokenType ?? t.token_type ?? 'Bearer',
      expiresIn: t.expiresIn ?? t.expires_in ?? 3600,
    };
  });
export type TokenResponse = z.output<typeof TokenResponse>;

// ---- Callouts -------------------------------------------------------------------------------------------------

export const CustomerSummary = z.looseObject({
  id: z.number(),
  name: nullish(z.string()),
  surname: nullish(z.string()),
  mobile: nullish(z.string()),
});

export const ResponderLocation = z.looseObject({
  latitude: nullish(Coordinate),
  longitude: nullish(Coordinate),
  accuracy: nullish(z.number()),
});

export const ResponderWire = z.looseObject({
  id: nullish(z.number()),
  callsign: nullish(z.string()),
  vehicleMake: nullish(z.string()),
  vehicleModel: nullish(z.string()),
  vehicleColour: nullish(z.string()),
  vehicleLicensePlate: nullish(z.string()),
  responderLocation: nullish(ResponderLocation),
});

export const DispatchInformation = z.looseObject({
  responderDispatchedAt: nullish(z.string()),
  responderArrivedAt: nullish(z.string()),
  responderCompletedAt: nullish(z.string()),
  responder: nullish(ResponderWire),
  supplier: nullish(z.looseObject({ id: nullish(z.number()), name: nullish(z.string()) })),
  calloutResponseEta: z.unknown().optional(),
  responderRoute: z.unknown().optional(),
});

export const CalloutEventWire = z.looseObject({
  id: z.number(),
  calloutId: nullish(z.number()),
  message: nullish(z.string()),
  // [B] generation: the body lives in `event` (object or string) with `createdBy`.
  event: z.unknown().optional(),
  createdBy: nullish(z.string()),
  createdAt: nullish(z.string()),
});
export type CalloutEventWire = z.output<typeof CalloutEventWire>;

export const IncidentInformation = z.looseObject({
  calloutId: nullish(z.number()),
  status: nullish(z.string()),
  createdAt: nullish(z.string()),
  calloutClassification: nullish(z.looseObject({ id: z.number(), value: nullish(z.string()) })),
  responseType: nullish(z.looseObject({ id: z.number(), value: nullish(z.string()) })),
  calloutCurrentLocation: nullish(
    z.looseObject({
      latitude: nullish(Coordinate),
      longitude: nullish(Coordinate),
      formattedAddress: nullish(z.string()),
    }),
  ),
  dispatchInformation: nullish(DispatchInformation),
  calloutEvents: nullish(z.array(z.unknown())),
});

/** The read shape ("Get a callout", "Stream location and return callout", responder webhooks). */
export const CalloutRead = z.looseObject({
  id: z.number(),
  status: z.string(),
  url: nullish(z.string()),
  externalRefId: nullish(z.string()),
  internalTest: nullish(z.boolean()),
  customer: nullish(CustomerSummary),
  incidentInformation: z.array(IncidentInformation).default([]),
});
export type CalloutRead = z.output<typeof CalloutRead>;

/** The flat shape the create call answers (it is not the read shape: no incidentInformation, has `url`). */
export const CalloutCreated = z.looseObject({
  id: z.number(),
  status: z.string(),
  customerId: nullish(z.number()),
  predefinedLocationId: nullish(z.number()),
  responseTypeId: nullish(z.number()),
  url: nullish(z.string()),
  createdAt: nullish(z.string()),
});
export type CalloutCreated = z.output<typeof CalloutCreated>;

/** Accept both `{...callout}` ([A]) and `{message, callout}` ([B]). */
export function unwrapped<T extends z.ZodType>(inner: T) {
  return z.union([z.looseObject({ callout: inner }).transform((w) => w.callout as z.output<T>), inner]);
}

export const CreateCalloutResponse = unwrapped(CalloutCreated);
export const ReadCalloutResponse = unwrapped(CalloutRead);
export const CalloutList = z.union([
  z.array(CalloutCreated),
  z.looseObject({ callouts: z.array(CalloutCreated) }).transform((w) => w.callouts),
]);

/** "Get a callout map" (only once the callout has closed): a static image of the customer and responder markers. */
export const CalloutMap = z.looseObject({ url: z.string(), image: nullish(z.string()) });
export type CalloutMap = z.output<typeof CalloutMap>;

export const CalloutEventList = z.union([
  z.array(CalloutEventWire),
  z.looseObject({ events: z.array(CalloutEventWire) }).transform((w) => w.events),
]);

// ---- Customers and subscriptions ----------------------------------------------------------------------------

/**
 * A subscription has no status field: it is active while now is within validFrom–validTo and CancelledDate is null.
 */
export const SubscriptionWire = z.looseObject({
  id: z.number(),
  customerId: nullish(z.number()),
  subscriptionTypeId: nullish(z.number()),
  validFrom: nullish(z.string()),
  validTo: nullish(z.string()),
  CancelledDate: nullish(z.string()),
  CancelledReason: nullish(z.string()),
});
export type SubscriptionWire = z.output<typeof SubscriptionWire>;

// ---- Webhooks -----------------------------------------------------------------------------------------------

export const WebhookRegistration = z.object({
  url: z.string(),
  events: z.array(z.string()),
  method: z.string().default('webhook'),
  headers: z.record(z.string(), z.string()).default({}),
});
export type WebhookRegistration = z.input<typeof WebhookRegistration>;

export const WebhookRegistrationResponse = z.looseObject({
  message: nullish(z.string()),
  notifier: z.looseObject({ config: z.array(z.looseObject({ url: z.string(), events: z.array(z.string()) })) }),
});

/**
 * An AURA entity id as a webhook carries it: a positive safe integer. Ids name workflows (`aura-callout-<id>`, …), so
 * a float, negative, zero or imprecise (beyond 2^53) id is refused rather than turned into an odd workflow id.
 */
export const AuraId = z.int().positive();

/**
 * Most subscriptions or links one customer/subscription webhook may name: each is a Temporal lookup when the event
 * is routed, so the work per delivery stays bounded. AURA's deliveries carry one or a few.
 */
export const MAX_WEBHOOK_ROUTING_ENTRIES = 100;

/** Every webhook delivery: `message` names the event; the entity rides beside it. */
export const WebhookEnvelope = z.looseObject({ message: z.string() });

export const CalloutWebhook = z.looseObject({
  message: z.string(),
  calloutExternalRefId: nullish(z.string()),
  siteExternalRefId: nullish(z.string()),
  // NEW_CALLOUT carries the flat callout; responder events the read shape. Both have id and status.
  callout: z.looseObject({
    id: AuraId,
    status: nullish(z.string()),
    externalRefId: nullish(z.string()),
    url: nullish(z.string()),
    incidentInformation: nullish(z.array(IncidentInformation)),
  }),
});
export type CalloutWebhook = z.output<typeof CalloutWebhook>;

export const CustomerWebhook = z.looseObject({
  message: z.string(),
  customer: z.looseObject({
    id: AuraId,
    externalReferenceId: nullish(z.string()),
    subscriptions: z.array(z.unknown()).max(MAX_WEBHOOK_ROUTING_ENTRIES).optional(),
  }),
});

/** A subscription as a webhook names it: its id and customer id route the event, so both are AURA ids. */
const WebhookSubscription = SubscriptionWire.partial().extend({ id: AuraId, customerId: nullish(AuraId) });

/** SUBSCRIPTION_UPDATED sends `subscription` as an array (with dependant `links`); the others send one object. */
export const SubscriptionWebhook = z.looseObject({
  message: z.string(),
  subscription: z.union([z.array(WebhookSubscription).max(MAX_WEBHOOK_ROUTING_ENTRIES), WebhookSubscription]),
  links: z
    .array(z.looseObject({ customerId: AuraId, subscriptionId: AuraId }))
    .max(MAX_WEBHOOK_ROUTING_ENTRIES)
    .optional(),
  dependantLinks: z.array(z.unknown()).optional(),
});

// ---- Customer create and subscription reads (onboarding) ---------------------------------------------------------

/** Both generations: [B] `{message, customer: {...}}` with the nested `subscriptions[]`, [A] the flat customer. */
export const CustomerCreated = z.looseObject({
  id: z.number(),
  externalReferenceId: nullish(z.string()),
  subscriptions: z.array(z.unknown()).optional(),
});
export const CreateCustomerResponse = z.union([
  z
    .looseObject({ customer: CustomerCreated, subscription: z.unknown().optional() })
    .transform((w) => ({ ...w.customer, topSubscription: w.subscription })),
  CustomerCreated.transform((c) => ({ ...c, topSubscription: undefined as unknown })),
]);

export const SubscriptionList = z.union([
  z.array(SubscriptionWire),
  z.looseObject({ subscriptions: z.array(SubscriptionWire) }).transform((w) => w.subscriptions),
]);
export const SubscriptionResponse = z.union([
  z.looseObject({ subscription: SubscriptionWire }).transform((w) => w.subscription),
  SubscriptionWire,
]);
