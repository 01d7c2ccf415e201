// Prometheus metrics (prom-client): one registry per process, named metrics that the receiver, the Panic API
// client, activity interceptors and the workflow sink call. Workflows cannot touch prom-client: what they see reaches
// here through the `metrics` sink (src/workflows/metrics-interceptor.ts → src/worker/metrics-sinks.ts).
// The Temporal SDK's own worker metrics (core's Prometheus exporter) are appended to the same /metrics text.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
// prom-client also reports these three as gauges named *_total, which Prometheus's lint (`promtool check metrics`)
// refuses; the same values stay as nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
  registry.removeSingleMetric(name);

/** Seconds: from seconds to hours, for emergencies measured from request to dispatch, arrival and close. */
const INCIDENT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 7200, 14400];

export const webhookDeliveries = new Counter({
  name: 'aura_webhook_deliveries_total',
  help:
    'AURA webhook deliveries received, by event and outcome (accepted, late, acknowledged, ignored, ' +
    'invalid, malformed, unavailable, unauthenticated, forbidden)',
  labelNames: ['event', 'outcome'] as const,
  registers: [registry],
});

export const panicApiRequests = new Counter({
  name: 'aura_panic_api_requests_total',
  help: 'Requests to AURA Panic API, by route (templated, no ids) and HTTP status ("error" when no answer)',
  labelNames: ['route', 'status'] as const,
  registers: [registry],
});

export const panicApiDuration = new Histogram({
  name: 'aura_panic_api_request_duration_seconds',
  help: 'Latency of Panic API requests, by route and status',
  labelNames: ['route', 'status'] as const,
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const polls = new Counter({
  name: 'aura_callout_polls_total',
  help:
    'Polls of AURA callouts (kind "poll": Get a callout; kind "location": update location and return ' +
    'callout), by outcome',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export const transitions = new Counter({
  name: 'aura_incident_transitions_total',
  help:
    "Status transitions recorded on incidents' timelines, by the phase they move to (each transition " +
    'counted once per incident)',
  labelNames: ['phase'] as const,
  registers: [registry],
});

export const timeToDispatch = new Histogram({
  name: 'aura_incident_time_to_dispatch_seconds',
  help: 'From the intake request to the first "Responder Dispatched"',
  buckets: INCIDENT_BUCKETS,
  registers: [registry],
});

export const timeToArrival = new Histogram({
  name: 'aura_incident_time_to_arrival_seconds',
  help: 'From the intake request to "Responder Arrived"',
  buckets: INCIDENT_BUCKETS,
  registers: [registry],
});

export const timeToClose = new Histogram({
  name: 'aura_incident_time_to_close_seconds',
  help: 'From the intake request to "closed"',
  buckets: INCIDENT_BUCKETS,
  registers: [registry],
});

let activeIncidentsSource: (() => Promise<number>) | null = null;

/** Active incidents, counted by Temporal visibility when /metrics is scraped (right across restarts and workers). */
export const activeIncidents = new Gauge({
  name: 'aura_active_incidents',
  help: 'Incident workflows running with an active phase (requested, dispatched, on_scene, completed, cancelled)',
  registers: [registry],
  async collect() {
    if (!activeIncidentsSource) return;
    try {
      this.set(await activeIncidentsSource());
    } catch {
      // Temporal unreachable: keep the last value rather than fail the scrape.
    }
  },
});

export function setActiveIncidentsSource(fn: (() => Promise<number>) | null): void {
  activeIncidentsSource = fn;
}

let workerStatesSource: (() => { taskQueue: string; up: boolean }[]) | null = null;

/** This process's workers, read when /metrics is scraped: 1 while RUNNING and polling, 0 otherwise. */
export const workerUp = new Gauge({
  name: 'aura_worker_up',
  help:
    "1 while this process's worker of the task queue is RUNNING and its pollers are polling, 0 otherwise " +
    '(starting, draining, stopped, failed)',
  labelNames: ['task_queue'] as const,
  registers: [registry],
  collect() {
    if (!workerStatesSource) return;
    for (const w of workerStatesSource()) this.set({ task_queue: w.taskQueue }, w.up ? 1 : 0);
  },
});

export function setWorkerStatesSource(fn: (() => { taskQueue: string; up: boolean }[]) | null): void {
  workerStatesSource = fn;
}

// ---- recorders (the call sites' vocabulary) ---------------------------------------------------------------------

export function recordWebhookDelivery(event: string, outcome: string): void {
  webhookDeliveries.inc({ event, outcome });
}

export function recordPanicApiCall(r: { route: string; status: number | string; durationMs: number }): void {
  const labels = { route: r.route, status: String(r.status) };
  panicApiRequests.inc(labels);
  panicApiDuration.observe(labels, r.durationMs / 1000);
}

export interface IncidentTransition {
  phase: string;
  status: string;
  at: string;
}

/** What the incident workflow's sink reports: new timeline entries, and the moments that end each duration. */
export function recordIncidentTransitions(
  createdAt: string | undefined,
  entries: IncidentTransition[],
  firsts: { dispatched?: string; arrived?: string; closed?: string },
): void {
  for (const e of entries) transitions.inc({ phase: e.phase });
  const start = createdAt ? Date.parse(createdAt) : NaN;
  if (!Number.isFinite(start)) return;
  const since = (at: string) => Math.max(0, (Date.parse(at) - start) / 1000);
  if (firsts.dispatched) timeToDispatch.observe(since(firsts.dispatched));
  if (firsts.arrived) timeToArrival.observe(since(firsts.arrived));
  if (firsts.closed) timeToClose.observe(since(firsts.closed));
}

// ---- the Temporal SDK's own metrics -----------------------------------------------------------------------------

let coreMetricsUrl: string | null = null;

/** Where core's Prometheus exporter listens (set when the Runtime is installed with telemetry). */
export function setCoreMetricsUrl(url: string | null): void {
  coreMetricsUrl = url;
}

/** The process's metrics: prom-client's registry followed by the Temporal SDK's worker metrics, when installed. */
export async function metricsText(): Promise<string> {
  let text = await registry.metrics();
  if (coreMetricsUrl) {
    try {
      const res = await fetch(coreMetricsUrl, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) text += `\n${await res.text()}`;
    } catch {
      // Core's exporter not up yet: serve ours.
    }
  }
  return text;
}

export const METRICS_CONTENT_TYPE = registry.contentType;
