// Gauges the alert rules (deploy/prometheus/alerts.yml) need and src/metrics.ts did not have: the latest Fixed
// Location reconciliation report (its issues by kind, when it finished, whether it completed), and incidents waiting
// for a dispatch too long. Each is read when /metrics is scraped (the report from the adapter's database, the count
// from Temporal visibility), so every API replica reports the same values and a restart loses nothing.
import { Gauge } from 'prom-client';
import { SYNC_ISSUE_KINDS, type SyncReport } from './domain/fixed-locations.js';
import { registry } from './metrics.js';

/** An incident still `requested` (no responder dispatched) this long after it was opened is reported. */
export const NOT_DISPATCHED_AFTER_SECONDS = 600;

let reportSource: (() => Promise<SyncReport | null>) | null = null;
let lastReport: Promise<SyncReport | null> | null = null;

/** One read of the report per scrape, shared by the three gauges. */
function report(): Promise<SyncReport | null> {
  if (!reportSource) return Promise.resolve(null);
  lastReport ??= reportSource()
    .catch(() => null)
    .finally(() => setTimeout(() => (lastReport = null), 1_000).unref());
  return lastReport;
}

export const fixedLocationIssues = new Gauge({
  name: 'aura_fixed_location_sync_issues',
  help: 'Issues in the latest Fixed Location reconciliation report, by kind (MISSING_IN_AURA, DUPLICATE_REFERENCE, LISTING_FAILED, …; at most FIXED_LOCATION_REPORT_MAX_ISSUES listed)',
  labelNames: ['kind'] as const,
  registers: [registry],
  async collect() {
    const r = await report();
    if (!r) return;
    for (const kind of SYNC_ISSUE_KINDS) this.set({ kind }, r.issues.filter((i) => i.kind === kind).length);
  },
});

export const fixedLocationLastFinished = new Gauge({
  name: 'aura_fixed_location_sync_last_finished_timestamp_seconds',
  help: 'When the latest Fixed Location reconciliation finished (Unix seconds)',
  registers: [registry],
  async collect() {
    const r = await report();
    if (r?.finishedAt) this.set(Date.parse(r.finishedAt) / 1000);
  },
});

export const fixedLocationCompleted = new Gauge({
  name: 'aura_fixed_location_sync_completed',
  help: 'Whether the latest Fixed Location reconciliation completed (1), or was refused or failed (0)',
  registers: [registry],
  async collect() {
    const r = await report();
    if (!r) return;
    // A report written before reports carried a status is a completed run.
    const status = r.status ?? 'completed';
    this.set(status === 'completed' ? 1 : 0);
  },
});

export function setFixedLocationReportSource(fn: (() => Promise<SyncReport | null>) | null): void {
  reportSource = fn;
  lastReport = null;
}

let notDispatchedSource: ((olderThanSeconds: number) => Promise<number>) | null = null;

export const incidentsNotDispatched = new Gauge({
  name: 'aura_incidents_not_dispatched',
  help: `Incidents still in phase "requested" (no responder dispatched) more than older_than_seconds after they were opened (Temporal visibility count at scrape time)`,
  labelNames: ['older_than_seconds'] as const,
  registers: [registry],
  async collect() {
    if (!notDispatchedSource) return;
    try {
      this.set(
        { older_than_seconds: String(NOT_DISPATCHED_AFTER_SECONDS) },
        await notDispatchedSource(NOT_DISPATCHED_AFTER_SECONDS),
      );
    } catch {
      // Temporal unreachable: keep the last value rather than fail the scrape.
    }
  },
});

export function setNotDispatchedSource(fn: ((olderThanSeconds: number) => Promise<number>) | null): void {
  notDispatchedSource = fn;
}
