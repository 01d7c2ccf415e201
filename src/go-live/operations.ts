// Checklist: "Confirm where resolution reports will be stored or linked" and "Agree on operational handling for
// missing Fixed Locations, duplicate references, and webhook delivery failures". The second is checked from the
// files that carry the agreement: the alert rules (deploy/prometheus/alerts.yml) must cover each case, every metric
// a rule or the dashboard (deploy/grafana/aura-callouts.json) names must be one the service exports on /metrics.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { step, type GoLiveContext } from './context.js';
import { markdownTable } from './report.js';
import type { ItemResult, Step } from './types.js';

export const ALERTS_FILE = 'deploy/prometheus/alerts.yml';
export const DASHBOARD_FILE = 'deploy/grafana/aura-callouts.json';

export function checkResolutionReports(ctx: GoLiveContext): ItemResult {
  const base = { name: 'resolution-reports', title: 'Where resolution reports are stored or linked' };
  const url = ctx.env.RESOLUTION_REPORTS_URL;
  if (url) {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return {
      ...base,
      status: 'pass',
      detail: `RESOLUTION_REPORTS_URL=${u.toString()} (AURA's resolution reports are in its portal, not the API; operators find or attach them there)`,
    };
  }
  if (ctx.simulator)
    return {
      ...base,
      status: 'pass',
      detail:
        'not applicable against the simulator: it produces no resolution reports (AURA keeps them in its portal, not the API); RESOLUTION_REPORTS_URL is unset, and this item fails against AURA staging or production until it is set',
    };
  return {
    ...base,
    status: 'fail',
    detail:
      "RESOLUTION_REPORTS_URL is not set: set it to where operators find or attach AURA's resolution reports (the AURA portal, or the platform's incident attachments)",
  };
}

export interface AlertRule {
  alert: string;
  expr: string;
}

/** Pure: the alerting rules of a Prometheus rules file (enough YAML for our own file: `- alert:` and `expr:`). */
export function parseAlertRules(text: string): AlertRule[] {
  const rules: AlertRule[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const m = /^(\s*)- alert:\s*(\S+)/.exec(lines[n]!);
    if (!m) continue;
    const indent = m[1]!.length;
    const block: string[] = [];
    for (let k = n + 1; k < lines.length; k++) {
      const l = lines[k]!;
      if (l.trim() && l.search(/\S/) <= indent) break;
      block.push(l);
    }
    const exprAt = block.findIndex((l) => /^\s*expr:/.test(l));
    let expr = '';
    if (exprAt >= 0) {
      const first = block[exprAt]!.replace(/^\s*expr:\s*/, '');
      if (first === '|' || first === '>' || first === '|-' || first === '>-') {
        const ind = block[exprAt]!.search(/\S/);
        for (const l of block.slice(exprAt + 1)) {
          if (l.trim() && l.search(/\S/) <= ind) break;
          expr += `${l.trim()} `;
        }
      } else expr = first.replace(/^['"]|['"]$/g, '');
    }
    rules.push({ alert: m[2]!, expr: expr.trim() });
  }
  return rules;
}

/** The service's own metric names (ours, not the SDK's) in an expression or a dashboard. */
export function metricNamesIn(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/\baura_[a-z0-9_]+/g)) names.add(m[0].replace(/_(bucket|sum|count)$/, ''));
  return [...names].sort();
}

/** Metric families a Prometheus text exposes (# TYPE lines). */
export function exposedMetrics(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
}

/** The operational cases the checklist names, and what a rule covering each must look at. */
export const REQUIRED_COVERAGE: { case: string; test: (r: AlertRule) => boolean }[] = [
  {
    case: 'missing Fixed Locations',
    test: (r) => r.expr.includes('aura_fixed_location_sync_issues') && r.expr.includes('MISSING_IN_AURA'),
  },
  {
    case: 'duplicate references',
    test: (r) => r.expr.includes('aura_fixed_location_sync_issues') && r.expr.includes('DUPLICATE_REFERENCE'),
  },
  { case: 'webhook delivery failures', test: (r) => r.expr.includes('aura_webhook_deliveries_total') },
];

export async function checkOperations(ctx: GoLiveContext): Promise<ItemResult> {
  const steps: Step[] = [];
  const problems: string[] = [];
  const base = { name: 'operations', title: 'Operational handling: missing, duplicates, webhook failures' };
  let rules: AlertRule[] = [];
  let dashboardText = '';
  try {
    rules = parseAlertRules(readFileSync(join(ctx.opts.projectRoot, ALERTS_FILE), 'utf8'));
    steps.push(step('alert rules', `read ${ALERTS_FILE}`, `${rules.length} alerts`, rules.length > 0));
  } catch (err) {
    problems.push(`${ALERTS_FILE} cannot be read: ${(err as Error).message}`);
  }
  try {
    dashboardText = readFileSync(join(ctx.opts.projectRoot, DASHBOARD_FILE), 'utf8');
    const d = JSON.parse(dashboardText) as { panels?: unknown[] };
    steps.push(
      step('dashboard', `read ${DASHBOARD_FILE}`, `${d.panels?.length ?? 0} panels`, (d.panels?.length ?? 0) > 0),
    );
  } catch (err) {
    problems.push(`${DASHBOARD_FILE} cannot be read: ${(err as Error).message}`);
  }
  const coverage = REQUIRED_COVERAGE.map(
    (c) =>
      [
        c.case,
        rules
          .filter(c.test)
          .map((r) => r.alert)
          .join(', '),
      ] as const,
  );
  for (const [what, alerts] of coverage) if (!alerts) problems.push(`no alert rule covers ${what}`);

  // Every aura_* metric named must be exported by the service (API, and the worker when it runs apart).
  const exposed = new Set<string>();
  for (const url of [`${ctx.opts.api}/metrics`, ...(ctx.opts.workerMetricsUrl ? [ctx.opts.workerMetricsUrl] : [])]) {
    try {
      const r = await ctx.http('GET', url);
      for (const m of exposedMetrics(r.text)) exposed.add(m);
      steps.push(
        step(
          'service metrics',
          `GET ${url}`,
          `${r.status}, ${exposedMetrics(r.text).size} metric families`,
          r.status === 200,
        ),
      );
    } catch (err) {
      problems.push(`GET ${url} failed: ${(err as Error).message}`);
    }
  }
  const named = metricNamesIn(rules.map((r) => r.expr).join('\n') + '\n' + dashboardText);
  const unknown = named.filter((m) => !exposed.has(m));
  if (exposed.size && unknown.length)
    problems.push(`rules or dashboard name metrics the service does not export: ${unknown.join(', ')}`);
  return {
    ...base,
    status: problems.length ? 'fail' : 'pass',
    detail: problems.length
      ? problems.join('; ')
      : `${rules.length} alert rules and the dashboard cover ${coverage.map(([w, a]) => `${w} (${a})`).join(', ')}; all ${named.length} metrics they name are exported by the service`,
    steps,
    markdown: [
      'Alert rules (deploy/prometheus/alerts.yml):',
      '',
      ...markdownTable([['alert', 'expression'], ...rules.map((r) => [r.alert, r.expr])]),
    ],
  };
}
