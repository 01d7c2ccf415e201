// Checklist: "Test webhook authentication, idempotency, and event-to-status mapping."
// - a registration for our URL with our events and auth header: read from the simulator (`/__sim/webhook`); the
//   Panic API has no read of the registration, so against AURA the kit registers the configured receiver again
//   (AURA keeps one webhook per customer source and replaces it: the same request as `npm run webhooks:register`)
//   and compares AURA's echo;
// - a delivery without or with a wrong credential is refused (401), AURA's own deliveries were accepted;
// - the same delivery twice has the effect of one (the incident's timeline shows the status once);
// - the event → status → phase → platform action table, from the code the service runs.
import { DEFAULT_WEBHOOK_EVENTS, registerReceiver, webhookRegistrationFromEnv } from '../aura/webhook-registration.js';
import { EVENT_STATUS } from '../domain/events.js';
import { platformActionFor } from '../domain/platform.js';
import { phaseOfStatus } from '../domain/status.js';
import { brief, describeAuraError, sleep, step, type GoLiveContext } from './context.js';
import { readIncident, type DispatchSession } from './dispatch.js';
import { markdownTable } from './report.js';
import type { ItemResult, Step } from './types.js';

/** The callout events the lifecycle needs from webhooks (the rest are optional extras). */
export const LIFECYCLE_EVENTS = [
  'NEW_CALLOUT',
  'RESPONDER_MANUALLY_DISPATCHED',
  'RESPONDER_ARRIVED_ON_SCENE',
  'RESPONDER_COMPLETED',
  'CALLOUT_NO_LONGER_REQUIRES_RESPONSE',
  'CALLOUT_CLOSED',
];

/** Pure: the seed's mapping as the service applies it. */
export function mappingRows(): string[][] {
  return Object.entries(EVENT_STATUS).map(([event, status]) => [
    event,
    status,
    phaseOfStatus(status) ?? '(keeps the current phase)',
    platformActionFor({ status, event }),
  ]);
}

/** The registration the service would make: our receiver's URL (the API's when PUBLIC_BASE_URL is unset), events, header. */
function wantedRegistration(ctx: GoLiveContext) {
  return webhookRegistrationFromEnv({ ...ctx.env, PUBLIC_BASE_URL: ctx.env.PUBLIC_BASE_URL ?? ctx.opts.api });
}

export function receiverUrl(ctx: GoLiveContext): string {
  return wantedRegistration(ctx).url;
}

