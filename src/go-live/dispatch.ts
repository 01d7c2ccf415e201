// Checklist: "Test a real dispatch flow end to end in staging, including status updates" and "Test cancellation from
// the operator console". Everything goes through the service's own API (contract §1) as an integrator would, with
// `test: true`; the kit watches what AURA and the service do. Only against the simulator (its `/__sim` answers) does
// the kit drive the responder itself (a status with a webhook, one without, a controller's note); against AURA
// staging it waits for staging's Responder Simulator and its controllers and reports what it saw.
import { randomUUID } from 'node:crypto';
import { brief, describeAuraError, sleep, step, waitFor, type GoLiveContext } from './context.js';
import { markdownTable } from './report.js';
import type { ItemResult, Step } from './types.js';

export const GO_LIVE_POSITION = { latitude: -26.10911, longitude: 28.053037, accuracy: 10 };
const MOVED_POSITION = { latitude: -26.1095, longitude: 28.0531, accuracy: 8 };

export interface DispatchSession {
  incidentId: string;
  nonce: string;
  customerId: number | null;
  auraCalloutId: number | null;
  steps: Step[];
  problems: string[];
  restoreAutopilot: (() => Promise<void>) | null;
  /** The incident as last read. */
  incident: any;
}

export async function readIncident(ctx: GoLiveContext, incidentId: string): Promise<any> {
  const r = await ctx.api('GET', `/v1/callouts/${encodeURIComponent(incidentId)}`);
  return r.status === 200 ? r.body : null;
}

const summary = (i: any) =>
  i ? `phase=${i.phase} status=${i.status ?? '-'} auraCalloutId=${i.auraCalloutId ?? '-'}` : '(no incident)';

function record(s: DispatchSession, st: Step, problem?: string): void {
  s.steps.push(st);
  if (!st.ok) s.problems.push(problem ?? `${st.name}: ${st.answer}`);
}

/** Wait until the incident satisfies `pred`; the last read is kept on the session. */
async function incidentWhen(ctx: GoLiveContext, s: DispatchSession, pred: (i: any) => boolean, timeoutMs?: number) {
  const found = await waitFor(async () => {
    const i = await readIncident(ctx, s.incidentId);
    if (i) s.incident = i;
    return i && pred(i) ? i : null;
  }, timeoutMs ?? ctx.opts.stepTimeoutMs);
  return found;
}

const entry = (i: any, status: string) => (i?.timeline ?? []).find((t: any) => t.status === status);

