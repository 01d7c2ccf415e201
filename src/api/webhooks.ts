// POST /webhooks/aura: AURA's deliveries are unsigned, carry no event id and are attempted once. The receiver
// authenticates them (custom header compared in constant time, optional IP allowlist), parses every documented
// shape, and answers 2xx only once Temporal holds the event (a signal to the callout's lifecycle workflow).
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import express, { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEFAULT_JSON_LIMITS, parseJsonLenient } from '../aura/json.js';
import { observationFromWebhook } from '../aura/mapping.js';
import {
  CalloutWebhook,
  CustomerWebhook,
  MAX_WEBHOOK_ROUTING_ENTRIES,
  SubscriptionWebhook,
  WebhookEnvelope,
} from '../aura/schemas.js';
import {
  CALLOUT_EVENTS,
  CUSTOMER_EVENTS,
  DELIVERED_MESSAGE_ALIASES,
  isCalloutEvent,
  isCustomerOrSubscriptionEvent,
  normaliseEventName,
  SUBSCRIPTION_EVENTS,
} from '../domain/events.js';
import type { Logger } from '../logger.js';
import { noteOnAccessLog } from './access-log.js';
import { ApiError, validationError } from './errors.js';
import { temporalUnavailable } from './incidents.js';
import { createCustomerEventRouter } from './customer-events.js';
import { documentRoute, errorResponse, jsonBody, jsonResponse } from './openapi.js';
import { signalLifecycle } from '../temporal/lifecycle-client.js';

export interface WebhookReceiverOptions {
  client: Client;
  /**
   * The client a callout event's signalWithStart goes through (default `client`). The service gives the receiver one
   * over the Rust core's connection (connectNativeClient), which costs the event loop far less per delivery.
   */
  signalClient?: Client | undefined;
  taskQueue: string;
  token: string;
  /** Header carrying the token; `authorization` expects `Bearer <token>`, any other header the bare token. */
  authHeader: string;
  ipAllowlist?: string[] | undefined;
  log: Logger;
  onOutcome?: (event: string, outcome: string) => void;
  /** How long a fresh customer/subscription event may wait for its customer's link (see customer-events.ts). */
  customerRouteWaitMs?: number;
}

export const WEBHOOK_BODY_LIMIT = '1mb';
/** Shape bounds on a delivery, checked before it is parsed: AURA's payloads nest at most 7 levels deep. */
export const WEBHOOK_JSON_LIMITS = DEFAULT_JSON_LIMITS;

/** The `message` values that name these events as delivered (the event names, and the aliases AURA sends for them). */
const deliveredAs = (events: readonly string[]) =>
  [
    ...events,
    ...Object.keys(DELIVERED_MESSAGE_ALIASES).filter((m) => events.includes(DELIVERED_MESSAGE_ALIASES[m]!)),
  ] as [string, ...string[]];
const KNOWN_MESSAGES = deliveredAs([...CALLOUT_EVENTS, ...CUSTOMER_EVENTS, ...SUBSCRIPTION_EVENTS]);

/**
 * Every delivery the receiver accepts, as the document states it: the receiver reads `message` (the envelope), then
 * holds a callout, customer or subscription event to that event's schema; any other message is acknowledged as it
 * is. The same schemas, and the same event lists, as the receiver's dispatch below.
 */
export const WebhookDelivery = z
  .union([
    CalloutWebhook.extend({ message: z.enum(deliveredAs(CALLOUT_EVENTS)) }),
    CustomerWebhook.extend({ message: z.enum(deliveredAs(CUSTOMER_EVENTS)) }),
    SubscriptionWebhook.extend({ message: z.enum(deliveredAs(SUBSCRIPTION_EVENTS)) }),
    WebhookEnvelope.extend({
      message: z
        .string()
        .refine((m) => !KNOWN_MESSAGES.includes(m), 'a known event must carry its entity')
        .meta({ not: { enum: KNOWN_MESSAGES }, description: 'Any other message: acknowledged and counted' }),
    }),
  ])
  .meta({
    description:
      'An AURA webhook: `message` names the event; callout events carry `callout` (id, status, responder ' +
      'details), customer events `customer`, subscription events `subscription`',
  });

