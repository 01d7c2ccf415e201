// The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. One shared registry: each
// router file documents its own routes at module load with `documentRoute(...)` (Express-style paths, so the
// document and the router use the same string), and `buildOpenApiDocument()` renders whatever is registered.
//
// Adding a router's routes:
//   documentRoute({ method: 'post', path: '/v1/alarms', summary: '…', tags: ['Alarms'],
//     request: { body: jsonBody(AlarmBody, example) }, responses: { 202: jsonResponse('…', IncidentSchema, example), 422: errorResponse('…', 'LOCATION_NOT_MAPPED') } });
import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig, type ResponseConfig, type ZodRequestBody } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PHASES } from '../domain/status.js';

// Registered (named) component schemas need zod's prototype extended once; everything else reads zod's own `.meta()`.
extendZodWithOpenApi(z);

export const apiDocs = new OpenAPIRegistry();

export const API_VERSION = '0.1.0';

// ---- shared components ----------------------------------------------------------------------------------------

apiDocs.registerComponent('securitySchemes', 'webhookToken', {
  type: 'http',
  scheme: 'bearer',
  description: 'WEBHOOK_TOKEN, registered with AURA as a custom header of the webhook (another header name with WEBHOOK_AUTH_HEADER)',
});

export const ErrorSchema = apiDocs.register(
  'Error',
  z
    .object({
      error: z.object({
        code: z.string().meta({ description: 'Stable UPPER_SNAKE code', example: 'VALIDATION_FAILED' }),
        message: z.string().meta({ description: 'A human sentence' }),
        details: z
          .array(z.object({ path: z.string(), message: z.string() }))
          .optional()
          .meta({ description: 'For VALIDATION_FAILED: each offending field by path' }),
      }),
    })
    .meta({ description: 'Every error body of the service' }),
);

const GeoPointSchema = z.object({ latitude: z.number(), longitude: z.number() });

export const TimelineEntrySchema = z.object({
  at: z.string().meta({ format: 'date-time' }),
  status: z.string().meta({ description: "AURA's status exactly as AURA sent it" }),
  source: z.enum(['webhook', 'poll', 'api']),
  event: z.string().optional().meta({ description: 'AURA webhook event name, when the source is a webhook' }),
});

export const IncidentSchema = apiDocs.register(
  'Incident',
  z
    .object({
      incidentId: z.string(),
      workflowId: z.string(),
      auraCalloutId: z.number().int().nullable(),
      status: z.string().nullable().meta({ description: "AURA's status string exactly as AURA sent it (mixed casing kept); null until AURA answers" }),
      phase: z.enum(PHASES as [string, ...string[]]).meta({ description: 'Platform-facing phase; an unknown AURA status keeps the previous phase' }),
      terminal: z.boolean(),
      trackingUrl: z.string().nullable(),
      responder: z.object({ callsign: z.string().nullable(), vehicle: z.string().nullable(), location: GeoPointSchema.nullable() }).nullable(),
      eta: z.string().nullable(),
      timeline: z.array(TimelineEntrySchema),
      notes: z.array(
        z.object({
          at: z.string(),
          text: z.string(),
          direction: z.enum(['outbound', 'inbound']),
          author: z.string().optional(),
          delivery: z
            .enum(['pending', 'failed'])
            .optional()
            .meta({ description: 'Outbound notes: pending while queued for AURA, failed when it could not be delivered (see detail); absent once sent' }),
          detail: z.string().optional(),
        }),
      ),
      rating: z.object({ state: z.enum(['not_open', 'requested', 'submitted', 'expired']), value: z.number().int().nullable(), comment: z.string().optional() }),
      createdAt: z.string(),
      failure: z.object({ code: z.string(), message: z.string() }).optional().meta({ description: 'Set when AURA refused to open the callout (phase failed)' }),
      joined: z.boolean().optional().meta({ description: "AURA answered the create with the customer's existing active callout" }),
      links: z.object({ self: z.string(), temporalUi: z.string().nullable() }),
    })
    .meta({ description: 'The shape every read of an incident returns' }),
);