/** A customer for the test dispatch: the configured one, or (simulator only) a new one with a subscription. */
async function testCustomer(ctx: GoLiveContext, s: DispatchSession): Promise<number | null> {
  if (ctx.opts.customerId) return ctx.opts.customerId;
  if (!ctx.simulator) return null;
  const mobile = `+2782${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  try {
    const r = await ctx.aura.createCustomer({
      customer: { name: 'Go-live', surname: 'Check', mobile, externalReferenceId: `go-live-${s.nonce}` },
      subscription: { subscriptionTypeId: 12 },
    });
    s.steps.push(
      step(
        'test customer (simulator)',
        'POST /v2/customers {customer, subscription}',
        `${r.status} id=${r.customerId ?? '-'}`,
        r.status === 'created',
      ),
    );
    return r.customerId;
  } catch (err) {
    record(s, step('test customer (simulator)', 'POST /v2/customers', describeAuraError(ctx, err), false));
    return null;
  }
}

export async function openDispatch(ctx: GoLiveContext): Promise<DispatchSession> {
  const nonce = randomUUID().slice(0, 8);
  const s: DispatchSession = {
    incidentId: `go-live-${new Date()
      .toISOString()
      .replace(/[-:.TZ]/g, '')
      .slice(0, 14)}-${nonce}`,
    nonce,
    customerId: null,
    auraCalloutId: null,
    steps: [],
    problems: [],
    restoreAutopilot: null,
    incident: null,
  };
  s.customerId = await testCustomer(ctx, s);
  if (!s.customerId) {
    s.problems.push(
      'no test customer: set GO_LIVE_CUSTOMER_ID (or --customer) to an AURA staging customer with an active subscription',
    );
    return s;
  }
  if (ctx.simulator) {
    // The simulator's autopilot would walk the test callout on its own; the kit drives it step by step instead.
    const ap = await ctx.sim('GET', '/__sim/autopilot');
    if (ap.body?.enabled) {
      await ctx.sim('PUT', '/__sim/autopilot', { enabled: false });
      const before = ap.body;
      s.restoreAutopilot = async () => void (await ctx.sim('PUT', '/__sim/autopilot', before));
      s.steps.push(
        step('simulator autopilot paused', 'PUT /__sim/autopilot {"enabled":false}', 'restored at the end', true),
      );
    }
  }
  const responseType = Object.keys(ctx.env.RESPONSE_TYPES)[0] ?? 'SECURITY';
  const body = {
    incidentId: s.incidentId,
    customerId: s.customerId,
    responseType,
    location: GO_LIVE_POSITION,
    notes: 'go-live check: test incident, no response needed',
    test: true,
  };
  const r = await ctx.api('POST', '/v1/callouts', body);
  record(
    s,
    step(
      'create (test incident)',
      `POST /v1/callouts ${brief({ ...body, customerId: '…' })}`,
      `${r.status} ${summary(r.body)}`,
      r.status === 202,
    ),
  );
  if (r.status !== 202) return s;
  const created = await incidentWhen(ctx, s, (i) => i.auraCalloutId != null || i.terminal);
  s.auraCalloutId = created?.auraCalloutId ?? null;
  if (!s.auraCalloutId) {
    record(
      s,
      step(
        'AURA callout',
        `GET /v1/callouts/${s.incidentId}`,
        `${summary(s.incident)} ${brief(s.incident?.failure ?? '')}`,
        false,
      ),
    );
    return s;
  }
  try {
    const c = await ctx.aura.getCallout(s.auraCalloutId);
    record(s, step('AURA holds the callout', `GET /v2/callouts/${s.auraCalloutId}`, `200 status=${c.status}`, true));
  } catch (err) {
    record(
      s,
      step('AURA holds the callout', `GET /v2/callouts/${s.auraCalloutId}`, describeAuraError(ctx, err), false),
    );
  }
  return s;
}

/** Simulator: AURA moves the callout and delivers the webhook; the incident must show it, from the webhook. */
export async function statusByWebhook(ctx: GoLiveContext, s: DispatchSession): Promise<void> {
  if (!s.auraCalloutId || !ctx.simulator) return;
  const status = 'Responder Dispatched';
  await ctx.sim('POST', `/__sim/callouts/${s.auraCalloutId}/status`, { status, webhook: true });
  const i = await incidentWhen(ctx, s, (x) => entry(x, status));
  const e = entry(i, status);
  record(
    s,
    step(
      'status by webhook',
      `(simulator) POST /__sim/callouts/${s.auraCalloutId}/status {"status":"${status}","webhook":true}`,
      e ? `incident: ${status} via ${e.source}${e.event ? ` (${e.event})` : ''}` : `not seen: ${summary(s.incident)}`,
      e?.source === 'webhook',
    ),
  );
}

/** A status AURA reaches without a webhook (polling is the ledger), and a position sent through the service. */
export async function statusByPollAndPosition(ctx: GoLiveContext, s: DispatchSession): Promise<void> {
  if (!s.auraCalloutId) return;
  const id = s.auraCalloutId;
  if (ctx.simulator)
    await ctx.sim('POST', `/__sim/callouts/${id}/status`, { status: 'Responder Arrived', webhook: false });
  const r = await ctx.api('POST', `/v1/callouts/${s.incidentId}/location`, MOVED_POSITION);
  record(
    s,
    step(
      'position',
      `POST /v1/callouts/${s.incidentId}/location ${brief(MOVED_POSITION)}`,
      `${r.status}`,
      r.status === 202,
    ),
  );
  if (ctx.simulator) {
    const i = await incidentWhen(ctx, s, (x) => entry(x, 'Responder Arrived'));
    const e = entry(i, 'Responder Arrived');
    record(
      s,
      step(
        'status by poll',
        `(simulator) POST /__sim/callouts/${id}/status {"status":"Responder Arrived","webhook":false}`,
        e ? `incident: Responder Arrived via ${e.source}` : `not seen: ${summary(s.incident)}`,
        e?.source === 'poll',
      ),
    );
  } else {
    // AURA staging: its Responder Simulator moves callouts without webhooks; wait for any transition past created.
    const i = await incidentWhen(ctx, s, (x) => (x.timeline ?? []).some((t: any) => t.status !== 'created'));
    const moved = (i?.timeline ?? []).filter((t: any) => t.status !== 'created');
    const sources = [...new Set(moved.map((t: any) => t.source))];
    record(
      s,
      step(
        'status updates (staging responder)',
        `wait ${ctx.opts.stepTimeoutMs / 1000} s for AURA to move callout ${id}`,
        moved.length
          ? moved.map((t: any) => `${t.status} via ${t.source}`).join(', ')
          : "none: is staging's Responder Simulator on for this customer source? Ask AURA",
        moved.length > 0 && sources.includes('poll'),
      ),
    );
  }
  // AURA must hold the position (or the incident says AURA refused it: a note marked failed).
  const seen = await waitFor(async () => {
    const c = await ctx.aura.getCallout(id);
    const loc = c.incidentInformation[0]?.calloutCurrentLocation as
      { latitude?: unknown; longitude?: unknown } | undefined;
    if (
      Math.abs(Number(loc?.latitude) - MOVED_POSITION.latitude) < 1e-6 &&
      Math.abs(Number(loc?.longitude) - MOVED_POSITION.longitude) < 1e-6
    )
      return 'AURA holds the new position';
    const i = await readIncident(ctx, s.incidentId);
    const failed = (i?.notes ?? []).find(
      (n: any) => n.delivery === 'failed' && /position|location/i.test(`${n.text} ${n.detail ?? ''}`),
    );
    return failed ? `refused: ${failed.detail ?? failed.text}` : null;
  }, ctx.opts.stepTimeoutMs);
  record(
    s,
    step(
      'position reached AURA',
      `GET /v2/callouts/${id} (calloutCurrentLocation)`,
      seen ?? 'not seen within the step timeout',
      seen === 'AURA holds the new position',
    ),
  );
}

/** A note both ways: the operator's into AURA's event stream, a controller's back onto the incident. */
export async function notesBothWays(ctx: GoLiveContext, s: DispatchSession): Promise<void> {
  if (!s.auraCalloutId) return;
  const id = s.auraCalloutId;
  const out = `go-live check ${s.nonce}: operator note`;
  const r = await ctx.api('POST', `/v1/callouts/${s.incidentId}/notes`, { text: out, author: 'go-live' });
  record(
    s,
    step('note out', `POST /v1/callouts/${s.incidentId}/notes {"text":"${out}"}`, `${r.status}`, r.status === 202),
  );
  const inAura = await waitFor(
    async () => (await ctx.aura.listCalloutEvents(id)).some((e) => JSON.stringify(e).includes(out)),
    ctx.opts.stepTimeoutMs,
  );
  const onIncident = await incidentWhen(ctx, s, (i) =>
    (i.notes ?? []).some((n: any) => n.text === out && n.delivery !== 'pending'),
  );
  const note = (onIncident?.notes ?? s.incident?.notes ?? []).find((n: any) => n.text === out);
  record(
    s,
    step(
      'note out reached AURA',
      `GET /v2/callouts/${id}/events`,
      inAura
        ? `in AURA's event stream; incident note delivery=${note?.delivery ?? 'delivered'}`
        : `not in AURA's events (${note?.delivery ?? '?'}: ${note?.detail ?? ''})`,
      Boolean(inAura) && note?.delivery !== 'failed',
    ),
  );
  const inbound = `go-live check ${s.nonce}: controller note`;
  if (ctx.simulator) await ctx.sim('POST', `/__sim/callouts/${id}/events`, { message: inbound, author: 'controller' });
  const back = await incidentWhen(ctx, s, (i) =>
    (i.notes ?? []).some((n: any) => n.direction === 'inbound' && (!ctx.simulator || n.text === inbound)),
  );
  const got = (back?.notes ?? []).find((n: any) => n.direction === 'inbound');
  record(
    s,
    step(
      'note in',
      ctx.simulator
        ? `(simulator) POST /__sim/callouts/${id}/events {"message":"${inbound}"}`
        : `wait for a controller message on callout ${id} (ask AURA's control room to write one)`,
      got
        ? `incident note inbound from ${got.author ?? 'AURA'}: ${brief(got.text, 80)}`
        : 'no inbound note within the step timeout',
      Boolean(got),
    ),
  );
}