documentRoute({
  method: 'post',
  path: '/webhooks/aura',
  operationId: 'receiveAuraWebhook',
  summary: 'AURA webhook receiver',
  description:
    'Accepts every AURA webhook payload shape as AURA sends it (unknown fields kept; a trailing comma before ' +
    '`}`/`]` tolerated; read as JSON whatever the Content-Type says). Authenticated by the configured header ' +
    '(default `Authorization: Bearer <WEBHOOK_TOKEN>`, compared in constant time) and, when ' +
    '`WEBHOOK_IP_ALLOWLIST` is set, by source address. Answers 2xx only once the event is durably in ' +
    "Temporal's hands; the same delivery repeated has the effect of one; an unknown `message` is " +
    'acknowledged. ' +
    `Bodies are bounded before parsing: over 1 MiB is 413; nested deeper than ` +
    `${WEBHOOK_JSON_LIMITS.maxDepth} levels or holding more than ${WEBHOOK_JSON_LIMITS.maxItems} items ` +
    `(array elements and object members) is 400 \`JSON_TOO_COMPLEX\`. ` +
    `Ids (callout, customer, subscription, link) are positive safe integers; a customer or subscription ` +
    `event naming more than ${MAX_WEBHOOK_ROUTING_ENTRIES} subscriptions or links is 400 ` +
    `\`VALIDATION_FAILED\`.`,
  tags: ['Webhooks'],
  security: [{ webhookToken: [] }],
  request: {
    body: jsonBody(WebhookDelivery, {
      message: 'RESPONDER_ARRIVED_ON_SCENE',
      calloutExternalRefId: null,
      siteExternalRefId: null,
      callout: { id: 81347, status: 'Responder Arrived' },
    }),
  },
  responses: {
    200: jsonResponse(
      'Accepted (held by Temporal), acknowledged (customer/subscription event) or ignored (unknown event, ' +
        'finished callout)',
      z.object({ status: z.enum(['accepted', 'acknowledged', 'ignored']), reason: z.string().optional() }),
      { status: 'accepted' },
    ),
    400: errorResponse(
      'Malformed JSON (`MALFORMED_JSON`), a body nested too deeply or holding too many items ' +
        '(`JSON_TOO_COMPLEX`), or an invalid payload (`VALIDATION_FAILED`)',
      'MALFORMED_JSON',
    ),
    401: errorResponse('Missing or wrong webhook credentials', 'UNAUTHENTICATED'),
    403: errorResponse('Source address not in WEBHOOK_IP_ALLOWLIST', 'FORBIDDEN_SOURCE'),
    413: errorResponse('Body over 1 MiB', 'PAYLOAD_TOO_LARGE'),
    503: errorResponse('Temporal is unreachable: AURA may deliver again', 'TEMPORAL_UNAVAILABLE'),
  },
});

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time comparison: both sides are hashed to equal length first, so neither length nor content leaks. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function buildBlockList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const [addr, prefix] = entry.split('/');
    const type = isIP(addr ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (!addr || isIP(addr) === 0) throw new Error(`WEBHOOK_IP_ALLOWLIST: "${entry}" is not an IP address or CIDR`);
    if (prefix !== undefined) list.addSubnet(addr, Number(prefix), type);
    else list.addAddress(addr, type);
  }
  return list;
}

function clientAllowed(list: BlockList, ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const type = isIP(v4) === 6 ? 'ipv6' : 'ipv4';
  return list.check(v4, type);
}

/** How long a delivery waits for Temporal before the receiver answers 503. */
const TEMPORAL_DEADLINE_MS = 5_000;

/**
 * `call` bounded by `deadline` (ms since the epoch) whatever the connection does: the Rust core's client takes the
 * deadline as each attempt's timeout and goes on retrying an unreachable server past it. A call still running then is
 * left to finish or fail on its own; the delivery is answered 503 (a late success only means the event was kept).
 */