export const INCIDENT_EXAMPLE = {
  incidentId: 'demo-1',
  workflowId: 'incident-demo-1',
  auraCalloutId: 81290,
  status: 'Responder Arrived',
  phase: 'on_scene',
  terminal: false,
  trackingUrl: 'https://track.aura.services/c/81290',
  responder: { callsign: 'Alpha 12', vehicle: 'CA 123-456', location: { latitude: -26.1093, longitude: 28.0531 } },
  eta: null,
  timeline: [
    { at: '2026-11-23T10:00:01.000Z', status: 'created', source: 'api' },
    { at: '2026-11-23T10:00:04.000Z', status: 'Responder Dispatched', source: 'webhook', event: 'RESPONDER_MANUALLY_DISPATCHED' },
    { at: '2026-11-23T10:06:40.000Z', status: 'Responder Arrived', source: 'poll' },
  ],
  notes: [{ at: '2026-11-23T10:01:00.000Z', text: 'Gate code 4411', direction: 'outbound', author: 'operator-7' }],
  rating: { state: 'not_open', value: null },
  createdAt: '2026-11-23T10:00:00.000Z',
  links: { self: '/v1/callouts/demo-1', temporalUi: 'http://127.0.0.1:8233/namespaces/default/workflows/incident-demo-1' },
};

export const AcceptedSchema = apiDocs.register('Accepted', z.object({ status: z.literal('accepted') }));

// ---- helpers ----------------------------------------------------------------------------------------------------

export function jsonBody(schema: z.ZodType, example?: unknown, description?: string): ZodRequestBody {
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema, ...(example !== undefined ? { example } : {}) } },
  };
}

export function jsonResponse(description: string, schema: z.ZodType, example?: unknown): ResponseConfig {
  return { description, content: { 'application/json': { schema, ...(example !== undefined ? { example } : {}) } } };
}

export function errorResponse(description: string, code: string, message = description): ResponseConfig {
  return jsonResponse(description, ErrorSchema, { error: { code, message } });
}

export const VALIDATION_FAILED = errorResponse('The request is not valid', 'VALIDATION_FAILED');
export const TEMPORAL_UNAVAILABLE = errorResponse('Temporal is not reachable right now; retry', 'TEMPORAL_UNAVAILABLE');

/** `/v1/callouts/:incidentId` → `/v1/callouts/{incidentId}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

export function documentRoute(route: RouteConfig): void {
  apiDocs.registerPath({ ...route, path: openApiPath(route.path) });
}

export interface DocumentOptions {
  serverUrl?: string | undefined;
}

export function buildOpenApiDocument(opts: DocumentOptions = {}) {
  const generator = new OpenApiGeneratorV31(apiDocs.definitions);
  const doc = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'aura-callouts',
      version: API_VERSION,
      description:
        "Intake API and AURA webhook receiver. Every emergency runs as a durable Temporal workflow that creates the AURA callout exactly once, follows it by AURA's webhooks and by polling, and stops at `closed`. Every error body is `{\"error\": {\"code\", \"message\", \"details\"?}}`; validation errors are 400 `VALIDATION_FAILED` with `details` naming each field by path.",
    },
    servers: [{ url: opts.serverUrl ?? 'http://127.0.0.1:3000' }],
    tags: [
      { name: 'Callouts', description: 'Incidents and their AURA callouts' },
      { name: 'Customers', description: 'Customer onboarding and subscriptions' },
      { name: 'Fixed Locations', description: 'Platform locations, the Fixed Location reconciliation and alarms' },
      { name: 'Webhooks', description: 'The receiver AURA calls' },
      { name: 'Operations', description: 'Health, readiness, metrics and this document' },
    ],
  });
  return doc;
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
