// The OpenAPI 3.1 document, generated from the same zod schemas that validate requests. Each router file documents
// its own routes at module load with `documentRoute(...)` (Express-style paths, so the document and the router use
// the same string); a route whose schema depends on the app's configuration (the response-type names, the webhook
// header) is documented by a function of the DocumentContext. `buildOpenApiDocument(ctx)` renders one app's
// document, and the app answers 405 (with `Allow`) and OPTIONS from that same document (see methods.ts).
//
// Adding a router's routes:
//   documentRoute({ method: 'post', path: '/v1/alarms', summary: '…', tags: ['Alarms'],
//     request: { body: jsonBody(AlarmBody, example) }, responses: { 202: jsonResponse('…', IncidentSchema, example),
//     422: errorResponse('…', 'LOCATION_NOT_MAPPED') } });
// The statuses every route of a kind can answer are added here, once: 405 everywhere; 400 where there is input;
// 413 and 415 where there is a body. Routes document their own statuses besides those.
import {
  extendZodWithOpenApi,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type RouteConfig,
  type ResponseConfig,
  type ZodRequestBody,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PHASES } from '../domain/status.js';

// Registered (named) component schemas need zod's prototype extended once; everything else reads zod's own `.meta()`.
extendZodWithOpenApi(z);

export const apiDocs = new OpenAPIRegistry();

export const API_VERSION = '0.1.0';

// ---- shared components ----------------------------------------------------------------------------------------

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
      status: z.string().nullable().meta({
        description: "AURA's status string exactly as AURA sent it (mixed casing kept); null until AURA answers",
      }),
      phase: z
        .enum(PHASES as [string, ...string[]])
        .meta({ description: 'Platform-facing phase; an unknown AURA status keeps the previous phase' }),
      terminal: z.boolean(),
      trackingUrl: z.string().nullable(),
      responder: z
        .object({
          callsign: z.string().nullable(),
          vehicle: z.string().nullable(),
          location: GeoPointSchema.nullable(),
        })
        .nullable(),
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
            .meta({
              description:
                'Outbound notes: pending while queued for AURA, failed when it could not be delivered (see ' +
                'detail); absent once sent',
            }),
          detail: z.string().optional(),
        }),
      ),
      rating: z.object({
        state: z.enum(['not_open', 'requested', 'submitted', 'expired']),
        value: z.number().int().nullable(),
        comment: z.string().optional(),
      }),
      createdAt: z.string(),
      failure: z
        .object({ code: z.string(), message: z.string() })
        .optional()
        .meta({ description: 'Set when AURA refused to open the callout (phase failed)' }),
      joined: z
        .boolean()
        .optional()
        .meta({ description: "AURA answered the create with the customer's existing active callout" }),
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
    {
      at: '2026-11-23T10:00:04.000Z',
      status: 'Responder Dispatched',
      source: 'webhook',
      event: 'RESPONDER_MANUALLY_DISPATCHED',
    },
    { at: '2026-11-23T10:06:40.000Z', status: 'Responder Arrived', source: 'poll' },
  ],
  notes: [{ at: '2026-11-23T10:01:00.000Z', text: 'Gate code 4411', direction: 'outbound', author: 'operator-7' }],
  rating: { state: 'not_open', value: null },
  createdAt: '2026-11-23T10:00:00.000Z',
  links: {
    self: '/v1/callouts/demo-1',
    temporalUi: 'http://127.0.0.1:8233/namespaces/default/workflows/incident-demo-1',
  },
};

export const AcceptedSchema = apiDocs.register('Accepted', z.object({ status: z.literal('accepted') }));

// ---- helpers ----------------------------------------------------------------------------------------------------

export interface JsonBodyOptions {
  description?: string;
  /** false when every field is optional: an empty body is then read as `{}` (default true). */
  required?: boolean;
}

export function jsonBody(schema: z.ZodType, example?: unknown, opts: JsonBodyOptions = {}): ZodRequestBody {
  return {
    required: opts.required ?? true,
    ...(opts.description ? { description: opts.description } : {}),
    content: { 'application/json': { schema, ...(example !== undefined ? { example } : {}) } },
  };
}

export function jsonResponse(description: string, schema: z.ZodType, example?: unknown): ResponseConfig {
  return { description, content: { 'application/json': { schema, ...(example !== undefined ? { example } : {}) } } };
}

