// Checklist (ours): every Panic API route the service relies on answers as our schemas (src/aura/) expect. Each is
// probed with a harmless call through the service's own client (the resources' endpoints and zod schemas): reads,
// a position on the kit's own test callout, and requests AURA must refuse (an unknown Fixed Location reference,
// empty creates, a rating out of range), which show a route is there without changing anything. Routes with no
// harmless call are exercised by the dispatch and webhook items and named here as such. A route answering 404, any
// unexpected status, or an answer of another shape is named with its method, path and status.
import { randomUUID } from 'node:crypto';
import { AuraError } from '../aura/errors.js';
import { GO_LIVE_POSITION, type DispatchSession } from './dispatch.js';
import { describeAuraError, sentPath, step, type GoLiveContext } from './context.js';
import { markdownTable } from './report.js';
import type { ItemResult, Step } from './types.js';

interface Probe {
  method: string;
  /** The route template, as the resource declares it. */
  route: string;
  /** The path as sent (ids filled in). */
  path: (calloutId: number, customerId: number) => string;
  /** `answer`: a 2xx read with our schema; `refusal`: AURA must refuse (400/422), proving the route exists. */
  kind: 'answer' | 'refusal';
  needsCallout?: boolean;
  call: (ctx: GoLiveContext, calloutId: number, customerId: number) => Promise<unknown>;
}

const bare = (v: unknown) => v as never;

export const PROBES: Probe[] = [
  {
    method: 'GET',
    route: '/v2/callouts/activeCallouts',
    path: () => '/v2/callouts/activeCallouts',
    kind: 'answer',
    call: (c) => c.aura.listActiveCallouts(),
  },
  {
    method: 'GET',
    route: '/v2/customers/:customerId/callouts',
    path: (_, u) => `/v2/customers/${u}/callouts`,
    kind: 'answer',
    call: (c, _, u) => c.aura.listCustomerActiveCallouts(u),
  },
  {
    method: 'GET',
    route: '/v2/customers/:customerId/subscriptions',
    path: (_, u) => `/v2/customers/${u}/subscriptions`,
    kind: 'answer',
    call: (c, _, u) => c.aura.listCustomerSubscriptions(u),
  },
  {
    method: 'GET',
    route: '/v2/predefinedLocations',
    path: () => '/v2/predefinedLocations?page=1&limit=1',
    kind: 'answer',
    call: (c) => c.aura.listFixedLocations(1, 1),
  },
  {
    method: 'GET',
    route: '/v2/callouts/:calloutId',
    path: (id) => `/v2/callouts/${id}`,
    kind: 'answer',
    needsCallout: true,
    call: (c, id) => c.aura.getCallout(id),
  },
  {
    method: 'POST',
    route: '/v2/callouts/:calloutId/locationAndReturnCallout',
    path: (id) => `/v2/callouts/${id}/locationAndReturnCallout`,
    kind: 'answer',
    needsCallout: true,
    call: (c, id) => c.aura.updateLocationAndReturn(id, GO_LIVE_POSITION),
  },
  {
    method: 'GET',
    route: '/v2/callouts/:calloutId/events',
    path: (id) => `/v2/callouts/${id}/events`,
    kind: 'answer',
    needsCallout: true,
    call: (c, id) => c.aura.listCalloutEvents(id),
  },
  {
    method: 'POST',
    route: '/v2/predefinedLocations/externalRef/:externalReferenceId/callouts',
    path: () => '/v2/predefinedLocations/externalRef/go-live-unknown-…/callouts',
    kind: 'refusal',
    call: (c) =>
      c.aura.createFixedLocationCallout(`go-live-unknown-${randomUUID().slice(0, 8)}`, { internalTest: true }),
  },
  {
    method: 'POST',
    route: '/v2/customers',
    path: () => '/v2/customers',
    kind: 'refusal',
    call: (c) => c.aura.createCustomer(bare({ customer: {} })),
  },
  {
    method: 'POST',
    route: '/v2/subscriptions',
    path: () => '/v2/subscriptions',
    kind: 'refusal',
    call: (c) => c.aura.createSubscription(bare({})),
  },
  {
    method: 'POST',
    route: '/v2/predefinedLocations',
    path: () => '/v2/predefinedLocations',
    kind: 'refusal',
    call: (c) => c.aura.createFixedLocation({}),
  },
  {
    method: 'POST',
    route: '/v2/ratings',
    path: () => '/v2/ratings',
    kind: 'refusal',
    needsCallout: true,
    call: (c, id) => c.aura.submitRating({ calloutId: id, rating: 0 }),
  },
];

