// The intake API and the webhook receiver (one Express app). Routes map directly onto workflow starts, signals and
// queries.
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger.js';
import { recordWebhookDelivery } from '../metrics.js';
import type { PayloadKeys } from '../temporal/codec.js';
import { accessLogNote } from './access-log.js';
import { createCalloutsRouter } from './callouts.js';
import { createCodecRouter } from './codec.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { createIncidentService } from './incidents.js';
import { createMethodHandlers } from './methods.js';
import { buildOpenApiDocument } from './openapi.js';
import { createOpsRouter } from './ops.js';
import { Readiness, type NamedReadinessCheck } from './readiness.js';
import { createWebhookRouter } from './webhooks.js';
import { createOnboardingRouter, createOnboardingService, type OnboardingServiceOptions } from './onboarding.js';
import { createFixedLocationRouter, type FixedLocationApiOptions } from './fixed-locations.js';

export interface AppOptions {
  client: Client;
  /** The client the webhook receiver signals callout lifecycles through (default `client`; see webhooks.ts). */
  webhookSignalClient?: Client | undefined;
  taskQueue: string;
  namespace: string;
  log: Logger;
  temporalUiUrl?: string | null;
  webhookToken: string;
  webhookAuthHeader?: string;
  webhookIpAllowlist?: string[] | undefined;
  /** Express "trust proxy": which proxies may set X-Forwarded-For (e.g. "loopback", "10.0.0.1", a hop count). */
  trustProxy?: string | boolean | number;
  /** Called for every webhook delivery with its event and outcome (accepted, late, ignored, unknown, …). */
  onWebhookOutcome?: (event: string, outcome: string) => void;
  /** Response type names (SECURITY, …) → AURA responseTypeId. */
  responseTypes: Record<string, number>;
  auraBaseUrl?: string;
  /** The API's public base URL, named as the server in /openapi.json. */
  publicBaseUrl?: string | undefined;
  /** Payload encryption keys: when given, the API serves the remote codec endpoint under /codec. */
  payloadKeys?: PayloadKeys | null;
  codecAuthToken?: string | undefined;
  /** Serve the codec endpoint without a token (development); in production it needs CODEC_AUTH_TOKEN. */
  codecOpenWithoutToken?: boolean;
  /** Customer onboarding and the subscription intake rule (defaults: no grace, 15 s webhook wait). */
  onboarding?: Partial<Omit<OnboardingServiceOptions, 'client' | 'taskQueue'>>;
  customerRouteWaitMs?: number;
  /** Platform locations, Fixed Location reconciliation and alarm dispatch. */
  fixedLocations?: FixedLocationApiOptions;
  /** The checks /readyz runs (the process keeps it to flip readiness on SIGTERM); a new one when absent. */
  readiness?: Readiness;
  /** More named checks for /readyz (a database, …), besides temporal, worker and aura. */
  readinessChecks?: NamedReadinessCheck[];
  /** A worker polling the task queue is required for readiness (SERVICE_ROLE=all, the default) or a warning (api). */
  requireWorker?: boolean;
}