export function errorResponse(description: string, code: string, message = description): ResponseConfig {
  return jsonResponse(description, ErrorSchema, { error: { code, message } });
}

/** 400, for every route that takes input (a body, a query, a path parameter). */
export const VALIDATION_FAILED = errorResponse(
  'The request is not valid: `VALIDATION_FAILED` (`details` name each offending field by path), ' +
    '`MALFORMED_JSON` (the body is not JSON), or `BAD_REQUEST` (the request could not be read: a malformed ' +
    'percent-encoding in the path, a body cut short)',
  'VALIDATION_FAILED',
  'The request is not valid: see details for each field.',
);
export const PAYLOAD_TOO_LARGE = errorResponse(
  'The body is larger than the limit of the route (1 MiB; 100 KiB for onboarding, 4 MiB for the codec)',
  'PAYLOAD_TOO_LARGE',
);
export const UNSUPPORTED_ENCODING = errorResponse(
  'The body is in a Content-Encoding other than identity, gzip, deflate or br, or a charset that cannot be decoded',
  'UNSUPPORTED_ENCODING',
);
export const TEMPORAL_UNAVAILABLE = errorResponse('Temporal is not reachable right now; retry', 'TEMPORAL_UNAVAILABLE');

/** The methods the 405 handler and OPTIONS name, in the order `Allow` lists them. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const METHOD_NOT_ALLOWED: ResponseConfig = {
  ...errorResponse(
    'The path exists, but not with this method: `Allow` lists the methods it serves',
    'METHOD_NOT_ALLOWED',
    'GET is not allowed on /v1/callouts/demo-1/cancel; allowed: POST, OPTIONS.',
  ),
  headers: {
    Allow: {
      description: 'The methods this path serves (HEAD wherever GET is served, and OPTIONS everywhere)',
      schema: { type: 'string', example: 'POST, OPTIONS' },
    },
  },
};

/** `/v1/callouts/:incidentId` → `/v1/callouts/{incidentId}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

// ---- the document of one app -----------------------------------------------------------------------------------

/** What an app's document depends on: its configuration, and which optional routers it mounts. */
export interface DocumentContext {
  /** The API's public base URL, named as the server. */
  serverUrl?: string | undefined;
  /** Response type names (SECURITY, …) → AURA responseTypeId: the names `responseType` accepts. */
  responseTypes?: Record<string, number>;
  /** The header carrying the webhook token (`authorization`: `Bearer <token>`). */
  webhookAuthHeader?: string;
  /** Platform locations, the Fixed Location reconciliation and alarms are mounted. */
  fixedLocations?: boolean;
  /** The remote codec endpoint: not mounted, mounted behind the codec token, or open (development). */
  codec?: 'off' | 'token' | 'open';
}

export type ResolvedDocumentContext = Required<Omit<DocumentContext, 'serverUrl'>> & { serverUrl: string };

export function resolveDocumentContext(ctx: DocumentContext = {}): ResolvedDocumentContext {
  return {
    serverUrl: ctx.serverUrl ?? 'http://127.0.0.1:3000',
    responseTypes: ctx.responseTypes ?? { SECURITY: 1, MEDICAL: 2 },
    webhookAuthHeader: (ctx.webhookAuthHeader ?? 'authorization').toLowerCase(),
    fixedLocations: ctx.fixedLocations ?? true,
    codec: ctx.codec ?? 'off',
  };
}

type RouteEntry = (ctx: ResolvedDocumentContext) => RouteConfig | null;
const routes: RouteEntry[] = [];

export interface DocumentRouteOptions {
  /** Documented only in the apps that serve it (an optional router). */
  when?: (ctx: ResolvedDocumentContext) => boolean;
}

/**
 * Documents one route: a RouteConfig, or a function of the app's context where the schema depends on configuration
 * (the response-type names, the webhook header).
 */
export function documentRoute(
  route: RouteConfig | ((ctx: ResolvedDocumentContext) => RouteConfig),
  opts: DocumentRouteOptions = {},
): void {
  routes.push((ctx) => {
    if (opts.when && !opts.when(ctx)) return null;
    return typeof route === 'function' ? route(ctx) : route;
  });
}

