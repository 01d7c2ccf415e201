// /v1/callouts: open, list and read incidents; positions, notes, cancellation and rating. Each route is documented
// in the OpenAPI registry from the same zod schemas that validate it.
import { randomUUID } from 'node:crypto';
import express, { Router } from 'express';
import { z } from 'zod';
import { ApiError, parseOrThrow } from './errors.js';
import type { IncidentService } from './incidents.js';
import {
  AcceptedSchema,
  documentRoute,
  errorResponse,
  INCIDENT_EXAMPLE,
  IncidentSchema,
  jsonBody,
  jsonResponse,
  TEMPORAL_UNAVAILABLE,
  VALIDATION_FAILED,
} from './openapi.js';
import {
  CancelBody,
  createCalloutBody,
  IncidentIdParam,
  ListCalloutsQuery,
  LocationBody,
  NoteBody,
  RatingBody,
} from './schemas.js';

export interface CalloutsRouterOptions {
  incidents: IncidentService;
  /** Response type names (SECURITY, …) → AURA responseTypeId. */
  responseTypes: Record<string, number>;
  /** The intake rule (customer onboarding): throws when a live callout is not allowed for the customer. */
  assertLiveCalloutAllowed?: (customerId: number, test: boolean) => Promise<void>;
}

const IncidentPath = z.object({ incidentId: IncidentIdParam.meta({ example: 'demo-1' }) });
const NOT_FOUND = errorResponse('No incident with this id', 'INCIDENT_NOT_FOUND');
const CLOSED = errorResponse('The callout is closed', 'CALLOUT_CLOSED');
const tags = ['Callouts'];
const incidentPath = '/v1/callouts/:incidentId';

documentRoute((ctx) => ({
  method: 'post',
  path: '/v1/callouts',
  operationId: 'openIncident',
  summary: 'Open an incident',
  description:
    "Starts (or joins) the incident's durable callout workflow. Exactly one of `location` and " +
    '`predefinedLocationId`. `responseType` is a configured name (SECURITY → 1, MEDICAL → 2 by default; ' +
    'SECURITY when neither it nor `responseTypeId` is given); `responseTypeId` may be given instead, not ' +
    'both. Repeating the request with the same `incidentId` never creates a second AURA callout: it answers ' +
    '200 with the existing incident.',
  tags,
  request: {
    body: jsonBody(createCalloutBody(ctx.responseTypes), {
      incidentId: 'demo-1',
      customerId: 184708,
      responseType: 'SECURITY',
      location: { latitude: -26.10911, longitude: 28.053037, accuracy: 12 },
      notes: 'Alarm zone 3, back door',
    }),
  },
  responses: {
    202: jsonResponse('A new incident: its workflow has started', IncidentSchema, {
      ...INCIDENT_EXAMPLE,
      auraCalloutId: null,
      status: null,
      phase: 'requested',
      timeline: [],
      notes: [],
      responder: null,
      trackingUrl: null,
    }),
    200: jsonResponse('The incident already exists (same body shape)', IncidentSchema, INCIDENT_EXAMPLE),
    400: VALIDATION_FAILED,
    422: errorResponse(
      'The customer is known to have no active AURA subscription (intake rule), so AURA would refuse a live callout',
      'SUBSCRIPTION_INACTIVE',
    ),
    503: TEMPORAL_UNAVAILABLE,
  },
}));

documentRoute({
  method: 'get',
  path: '/v1/callouts',
  operationId: 'listIncidents',
  summary: 'List incidents, newest first',
  tags,
  request: { query: ListCalloutsQuery },
  responses: {
    200: jsonResponse('Incidents', z.object({ items: z.array(IncidentSchema) }), { items: [INCIDENT_EXAMPLE] }),
    400: VALIDATION_FAILED,
    503: TEMPORAL_UNAVAILABLE,
  },
});

documentRoute({
  method: 'get',
  path: incidentPath,
  operationId: 'getIncident',
  summary: 'Current state of one incident',
  tags,
  request: { params: IncidentPath },
  responses: {
    200: jsonResponse('The incident', IncidentSchema, INCIDENT_EXAMPLE),
    400: VALIDATION_FAILED,
    404: NOT_FOUND,
    503: TEMPORAL_UNAVAILABLE,
  },
});

