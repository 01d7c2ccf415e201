// The intake API and the webhook receiver (one Express app). Routes map directly onto workflow starts, signals and
// queries.
import express, { type Express } from 'express';
import { pinoHttp } from 'pino-http';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger.js';
import { createCodecRouter } from './codec.js';
import type { PayloadKeys } from '../temporal/codec.js';
import { ApiError, errorHandler, notFoundHandler, parseOrThrow } from './errors.js';
import { createIncidentService } from './incidents.js';
import { CancelBody, CreateCalloutBody, IncidentIdParam, ListCalloutsQuery, LocationBody, NoteBody, RatingBody } from './schemas.js';
import { createWebhookRouter } from './webhooks.js';
import { createOnboardingRouter, createOnboardingService, type OnboardingServiceOptions } from './onboarding.js';
import { createFixedLocationRouter, type FixedLocationApiOptions } from './fixed-locations.js';

export interface AppOptions {
  client: Client;
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
      serializers: { req: (req) => ({ id: req.id, method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );

  const incidents = createIncidentService({
    client: opts.client,
    taskQueue: opts.taskQueue,
    namespace: opts.namespace,
    temporalUiUrl: opts.temporalUiUrl ?? null,
  });

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  app.get('/readyz', async (_req, res) => {
    const problems: string[] = [];
    try {
      const tq = await opts.client.workflowService.describeTaskQueue({
        namespace: opts.namespace,
        taskQueue: { name: opts.taskQueue, kind: 1 },
        taskQueueType: 1,
      });
      if (!tq.pollers || tq.pollers.length === 0) problems.push(`no worker is polling task queue "${opts.taskQueue}"`);
    } catch (err) {
      problems.push(`Temporal is not reachable (${(err as Error).message})`);
    }
    if (!opts.auraBaseUrl) problems.push('AURA base URL is not configured');
    if (problems.length) res.status(503).json({ status: 'not_ready', problems });
    else res.json({ status: 'ready' });
  });

  if (opts.payloadKeys && (opts.codecAuthToken || opts.codecOpenWithoutToken)) {
    const origins = [opts.temporalUiUrl, 'http://localhost:8233', 'http://127.0.0.1:8233'].filter((o): o is string => Boolean(o)).map((o) => new URL(o).origin);
    app.use('/codec', createCodecRouter({ keys: opts.payloadKeys, authToken: opts.codecAuthToken, allowedOrigins: origins }));
  }

  // The receiver reads its own raw body (size limit, lenient JSON for AURA's documented payloads).
  app.use(
    createWebhookRouter({
      client: opts.client,
      taskQueue: opts.taskQueue,
      token: opts.webhookToken,
      authHeader: opts.webhookAuthHeader ?? 'authorization',
      ipAllowlist: opts.webhookIpAllowlist,
      log: opts.log,
      ...(opts.onWebhookOutcome ? { onOutcome: opts.onWebhookOutcome } : {}),
      ...(opts.customerRouteWaitMs !== undefined ? { customerRouteWaitMs: opts.customerRouteWaitMs } : {}),
    }),
  );
  const onboarding = createOnboardingService({
    client: opts.client,
    taskQueue: opts.taskQueue,
    settings: { confirmWaitMs: 15_000, customerLookupWaitMs: 30_000, readBackAttempts: 5, ...opts.onboarding?.settings },
    defaultSubscriptionDays: opts.onboarding?.defaultSubscriptionDays ?? 365,
    subscriptionGrace: opts.onboarding?.subscriptionGrace ?? false,
  });
  app.use('/v1', createOnboardingRouter(onboarding));

  const v1 = express.Router();
  v1.use(express.json({ limit: '1mb', type: () => true }));

  v1.post('/callouts', async (req, res) => {
    const body = parseOrThrow(CreateCalloutBody, req.body ?? {});
    let responseTypeId = body.responseTypeId;
    if (responseTypeId === undefined) {
      const name = (body.responseType ?? 'SECURITY').toUpperCase();
      responseTypeId = Object.hasOwn(opts.responseTypes, name) ? opts.responseTypes[name] : undefined;
      if (responseTypeId === undefined) {
        throw new ApiError(400, 'VALIDATION_FAILED', 'The request is not valid: see details for each field.', [
          { path: 'responseType', message: `unknown response type; configured: ${Object.keys(opts.responseTypes).join(', ')}` },
        ]);
      }
    }
    await onboarding.assertLiveCalloutAllowed(body.customerId, body.test === true);
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
    res.status(created ? 202 : 200).location(incident.links.self).json(incident);
  });

  v1.get('/callouts', async (req, res) => {
    const q = parseOrThrow(ListCalloutsQuery, req.query, 'query');
    res.json({ items: await incidents.list(q.status, q.limit) });
  });

  v1.get('/callouts/:incidentId', async (req, res) => {
    const id = parseOrThrow(IncidentIdParam, req.params.incidentId, 'incidentId');
    res.json(await incidents.get(id));
  });

  const incidentIdOf = (req: express.Request) => parseOrThrow(IncidentIdParam, req.params.incidentId, 'incidentId');

  v1.post('/callouts/:incidentId/location', async (req, res) => {
    const id = incidentIdOf(req);
    const loc = parseOrThrow(LocationBody, req.body ?? {});
    await incidents.sendLocation(id, loc);
    res.status(202).json({ status: 'accepted' });
  });

  v1.post('/callouts/:incidentId/notes', async (req, res) => {
    const id = incidentIdOf(req);
    const note = parseOrThrow(NoteBody, req.body ?? {});
    // The request id doubles as the note's idempotency key: a client retrying with the same X-Request-Id adds it once.
    const key = String(req.id ?? randomUUID());
    await incidents.sendNote(id, { key, text: note.text, author: note.author, at: new Date().toISOString() });
    res.status(202).json({ status: 'accepted' });
  });

  v1.post('/callouts/:incidentId/cancel', async (req, res) => {
    const id = incidentIdOf(req);
    const body = parseOrThrow(CancelBody, req.body ?? {});
    const request = body.safeCode !== undefined ? { safeCode: body.safeCode } : { reasons: body.reasons ?? [] };
    res.json(await incidents.cancel(id, request));
  });

  v1.post('/callouts/:incidentId/rating', async (req, res) => {
    const id = incidentIdOf(req);
    const body = parseOrThrow(RatingBody, req.body ?? {});
    res.json(await incidents.rate(id, { rating: body.rating, comment: body.comment }));
  });

  if (opts.fixedLocations) {
    app.use(createFixedLocationRouter({ ...opts.fixedLocations, client: opts.client, taskQueue: opts.taskQueue, responseTypes: opts.responseTypes, incidents }));
  }
  app.use('/v1', v1);
  app.use(notFoundHandler);
  app.use(errorHandler(opts.log));
  return app;
}