/** The statuses every route of a kind answers, from the middleware all of them share. */
function withSharedResponses(route: RouteConfig): RouteConfig {
  const responses: RouteConfig['responses'] = { ...route.responses };
  const hasBody = route.request?.body !== undefined;
  const hasInput =
    hasBody || route.request?.query !== undefined || route.request?.params !== undefined || route.path.includes(':');
  if (hasInput) responses[400] ??= VALIDATION_FAILED;
  if (hasBody) {
    responses[413] ??= PAYLOAD_TOO_LARGE;
    responses[415] ??= UNSUPPORTED_ENCODING;
  }
  responses[405] ??= METHOD_NOT_ALLOWED;
  return { ...route, path: openApiPath(route.path), responses };
}

/**
 * zod's `.int()` is a safe integer (|n| ≤ 2^53 − 1) and refuses any other; the generator leaves the bounds out, so
 * they are written into every integer schema that has none.
 */
function boundIntegers(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(boundIntegers);
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  const types = Array.isArray(o.type) ? o.type : [o.type];
  if (types.includes('integer')) {
    if (o.minimum === undefined && o.exclusiveMinimum === undefined) o.minimum = Number.MIN_SAFE_INTEGER;
    if (o.maximum === undefined && o.exclusiveMaximum === undefined) o.maximum = Number.MAX_SAFE_INTEGER;
  }
  for (const [k, v] of Object.entries(o)) if (k !== 'example' && k !== 'examples' && k !== 'default') boundIntegers(v);
}

export function buildOpenApiDocument(input: DocumentContext = {}) {
  const ctx = resolveDocumentContext(input);
  const registry = new OpenAPIRegistry([apiDocs]);
  registry.registerComponent(
    'securitySchemes',
    'webhookToken',
    ctx.webhookAuthHeader === 'authorization'
      ? {
          type: 'http',
          scheme: 'bearer',
          description:
            'WEBHOOK_TOKEN, registered with AURA as a custom header of the webhook: `Authorization: Bearer ' +
            '<WEBHOOK_TOKEN>`',
        }
      : {
          type: 'apiKey',
          in: 'header',
          name: ctx.webhookAuthHeader,
          description:
            `WEBHOOK_TOKEN, registered with AURA as the custom header ` +
            `\`${ctx.webhookAuthHeader}\` of the webhook (WEBHOOK_AUTH_HEADER)`,
        },
  );
  if (ctx.codec === 'token')
    registry.registerComponent('securitySchemes', 'codecToken', {
      type: 'http',
      scheme: 'bearer',
      description: 'CODEC_AUTH_TOKEN',
    });
  for (const entry of routes) {
    const route = entry(ctx);
    if (route) registry.registerPath(withSharedResponses(route));
  }
  const generator = new OpenApiGeneratorV31(registry.definitions);
  const doc = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'aura-callouts',
      version: API_VERSION,
      description: [
        'Intake API and AURA webhook receiver. Every emergency runs as a durable Temporal workflow that ' +
          "creates the AURA callout exactly once, follows it by AURA's webhooks and by polling, and stops at " +
          '`closed`.',
        'Every error body is `{"error": {"code", "message", "details"?}}`; validation errors are 400 ' +
          '`VALIDATION_FAILED` with `details` naming each field by path.',
        'Bodies are read as JSON whatever their Content-Type says (send `application/json`); a body is read ' +
          'only by the routes documented with one.',
        'A documented path asked with a method it does not serve answers 405 `METHOD_NOT_ALLOWED` with an ' +
          '`Allow` header; `OPTIONS` on a documented path answers 204 with the same `Allow` header; HEAD is ' +
          'served wherever GET is. Any other path answers 404 `NOT_FOUND`.',
      ].join('\n\n'),
    },
    servers: [{ url: ctx.serverUrl }],
    tags: [
      { name: 'Callouts', description: 'Incidents and their AURA callouts' },
      { name: 'Customers', description: 'Customer onboarding and subscriptions' },
      { name: 'Fixed Locations', description: 'Platform locations, the Fixed Location reconciliation and alarms' },
      { name: 'Webhooks', description: 'The receiver AURA calls' },
      { name: 'Operations', description: 'Health, readiness, metrics and this document' },
    ],
  });
  boundIntegers(doc.paths);
  boundIntegers(doc.components);
  return doc;
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