// Location and notes: accepted for the lifecycle, or refused for the same reasons.
const SIGNAL_RESPONSES = {
  202: jsonResponse('Accepted', AcceptedSchema, { status: 'accepted' }),
  400: VALIDATION_FAILED,
  404: NOT_FOUND,
  409: CLOSED,
  503: TEMPORAL_UNAVAILABLE,
};

documentRoute({
  method: 'post',
  path: `${incidentPath}/location`,
  operationId: 'sendLocation',
  summary: "The customer's latest position",
  description: 'Coalesced: the newest position is sent to AURA at most once per poll interval, in place of a poll.',
  tags,
  request: {
    params: IncidentPath,
    body: jsonBody(LocationBody, { latitude: -26.1095, longitude: 28.0531, accuracy: 8 }),
  },
  responses: SIGNAL_RESPONSES,
});

documentRoute({
  method: 'post',
  path: `${incidentPath}/notes`,
  operationId: 'sendNote',
  summary: "An operator note, sent into the callout's event stream",
  description:
    "The `X-Request-Id` header doubles as the note's idempotency key: a retry with the same id adds the note once.",
  tags,
  request: {
    params: IncidentPath,
    headers: z.object({
      'x-request-id': z.string().optional().meta({
        description: "The note's idempotency key (its first 100 characters); a new one per request when absent",
        example: 'note-7f3a',
      }),
    }),
    body: jsonBody(NoteBody, { text: 'Gate code 4411', author: 'operator-7' }),
  },
  responses: SIGNAL_RESPONSES,
});

documentRoute({
  method: 'post',
  path: `${incidentPath}/cancel`,
  operationId: 'cancelIncident',
  summary: 'Cancel the callout',
  description:
    "`safeCode` (customer cancellation: the last four digits of the customer's mobile) or `reasons` " +
    '(integration cancellation, reasons optional); not both.',
  tags,
  request: {
    params: IncidentPath,
    body: jsonBody(
      CancelBody,
      { reasons: ['FALSE_ALARM'] },
      { required: false, description: 'An empty body is an integration cancellation without reasons' },
    ),
  },
  responses: {
    200: jsonResponse('Cancelled: the incident as AURA now reports it', IncidentSchema, {
      ...INCIDENT_EXAMPLE,
      phase: 'cancelled',
      status: 'Callout No Longer Requires Response',
    }),
    400: VALIDATION_FAILED,
    404: NOT_FOUND,
    409: errorResponse(
      'The callout is closed (CALLOUT_CLOSED), AURA has not confirmed it yet (CALLOUT_PENDING), a ' +
        'cancellation is already on its way to AURA (CANCEL_IN_PROGRESS) or done (ALREADY_CANCELLED): AURA is ' +
        'asked once',
      'CALLOUT_CLOSED',
    ),
    422: errorResponse(
      'AURA refused the cancellation (CANCEL_REJECTED: wrong safe code; AURA_REJECTED: another refusal, ' +
        "AURA's message kept)",
      'CANCEL_REJECTED',
    ),
    502: errorResponse('AURA could not be reached', 'AURA_UNAVAILABLE'),
    503: TEMPORAL_UNAVAILABLE,
  },
});

documentRoute({
  method: 'post',
  path: `${incidentPath}/rating`,
  operationId: 'rateIncident',
  summary: 'Rate the response (after closed, within the rating window)',
  tags,
  request: { params: IncidentPath, body: jsonBody(RatingBody, { rating: 5, comment: 'Fast' }) },
  responses: {
    200: jsonResponse('Rating submitted to AURA', IncidentSchema, {
      ...INCIDENT_EXAMPLE,
      status: 'closed',
      phase: 'closed',
      terminal: true,
      rating: { state: 'submitted', value: 5, comment: 'Fast' },
    }),
    400: VALIDATION_FAILED,
    404: NOT_FOUND,
    409: errorResponse(
      'The rating is not open (before close, after the window, already submitted, or another is on its way to AURA)',
      'RATING_NOT_OPEN',
    ),
    422: errorResponse(
      "AURA refused the rating (RATING_REJECTED, or AURA_REJECTED; AURA's message kept)",
      'RATING_REJECTED',
    ),
    502: errorResponse('AURA could not be reached', 'AURA_UNAVAILABLE'),
    503: TEMPORAL_UNAVAILABLE,
  },
});

