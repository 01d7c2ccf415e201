// Operations routes: health, readiness, Prometheus metrics, the OpenAPI document and its docs page.
import { Router } from 'express';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { ACTIVE_PHASES } from '../domain/status.js';
import { METRICS_CONTENT_TYPE, metricsText, setActiveIncidentsSource } from '../metrics.js';
import { renderDocsPage } from './docs-page.js';
import { buildOpenApiDocument, documentRoute, jsonResponse } from './openapi.js';

export interface OpsRouterOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  auraBaseUrl?: string | undefined;
  /** Base URL the document names as its server (PUBLIC_BASE_URL). */
  publicBaseUrl?: string | undefined;
}

const tags = ['Operations'];

documentRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'health',
  summary: 'The process is up',
  tags,
  responses: { 200: jsonResponse('Up', z.object({ status: z.literal('ok') }), { status: 'ok' }) },
});

documentRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'ready',
  summary: 'Temporal reachable, a worker polling, AURA base URL configured',
  tags,
  responses: {
    200: jsonResponse('Ready', z.object({ status: z.literal('ready') }), { status: 'ready' }),
    503: jsonResponse('Not ready: each problem named', z.object({ status: z.literal('not_ready'), problems: z.array(z.string()) }), {
      status: 'not_ready',
      problems: ['no worker is polling task queue "aura-callouts"'],
    }),
  },
});

documentRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics (text format)',
  description:
    'Webhook deliveries (`aura_webhook_deliveries_total`), Panic API calls and latency (`aura_panic_api_requests_total`, `aura_panic_api_request_duration_seconds`), polls (`aura_callout_polls_total`), transitions (`aura_incident_transitions_total`), time to dispatch / arrival / close, active incidents, and, in a process that runs the worker, the Temporal SDK\'s own `temporal_*` metrics.',
  tags,
  responses: {
    200: {
      description: 'Prometheus text exposition format',
      content: { 'text/plain': { schema: z.string(), example: '# TYPE aura_active_incidents gauge\naura_active_incidents 3\n' } },
    },
  },
});

documentRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This OpenAPI 3.1 document',
  tags,
  responses: { 200: { description: 'The document', content: { 'application/json': { schema: z.object({ openapi: z.string() }).passthrough() } } } },
});

documentRoute({
  method: 'get',
  path: '/docs',
  operationId: 'docs',
  summary: 'Human-readable API docs rendered from the OpenAPI document',
  tags,
  responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
});

export function createOpsRouter(opts: OpsRouterOptions): Router {
  const router = Router();

  // Active incidents are counted by Temporal visibility when /metrics is scraped.
  const activeQuery = `WorkflowType = 'incidentWorkflow' AND ExecutionStatus = 'Running' AND CalloutPhase IN (${ACTIVE_PHASES.map((p) => `'${p}'`).join(', ')})`;
  setActiveIncidentsSource(async () => (await opts.client.workflow.count(activeQuery)).count);

  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  router.get('/readyz', async (_req, res) => {
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

  router.get('/metrics', async (_req, res) => {
    res.type(METRICS_CONTENT_TYPE).send(await metricsText());
  });

  let doc: ReturnType<typeof buildOpenApiDocument> | null = null;
  const document = () => (doc ??= buildOpenApiDocument({ serverUrl: opts.publicBaseUrl }));
  router.get('/openapi.json', (_req, res) => void res.json(document()));
  let docsHtml: string | undefined;
  router.get('/docs', (_req, res) => void res.type('html').send((docsHtml ??= renderDocsPage(document()))));

  return router;
}