/** Integration cancellation with a reason, as the operator console sends it. */
export async function cancelDispatch(ctx: GoLiveContext, s: DispatchSession): Promise<void> {
  if (!s.auraCalloutId) return;
  const r = await ctx.api('POST', `/v1/callouts/${s.incidentId}/cancel`, { reasons: ['FALSE_ALARM'] });
  record(
    s,
    step(
      'cancel (integration, with a reason)',
      `POST /v1/callouts/${s.incidentId}/cancel {"reasons":["FALSE_ALARM"]}`,
      `${r.status} ${r.status === 200 ? summary(r.body) : brief(r.body)}`,
      r.status === 200,
    ),
  );
  const i = await incidentWhen(ctx, s, (x) => ['cancelled', 'closed'].includes(x.phase));
  let aura: string;
  try {
    aura = (await ctx.aura.getCallout(s.auraCalloutId)).status;
  } catch (err) {
    aura = describeAuraError(ctx, err);
  }
  record(
    s,
    step(
      'cancelled at AURA',
      `GET /v2/callouts/${s.auraCalloutId}`,
      `AURA status=${aura}; incident ${summary(i ?? s.incident)}`,
      Boolean(i) && /cancel|closed/i.test(aura),
    ),
  );
}

export async function finishDispatch(s: DispatchSession): Promise<void> {
  if (s.restoreAutopilot) await s.restoreAutopilot().catch(() => undefined);
  await sleep(0);
}