/** Routes the service relies on that no harmless call reaches: where the kit exercises each instead. */
export const EXERCISED_ELSEWHERE: [string, string][] = [
  ['POST /v2/oauth/token', 'credentials (the token exchange)'],
  ['POST /v2/customers/:customerId/callouts', 'dispatch (create)'],
  ['POST /v2/callouts/:calloutId/events', 'dispatch (note out)'],
  ['POST /v2/callouts/:calloutId/cancel', 'dispatch (cancel)'],
  ['POST /v2/callouts/:calloutId/exceptionReasons', 'dispatch (cancel with a reason)'],
  ['POST /v2/notifiers/webhooks', 'webhook (registration)'],
  ['PUT /v2/predefinedLocations/:id', 'the reconciliation only (an update is not harmless)'],
  ['POST /v1/predefinedlocations/upload', 'csv mode only, never probed (each upload is a full sync)'],
];

export interface ProbeOutcome {
  label: string;
  ok: boolean;
  status: string;
  note: string;
}

/** Pure: a probe's outcome from what it threw (or not). */
export function judgeProbe(kind: Probe['kind'], threw: unknown): { ok: boolean; status: string; note: string } {
  if (threw === undefined) {
    return kind === 'answer'
      ? { ok: true, status: '2xx', note: 'answer read with our schema' }
      : { ok: false, status: '2xx', note: 'AURA accepted a request it should refuse' };
  }
  if (!(threw instanceof AuraError))
    return { ok: false, status: 'error', note: (threw as Error)?.message ?? String(threw) };
  const status = threw.status !== undefined ? String(threw.status) : threw.code;
  if (kind === 'refusal' && (threw.status === 400 || threw.status === 422))
    return { ok: true, status, note: `refused as expected${threw.auraMessage ? `: ${threw.auraMessage}` : ''}` };
  if (
    threw.code === 'AURA_BAD_RESPONSE' ||
    threw.code === 'AURA_LISTING_INVALID' ||
    threw.code === 'AURA_CREATE_UNCONFIRMED'
  )
    return { ok: false, status, note: `unexpected shape: ${threw.message}` };
  return { ok: false, status, note: threw.message };
}

export async function probeRoutes(ctx: GoLiveContext, s: DispatchSession): Promise<ItemResult> {
  const steps: Step[] = [];
  const failures: string[] = [];
  const outcomes: ProbeOutcome[] = [];
  for (const p of PROBES) {
    const label = `${p.method} ${p.route}`;
    if (p.needsCallout && !s.auraCalloutId) {
      outcomes.push({ label, ok: false, status: '-', note: 'not probed: no test callout (see the dispatch item)' });
      failures.push(`${label} not probed (no test callout)`);
      continue;
    }
    const path = sentPath(ctx, p.path(s.auraCalloutId ?? 0, s.customerId ?? 0));
    let threw: unknown;
    try {
      await p.call(ctx, s.auraCalloutId ?? 0, s.customerId ?? 0);
    } catch (err) {
      threw = err ?? new Error('failed');
    }
    const j = judgeProbe(p.kind, threw);
    outcomes.push({ label, ...j });
    steps.push(step(label, `${p.method} ${path}`, `${j.status} ${j.note}`, j.ok));
    if (!j.ok) failures.push(`${p.method} ${path} answered ${j.status} (${j.note.slice(0, 160)})`);
    if (threw instanceof AuraError && threw.path && !j.ok)
      steps[steps.length - 1]!.answer = describeAuraError(ctx, threw);
  }
  const markdown = [
    'Routes probed:',
    '',
    ...markdownTable([
      ['route', 'probe', 'status', 'result'],
      ...PROBES.map((p, n) => [
        `${p.method} ${p.route}`,
        p.kind === 'answer' ? 'harmless call' : 'must refuse',
        outcomes[n]?.status ?? '-',
        `${outcomes[n]?.ok ? 'ok' : 'FAIL'}: ${outcomes[n]?.note ?? ''}`,
      ]),
    ]),
    '',
    'Routes with no harmless call, exercised elsewhere:',
    '',
    ...markdownTable([['route', 'exercised by'], ...EXERCISED_ELSEWHERE]),
  ];
  return {
    name: 'panic-api-routes',
    title: 'Every Panic API route answers as our schemas expect',
    status: failures.length ? 'fail' : 'pass',
    detail: failures.length
      ? failures.join('; ')
      : `${PROBES.length} routes probed (${PROBES.filter((p) => p.kind === 'answer').length} answers read with our zod schemas, ${PROBES.filter((p) => p.kind === 'refusal').length} refusals); ${EXERCISED_ELSEWHERE.length} more exercised by the other items`,
    steps,
    markdown,
  };
}