function byDeadline<T>(deadline: number, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Temporal did not answer within ${TEMPORAL_DEADLINE_MS} ms`)),
      Math.max(0, deadline - Date.now()),
    );
    call().then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

export function createWebhookRouter(opts: WebhookReceiverOptions): Router {
  const router = Router();
  const expected = opts.authHeader.toLowerCase() === 'authorization' ? `Bearer ${opts.token}` : opts.token;
  // Hashed once here, not per delivery; each delivery's credential is hashed and compared in constant time.
  const expectedDigest = digest(expected);
  const allow = opts.ipAllowlist && opts.ipAllowlist.length ? buildBlockList(opts.ipAllowlist) : null;
  const outcome = (event: string, result: string) => opts.onOutcome?.(event, result);
  const signaller = opts.signalClient ?? opts.client;
  const customerEvents = createCustomerEventRouter({
    client: opts.client,
    log: opts.log,
    routeWaitMs: opts.customerRouteWaitMs,
    onOutcome: outcome,
  });

  router.post(
    '/webhooks/aura',
    (req, _res, next) => {
      // Source and credentials are checked before the body is read.
      if (allow && !clientAllowed(allow, req.ip)) {
        outcome('unparsed', 'forbidden');
        return next(new ApiError(403, 'FORBIDDEN_SOURCE', 'This source address may not deliver webhooks.'));
      }
      const presented = req.get(opts.authHeader) ?? '';
      if (!timingSafeEqual(digest(presented), expectedDigest)) {
        outcome('unparsed', 'unauthenticated');
        return next(new ApiError(401, 'UNAUTHENTICATED', 'Missing or wrong webhook credentials.'));
      }
      next();
    },
    express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }),
    async (req: Request, res: Response) => {
      const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      // Bounded before parsing: nesting depth and item count (see json.ts), so no body can make later steps recurse
      // or grow without bound.
      const parsed = parseJsonLenient(text, WEBHOOK_JSON_LIMITS);
      if (!parsed.ok) {
        if (parsed.exceeded) {
          outcome('unparsed', 'too_complex');
          throw new ApiError(
            400,
            'JSON_TOO_COMPLEX',
            `The body is ${parsed.error}: a delivery may nest at most ${WEBHOOK_JSON_LIMITS.maxDepth} levels ` +
              `and hold at most ${WEBHOOK_JSON_LIMITS.maxItems} items.`,
          );
        }
        outcome('unparsed', 'malformed');
        throw new ApiError(400, 'MALFORMED_JSON', 'The body is not valid JSON.');
      }
      const env = WebhookEnvelope.safeParse(parsed.value);
      if (!env.success) {
        outcome('unparsed', 'invalid');
        throw validationError(env.error);
      }
      const event = normaliseEventName(env.data.message);

      if (isCalloutEvent(event)) {
        const w = CalloutWebhook.safeParse(parsed.value);
        if (!w.success) {
          outcome(event, 'invalid');
          throw validationError(w.error);
        }
        const obs = observationFromWebhook(w.data, event);
        const auraCalloutId = w.data.callout.id;
        try {
          // Bounded: AURA's delivery must get a 503 it can see rather than hang while the client retries.
          const deadline = Date.now() + TEMPORAL_DEADLINE_MS;
          await byDeadline(deadline, () =>
            signaller.connection.withDeadline(deadline, () =>
              // A finished lifecycle stays finished: a late webhook must not start a new one. One that was
              // terminated or failed while its callout was active is started again, so the callout is followed
              // (its incident re-attaches through its liveness check).
              signalLifecycle(
                signaller,
                { auraCalloutId, taskQueue: opts.taskQueue, restart: 'failed-only' },
                { observed: obs },
              ),
            ),
          );
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            outcome(event, 'late');
            (req.log ?? opts.log).info({ event, auraCalloutId }, 'webhook for a finished callout lifecycle ignored');
            res.status(200).json({ status: 'ignored', reason: 'callout lifecycle already finished' });
            return;
          }
          outcome(event, 'unavailable');
          throw temporalUnavailable(err);
        }
        outcome(event, 'accepted');
        // One line per accepted delivery: the access-log line says it (app.ts), or a line of its own without one.
        if (req.log) noteOnAccessLog(res, { event, auraCalloutId, status: obs.status }, 'webhook accepted');
        else opts.log.info({ event, auraCalloutId, status: obs.status }, 'webhook accepted');
        res.status(200).json({ status: 'accepted' });
        return;
      }

      if (isCustomerOrSubscriptionEvent(event)) {
        // Routed to the customer's onboarding workflow; an unknown customer is acknowledged and counted.
        res.status(200).json(await customerEvents.route(parsed.value, event));
        return;
      }

      // An unknown event is never an error to AURA: acknowledge and count it.
      outcome('unknown', 'ignored');
      (req.log ?? opts.log).warn({ event: event.slice(0, 100) }, 'webhook with unknown message acknowledged');
      res.status(200).json({ status: 'ignored', reason: 'unknown event' });
    },
  );
  return router;
}
