// Operations routes: health, readiness, Prometheus metrics, the OpenAPI document and its docs page.
import { Router } from 'express';
import { z } from 'zod';
import type { Client } from '@temporalio/client';
import { ACTIVE_PHASES } from '../domain/status.js';
import { METRICS_CONTENT_TYPE, metricsText, setActiveIncidentsSource } from '../metrics.js';
import { setNotDispatchedSource } from '../ops-metrics.js';
import { renderDocsPage } from './docs-page.js';
import { Readiness } from './readiness.js';
import { buildOpenApiDocument, documentRoute, jsonResponse, type OpenApiDocument } from './openapi.js';
import { incidentWorkflow } from '../workflows/incident.js';

export interface OpsRouterOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  auraBaseUrl?: string | undefined;
  /** The document /openapi.json serves (the app's own: its routers and configuration); the defaults' when absent. */
  document?: OpenApiDocument;
  /** The checks /readyz runs; temporal, worker and aura are added here. A new one when absent. */
  readiness?: Readiness;
  /** Whether a worker polling the task queue is required (role all, the default) or a warning (role api). */
  requireWorker?: boolean;
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

const ReadyChecks = z
  .record(z.string(), z.enum(['ok', 'fail', 'warn']))
  .describe(
    'Each named check: `ok`; `fail` (a required check failed: 503); `warn` (an advisory check failed: still 200)',
  );

documentRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'ready',
  summary: 'Ready for traffic: Temporal reachable, a worker polling (role all), AURA base URL configured',
  description: [
    'For a load balancer. Readiness is a list of named checks, run at once on every call (each within 3 s): ' +
      '`temporal` (the',
    'frontend answers for the namespace and task queue), `worker` (a worker polls the task queue), `aura` ' +
      '(the AURA base URL',
    'is configured), and every check another module registers (a `database` once one is configured). A ' +
      'failing required',
    'check answers 503 naming it in `problems`.',
    '',
    '`SERVICE_ROLE=all` (and `npm run dev`): a worker polling is required, as the contract says. ' +
      '`SERVICE_ROLE=api`: the',
    'receiver and the reads work without workers, so a missing worker is reported in `warnings` (`checks.worker` is',
    '`warn`) and the replica stays ready (200); the worker process has its own `/readyz` on `WORKER_METRICS_PORT`.',
    '',
    'On SIGTERM the replica answers 503 with `status: "shutting_down"` at once, keeps serving for',
    '`SHUTDOWN_READINESS_DELAY_MS` (default 5 s) so the load balancer takes it out of rotation, then stops accepting',
    'connections, lets in-flight requests finish, and exits.',
  ].join('\n'),
  tags,
  responses: {
    200: jsonResponse(
      'Ready (possibly with warnings from advisory checks)',
      z.object({ status: z.literal('ready'), checks: ReadyChecks, warnings: z.array(z.string()).optional() }),
      {
        status: 'ready',
        checks: { temporal: 'ok', worker: 'warn', aura: 'ok' },
        warnings: ['no worker is polling task queue "aura-callouts"'],
      },
    ),
    503: jsonResponse(
      'Not ready, or shutting down: each problem named',
      z.object({
        status: z.enum(['not_ready', 'shutting_down']),
        checks: ReadyChecks,
        problems: z.array(z.string()),
        warnings: z.array(z.string()).optional(),
      }),
      {
        status: 'not_ready',
        checks: { temporal: 'ok', worker: 'fail', aura: 'ok' },
        problems: ['no worker is polling task queue "aura-callouts"'],
      },
    ),
  },
});

documentRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  summary: 'Prometheus metrics (text format)',
  description:
    'Webhook deliveries (`aura_webhook_deliveries_total`), Panic API calls and latency ' +
    '(`aura_panic_api_requests_total`, `aura_panic_api_request_duration_seconds`), polls ' +
    '(`aura_callout_polls_total`), transitions (`aura_incident_transitions_total`), time to dispatch / ' +
    "arrival / close, active incidents, and, in a process that runs the worker, the Temporal SDK's own " +
    '`temporal_*` metrics.',
  tags,
  responses: {
    200: {
      description: 'Prometheus text exposition format',
      content: {
        'text/plain': { schema: z.string(), example: '# TYPE aura_active_incidents gauge\naura_active_incidents 3\n' },
      },
    },
  },
});

documentRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This OpenAPI 3.1 document',
  tags,
  responses: {
    200: {
      description: 'The document',
      content: { 'application/json': { schema: z.object({ openapi: z.string() }).passthrough() } },
    },
  },
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
  const activeQuery = `WorkflowType = '${incidentWorkflow.name}' AND ExecutionStatus = 'Running' AND CalloutPhase IN (${ACTIVE_PHASES.map((p) => `'${p}'`).join(', ')})`;
  setActiveIncidentsSource(async () => (await opts.client.workflow.count(activeQuery)).count);
  // Incidents waiting for a dispatch too long (alert AuraIncidentNotDispatched), by one visibility count.
  setNotDispatchedSource(async (olderThan) => {
    const since = new Date(Date.now() - olderThan * 1000).toISOString();
    const query = `WorkflowType = '${incidentWorkflow.name}' AND ExecutionStatus = 'Running' AND CalloutPhase = 'requested' AND StartTime < '${since}'`;
    return (await opts.client.workflow.count(query)).count;
  });

  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));

  const readiness = opts.readiness ?? new Readiness();
  // One DescribeTaskQueue per /readyz answers both the temporal and the worker check.
  let describing: ReturnType<typeof describeTaskQueue> | null = null;
  const describeTaskQueue = () =>
    opts.client.workflowService.describeTaskQueue({
      namespace: opts.namespace,
      taskQueue: { name: opts.taskQueue, kind: 1 },
      taskQueueType: 1,
    });
  const describe = () => (describing ??= describeTaskQueue().finally(() => (describing = null)));
  readiness.addCheck('temporal', async () => {
    try {
      await describe();
    } catch (err) {
      throw new Error(`Temporal is not reachable (${(err as Error).message})`, { cause: err });
    }
  });
  readiness.addCheck(
    'worker',
    async () => {
      let tq: Awaited<ReturnType<typeof describeTaskQueue>>;
      try {
        tq = await describe();
      } catch {
        throw new Error(`no worker can be seen polling task queue "${opts.taskQueue}" (Temporal is not reachable)`);
      }
      if (!tq.pollers || tq.pollers.length === 0)
        throw new Error(`no worker is polling task queue "${opts.taskQueue}"`);
    },
    { required: opts.requireWorker ?? true },
  );
  readiness.addCheck('aura', () => {
    if (!opts.auraBaseUrl) throw new Error('AURA base URL is not configured');
  });

  router.get('/readyz', async (_req, res) => {
    const report = await readiness.report();
    res.status(report.status === 'ready' ? 200 : 503).json(report);
  });

  router.get('/metrics', async (_req, res) => {
    res.type(METRICS_CONTENT_TYPE).send(await metricsText());
  });

  const document = opts.document ?? buildOpenApiDocument();
  router.get('/openapi.json', (_req, res) => void res.json(document));
  let docsHtml: string | undefined;
  router.get('/docs', (_req, res) => void res.type('html').send((docsHtml ??= renderDocsPage(document))));

  return router;
}