async function registration(ctx: GoLiveContext, steps: Step[], problems: string[]): Promise<void> {
  const want = wantedRegistration(ctx);
  const required = ctx.env.WEBHOOK_EVENTS ?? LIFECYCLE_EVENTS;
  let got: { url?: string; events?: string[]; headers?: Record<string, string> } | null = null;
  if (ctx.simulator) {
    const r = await ctx.sim('GET', '/__sim/webhook');
    got = r.body ?? null;
    steps.push(
      step(
        'registration',
        '(simulator) GET /__sim/webhook',
        got
          ? `url=${got.url} events=${got.events?.length ?? 0} headers=${Object.keys(got.headers ?? {}).join(',')}`
          : 'none registered',
        Boolean(got),
      ),
    );
  } else {
    try {
      const r = await registerReceiver(ctx.aura, { ...want, events: ctx.env.WEBHOOK_EVENTS ?? DEFAULT_WEBHOOK_EVENTS });
      got = { url: r.url, events: r.events, headers: want.headers };
      steps.push(
        step(
          'registration (re-registered: no read route)',
          `POST /v2/notifiers/webhooks {url:"${want.url}", events:[${r.events.length}], headers:{${Object.keys(want.headers).join(',')}}}`,
          `200 url=${r.url} events=${r.events.length}`,
          true,
        ),
      );
    } catch (err) {
      steps.push(step('registration', 'POST /v2/notifiers/webhooks', describeAuraError(ctx, err), false));
      problems.push(`the receiver could not be registered: ${describeAuraError(ctx, err)}`);
      return;
    }
  }
  if (!got)
    return void problems.push(`no webhook is registered (run: aura-callouts register-webhook --url ${want.url})`);
  if (got.url !== want.url) problems.push(`the registration is for ${got.url}, not our receiver ${want.url}`);
  const missing = required.filter((e) => !(got.events ?? []).includes(e));
  if (missing.length) problems.push(`the registration lacks events ${missing.join(', ')}`);
  const [name, value] = Object.entries(want.headers)[0] ?? ['', ''];
  const header = Object.entries(got.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  if (!header || header[1] !== value)
    problems.push(`the registration does not carry our ${name} header with the configured WEBHOOK_TOKEN`);
}

export async function checkWebhook(ctx: GoLiveContext, s: DispatchSession): Promise<ItemResult> {
  const steps: Step[] = [];
  const problems: string[] = [];
  await registration(ctx, steps, problems);
  const url = `${ctx.opts.api}/webhooks/aura`;
  const auth = webhookRegistrationFromEnv(ctx.env).headers;

  // Authentication: no credential, a wrong one.
  const probe = { message: 'CALLOUT_EVENTS_CHANGED', callout: { id: s.auraCalloutId ?? 1, status: null } };
  const authName = Object.keys(auth)[0] ?? 'authorization';
  for (const [what, headers] of [
    ['no credential', {}],
    [
      'a wrong credential',
      { [authName]: authName === 'authorization' ? 'Bearer go-live-wrong-token' : 'go-live-wrong-token' },
    ],
  ] as const) {
    const r = await ctx.http('POST', url, probe, headers);
    steps.push(
      step(
        `delivery with ${what}`,
        `POST /webhooks/aura (${what})`,
        `${r.status} ${r.body?.error?.code ?? ''}`,
        r.status === 401,
      ),
    );
    if (r.status !== 401) problems.push(`a delivery with ${what} was answered ${r.status}, not 401`);
  }
  // AURA's own deliveries were accepted: a status on the incident from a webhook, or the receiver's counter of
  // accepted deliveries moved since the run started (staging's Responder Simulator sends no webhooks; AURA's
  // NEW_CALLOUT may lose the race with the create's answer).
  const before = s.incident ?? (s.auraCalloutId ? await readIncident(ctx, s.incidentId) : null);
  const fromAura = (before?.timeline ?? []).filter((t: any) => t.source === 'webhook');
  const now = await ctx.acceptedDeliveries();
  const delta = now !== null && ctx.acceptedAtStart !== null ? now - ctx.acceptedAtStart : null;
  const seen = [
    fromAura.length
      ? `on the incident: ${fromAura.map((t: any) => `${t.status} (${t.event})`).join(', ')}`
      : 'none on the incident',
    delta !== null
      ? `${delta} accepted by the receiver since the run started (aura_webhook_deliveries_total)`
      : 'receiver metrics unread',
  ].join('; ');
  const accepted = fromAura.length > 0 || (delta ?? 0) > 0;
  steps.push(step("AURA's deliveries accepted", `incident ${s.incidentId} timeline; GET /metrics`, seen, accepted));
  if (!accepted) problems.push(`no delivery from AURA reached the receiver (${seen})`);

  // The same delivery twice, with our credential.
  if (s.auraCalloutId) {
    try {
      // AURA's read of the callout with the status the incident already shows: the copies must not be what tells
      // the service of a new status (staging's responder may have moved it since), only repeat what it recorded.
      const incident = await readIncident(ctx, s.incidentId);
      const read = await ctx.aura.getCallout(s.auraCalloutId);
      const c = { ...read, status: incident?.status ?? read.status };
      const event = Object.entries(EVENT_STATUS).find(([, st]) => st === c.status)?.[0] ?? 'CALLOUT_EVENTS_CHANGED';
      const delivery = { message: event, callout: c };
      const answers = [];
      for (let n = 0; n < 2; n++) answers.push(await ctx.http('POST', url, delivery, auth));
      await sleep(1_500);
      const after = await readIncident(ctx, s.incidentId);
      const times = (after?.timeline ?? []).filter((t: any) => t.status === c.status).length;
      const ok = answers.every((a) => a.status === 200) && times === 1;
      steps.push(
        step(
          'the same delivery twice',
          `POST /webhooks/aura ×2 {"message":"${event}","callout":{"id":${c.id},"status":"${c.status}",…}}`,
          `${answers.map((a) => `${a.status} ${brief(a.body?.status ?? a.body)}`).join(', ')}; timeline shows "${c.status}" ${times}×`,
          ok,
        ),
      );
      if (!ok)
        problems.push(
          `the same delivery twice: answers ${answers.map((a) => a.status).join(', ')}, "${c.status}" on the timeline ${times} times (expected once)`,
        );
    } catch (err) {
      problems.push(`the duplicate delivery could not be tried: ${describeAuraError(ctx, err)}`);
    }
  } else problems.push('no test callout to deliver to (see the dispatch item)');

  const rows = mappingRows();
  return {
    name: 'webhook',
    title: 'Webhook: registration, authentication, idempotency, mapping',
    status: problems.length ? 'fail' : 'pass',
    detail: problems.length
      ? problems.join('; ')
      : `registered for ${receiverUrl(ctx)} with our events and ${authName} header; unauthenticated deliveries refused (401), AURA's accepted; the same delivery twice recorded once; mapping of ${rows.length} events below`,
    steps,
    markdown: [
      'Event-to-status mapping (the monitoring-platforms seed, as the service applies it):',
      '',
      ...markdownTable([['AURA event', 'AURA status', 'incident phase', 'platform action'], ...rows]),
    ],
  };
}