export function createCalloutsRouter(opts: CalloutsRouterOptions): Router {
  const { incidents } = opts;
  const v1 = Router();
  // Bodies are read by the routes that take one (as JSON whatever the Content-Type says), never for a GET.
  const json = express.json({ limit: '1mb', type: () => true });
  const CreateCalloutBody = createCalloutBody(opts.responseTypes);

  v1.post('/callouts', json, async (req, res) => {
    const body = parseOrThrow(CreateCalloutBody, req.body ?? {});
    let responseTypeId = body.responseTypeId;
    if (responseTypeId === undefined) {
      // The schema admits configured names only; own keys only, so a name like `constructor` is not one.
      const name = (body.responseType ?? 'SECURITY').toUpperCase();
      responseTypeId = Object.hasOwn(opts.responseTypes, name) ? opts.responseTypes[name] : undefined;
      if (responseTypeId === undefined) {
        // Only when SECURITY, the default, is not configured and the request names no type.
        throw new ApiError(400, 'VALIDATION_FAILED', 'The request is not valid: see details for each field.', [
          {
            path: 'responseType',
            message: `required: SECURITY is not configured; configured: ${Object.keys(opts.responseTypes).join(', ')}`,
          },
        ]);
      }
    }
    await opts.assertLiveCalloutAllowed?.(body.customerId, body.test === true);
    const { created, incident } = await incidents.open(
      {
        customerId: body.customerId,
        responseTypeId,
        location: body.location,
        predefinedLocationId: body.predefinedLocationId,
        notes: body.notes,
        test: body.test,
      },
      body.incidentId,
    );
    res
      .status(created ? 202 : 200)
      .location(incident.links.self)
      .json(incident);
  });

  v1.get('/callouts', async (req, res) => {
    const q = parseOrThrow(ListCalloutsQuery, req.query, 'query');
    res.json({ items: await incidents.list(q.status, q.limit) });
  });

  const incidentIdOf = (req: express.Request) => parseOrThrow(IncidentIdParam, req.params.incidentId, 'incidentId');

  v1.get('/callouts/:incidentId', async (req, res) => {
    res.json(await incidents.get(incidentIdOf(req)));
  });

  v1.post('/callouts/:incidentId/location', json, async (req, res) => {
    const id = incidentIdOf(req);
    const loc = parseOrThrow(LocationBody, req.body ?? {});
    await incidents.sendLocation(id, loc);
    res.status(202).json({ status: 'accepted' });
  });

  v1.post('/callouts/:incidentId/notes', json, async (req, res) => {
    const id = incidentIdOf(req);
    const note = parseOrThrow(NoteBody, req.body ?? {});
    // The request id doubles as the note's idempotency key: a client retrying with the same X-Request-Id adds it once.
    const key = String(req.id ?? randomUUID());
    await incidents.sendNote(id, { key, text: note.text, author: note.author, at: new Date().toISOString() });
    res.status(202).json({ status: 'accepted' });
  });

  v1.post('/callouts/:incidentId/cancel', json, async (req, res) => {
    const id = incidentIdOf(req);
    const body = parseOrThrow(CancelBody, req.body ?? {});
    const request = body.safeCode !== undefined ? { safeCode: body.safeCode } : { reasons: body.reasons ?? [] };
    res.json(await incidents.cancel(id, request));
  });

  v1.post('/callouts/:incidentId/rating', json, async (req, res) => {
    const id = incidentIdOf(req);
    const body = parseOrThrow(RatingBody, req.body ?? {});
    res.json(await incidents.rate(id, { rating: body.rating, comment: body.comment }));
  });

  return v1;
}
