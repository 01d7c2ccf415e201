// The go-live run: every checklist item against the configured AURA and the running service, in an order that lets
// the dispatch's test callout serve the webhook and route checks while it is open, reported in the checklist's order.
import type { Env } from '../config.js';
import { createContext, type GoLiveContext, type GoLiveOptions } from './context.js';
import { checkCredentials } from './credentials.js';
import {
  cancelDispatch,
  dispatchResult,
  finishDispatch,
  notesBothWays,
  openDispatch,
  statusByPollAndPosition,
  statusByWebhook,
  type DispatchSession,
} from './dispatch.js';
import { checkCsvMode, checkFixedLocations, readBothSides } from './locations.js';
import { checkOperations, checkResolutionReports } from './operations.js';
import { probeRoutes } from './probes.js';
import { allPassed } from './report.js';
import type { GoLiveReport, ItemResult, Step } from './types.js';
import { checkWebhook } from './webhook.js';

export const ITEM_ORDER = [
  'credentials',
  'fixed-locations',
  'csv-import',
  'dispatch',
  'cancellation',
  'panic-api-routes',
  'webhook',
  'resolution-reports',
  'operations',
] as const;

const TITLES: Record<(typeof ITEM_ORDER)[number], string> = {
  credentials: 'Credentials are server-side only',
  'fixed-locations': 'Every platform location resolves to one AURA Fixed Location',
  'csv-import': 'CSV import: callback and delete guard',
  dispatch: 'A real dispatch end to end (test incident)',
  cancellation: 'Cancellation from the operator console',
  'panic-api-routes': 'Every Panic API route answers as our schemas expect',
  webhook: 'Webhook: registration, authentication, idempotency, mapping',
  'resolution-reports': 'Where resolution reports are stored or linked',
  operations: 'Operational handling: missing, duplicates, webhook failures',
};

async function guarded(name: (typeof ITEM_ORDER)[number], fn: () => Promise<ItemResult>): Promise<ItemResult> {
  try {
    return await fn();
  } catch (err) {
    return {
      name,
      title: TITLES[name],
      status: 'fail',
      detail: `the check itself failed: ${(err as Error)?.message ?? String(err)}`,
    };
  }
}

export async function runGoLive(
  env: Env,
  opts: GoLiveOptions,
  progress: (msg: string) => void = () => undefined,
): Promise<{ report: GoLiveReport; ctx: GoLiveContext }> {
  const startedAt = new Date().toISOString();
  const ctx = await createContext(env, opts);
  const results = new Map<string, ItemResult>();
  const total = ITEM_ORDER.length;
  let n = 0;
  const say = (what: string) => progress(`[${++n}/${total}] ${what}…`);

  say('checking credentials');
  results.set('credentials', await guarded('credentials', () => checkCredentials(ctx)));

  say('resolving platform locations to AURA Fixed Locations');
  const sideSteps: Step[] = [];
  const sides = await readBothSides(ctx, sideSteps).catch((err: Error) => err.message);
  results.set('fixed-locations', await guarded('fixed-locations', () => checkFixedLocations(ctx, sides, sideSteps)));

  say('checking the CSV import mode');
  results.set('csv-import', await guarded('csv-import', () => checkCsvMode(ctx, sides)));

  say('dispatching a test incident (create, status by webhook)');
  let s: DispatchSession | null = null;
  try {
    s = await openDispatch(ctx);
    await statusByWebhook(ctx, s);

    say('checking the webhook (registration, authentication, the same delivery twice)');
    const session = s;
    results.set('webhook', await guarded('webhook', () => checkWebhook(ctx, session)));

    progress(`[${n}/${total}] dispatch: status by poll, a position, notes both ways…`);
    await statusByPollAndPosition(ctx, s);
    await notesBothWays(ctx, s);

    say('probing Panic API routes');
    results.set('panic-api-routes', await guarded('panic-api-routes', () => probeRoutes(ctx, session)));

    say('cancelling the test incident (integration, with a reason)');
    const stepsBefore = s.steps.length;
    const problemsBefore = s.problems.length;
    if (s.auraCalloutId) await cancelDispatch(ctx, s);
    const cancelSteps = s.steps.splice(stepsBefore);
    const cancelProblems = s.problems.splice(problemsBefore);
    results.set('cancellation', {
      name: 'cancellation',
      title: TITLES.cancellation,
      status: cancelSteps.length && !cancelProblems.length ? 'pass' : 'fail',
      detail: !cancelSteps.length
        ? 'not tried: no test callout (see the dispatch item)'
        : cancelProblems.length
          ? cancelProblems.join('; ')
          : `POST /v1/callouts/${s.incidentId}/cancel {"reasons":["FALSE_ALARM"]} answered 200; AURA cancelled callout ${s.auraCalloutId}; incident phase ${s.incident?.phase}`,
      steps: cancelSteps,
    });
    results.set('dispatch', dispatchResult(ctx, s));
  } catch (err) {
    const message = `the check itself failed: ${(err as Error)?.message ?? String(err)}`;
    for (const name of ['dispatch', 'cancellation', 'webhook', 'panic-api-routes'] as const)
      if (!results.has(name))
        results.set(name, {
          name,
          title: TITLES[name],
          status: 'fail',
          detail: message,
          ...(name === 'dispatch' && s ? { steps: s.steps } : {}),
        });
  } finally {
    if (s) await finishDispatch(s);
  }

  say('resolution reports');
  results.set('resolution-reports', checkResolutionReports(ctx));
  say('alert rules, dashboard and metrics');
  results.set('operations', await guarded('operations', () => checkOperations(ctx)));

  const items = ITEM_ORDER.map(
    (name) => results.get(name) ?? { name, title: TITLES[name], status: 'skipped' as const, detail: 'not run' },
  );
  return {
    ctx,
    report: {
      startedAt,
      finishedAt: new Date().toISOString(),
      aura: { baseUrl: env.AURA_BASE_URL, simulator: ctx.simulator },
      api: ctx.opts.api,
      items,
      ok: allPassed(items),
    },
  };
}