export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', opts.trustProxy ?? false);
  app.use(
    pinoHttp({
      logger: opts.log,
      genReqId: (req, res) => {
        const id = (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      // Bodies are never logged; headers are redacted by the logger.
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      // Every line of a request about an incident names it (nothing else: an empty binding would cost a child
      // logger per request).
      customProps: (req) => {
        const m = /^\/v1\/callouts\/([^/?]+)/.exec(req.url ?? '');
        if (!m) return undefined as unknown as object;
        try {
          return { incidentId: decodeURIComponent(m[1]!) };
        } catch {
          return { incidentId: m[1]! }; // malformed percent-encoding: the raw segment (the route answers 400/404)
        }
      },
      // A route may say what it did on this line rather than write a second one (access-log.ts): the receiver's
      // accepted deliveries.
      customSuccessObject: (_req, res, val) => {
        const note = accessLogNote(res);
        return note ? { ...val, ...note.fields } : val;
      },
      customSuccessMessage: (req, res) =>
        accessLogNote(res)?.msg ??
        (!req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted'),
      // Load-balancer probes come every few seconds: debug when answered, warn when not ready (or shutting down).
      customLogLevel: (req, res, err) =>
        /^\/(healthz|readyz)(\?|$)/.test(req.url ?? '')
          ? res.statusCode >= 400
            ? 'warn'
            : 'debug'
          : err || res.statusCode >= 500
            ? 'error'
            : res.statusCode >= 400
              ? 'warn'
              : 'info',
    }),
  );

  const incidents = createIncidentService({
    client: opts.client,
    taskQueue: opts.taskQueue,
    namespace: opts.namespace,
    temporalUiUrl: opts.temporalUiUrl ?? null,
  });

  const codecMounted = Boolean(opts.payloadKeys && (opts.codecAuthToken || opts.codecOpenWithoutToken));
  // The document this app serves, for exactly the routers it mounts and its configuration; the methods each path
  // answers (405 with Allow, OPTIONS) are read from it.
  const document = buildOpenApiDocument({
    serverUrl: opts.publicBaseUrl,
    responseTypes: opts.responseTypes,
    webhookAuthHeader: opts.webhookAuthHeader ?? 'authorization',
    fixedLocations: Boolean(opts.fixedLocations),
    codec: !codecMounted ? 'off' : opts.codecAuthToken ? 'token' : 'open',
  });
  const methods = createMethodHandlers(document);

  // The codec answers its own OPTIONS (the Temporal UI's CORS preflight), so it comes before the shared OPTIONS.
  if (codecMounted && opts.payloadKeys) {
    const origins = [opts.temporalUiUrl, 'http://localhost:8233', 'http://127.0.0.1:8233']
      .filter((o): o is string => Boolean(o))
      .map((o) => new URL(o).origin);
    app.use(
      '/codec',
      createCodecRouter({ keys: opts.payloadKeys, authToken: opts.codecAuthToken, allowedOrigins: origins }),
    );
  }
  app.use(methods.options);

  const readiness = opts.readiness ?? new Readiness();
  app.use(
    createOpsRouter({
      client: opts.client,
      namespace: opts.namespace,
      taskQueue: opts.taskQueue,
      auraBaseUrl: opts.auraBaseUrl,
      document,
      readiness,
      ...(opts.requireWorker !== undefined ? { requireWorker: opts.requireWorker } : {}),
    }),
  );
  for (const c of opts.readinessChecks ?? []) readiness.addCheck(c.name, c.check, c);

  // The receiver reads its own raw body (size limit, lenient JSON for AURA's documented payloads).
  app.use(
    createWebhookRouter({
      client: opts.client,
      signalClient: opts.webhookSignalClient,
      taskQueue: opts.taskQueue,
      token: opts.webhookToken,
      authHeader: opts.webhookAuthHeader ?? 'authorization',
      ipAllowlist: opts.webhookIpAllowlist,
      log: opts.log,
      onOutcome: (event, outcome) => {
        recordWebhookDelivery(event, outcome);
        opts.onWebhookOutcome?.(event, outcome);
      },
      ...(opts.customerRouteWaitMs !== undefined ? { customerRouteWaitMs: opts.customerRouteWaitMs } : {}),
    }),
  );
  const onboarding = createOnboardingService({
    client: opts.client,
    taskQueue: opts.taskQueue,
    settings: {
      confirmWaitMs: 15_000,
      customerLookupWaitMs: 30_000,
      readBackAttempts: 5,
      ...opts.onboarding?.settings,
    },
    defaultSubscriptionDays: opts.onboarding?.defaultSubscriptionDays ?? 365,
    subscriptionGrace: opts.onboarding?.subscriptionGrace ?? false,
  });
  app.use('/v1', createOnboardingRouter(onboarding));

  // Each route that takes a body reads it itself (a GET's or a DELETE's body is never read).
  const v1 = express.Router();
  v1.use(
    createCalloutsRouter({
      incidents,
      responseTypes: opts.responseTypes,
      assertLiveCalloutAllowed: (customerId, test) => onboarding.assertLiveCalloutAllowed(customerId, test),
    }),
  );

  if (opts.fixedLocations) {
    app.use(
      createFixedLocationRouter({
        ...opts.fixedLocations,
        client: opts.client,
        taskQueue: opts.taskQueue,
        responseTypes: opts.responseTypes,
        incidents,
      }),
    );
  }
  app.use('/v1', v1);
  app.use(methods.notAllowed);
  app.use(notFoundHandler);
  app.use(errorHandler(opts.log));
  return app;
}