export function dispatchResult(ctx: GoLiveContext, s: DispatchSession): ItemResult {
  const i = s.incident;
  const markdown: string[] = [];
  if (i?.timeline?.length) {
    markdown.push(`Incident \`${s.incidentId}\`, AURA callout ${s.auraCalloutId ?? '-'}: timeline`, '');
    markdown.push(
      ...markdownTable([
        ['at', 'status', 'source', 'event'],
        ...i.timeline.map((t: any) => [t.at, t.status, t.source, t.event ?? '']),
      ]),
    );
  }
  if (i?.notes?.length) {
    markdown.push('', 'Notes', '');
    markdown.push(
      ...markdownTable([
        ['at', 'direction', 'delivery', 'text'],
        ...i.notes.map((n: any) => [n.at, n.direction, n.delivery ?? 'delivered', n.text]),
      ]),
    );
  }
  const ok = s.problems.length === 0 && s.steps.length > 0;
  return {
    name: 'dispatch',
    title: 'A real dispatch end to end (test incident)',
    status: ok ? 'pass' : 'fail',
    detail: ok
      ? `incident ${s.incidentId} (test) → AURA callout ${s.auraCalloutId}: created, ${ctx.simulator ? 'a status by webhook and one by poll' : 'AURA staging moved it (seen by poll)'}, a position, a note out and one in (final: ${summary(i)})${ctx.simulator ? '; the simulator was driven through /__sim' : ''}`
      : s.problems.join('; '),
    steps: s.steps,
    markdown,
  };
}
