// Benchmark: thousands of active callouts at once against the AURA simulator.
//
// The real processes: a Temporal dev server (SQLite file), the worker and the API as child processes started from
// their own entry points (`src/worker/main.ts`, `src/api/main.ts`) exactly as `npm run worker` / `npm run api`
// start them, and the simulator in this process so that its request log can be read directly.
//
// 1. N callouts (default 2,000) are opened through POST /v1/callouts, one per simulator customer.
// 2. Webhooks flowing: every callout moves to "Responder Dispatched" and the webhook reports it, so each lifecycle
//    trusts webhooks and polls at the slow interval. Measured over a window.
// 3. Webhooks dropped: the simulator drops every webhook and every callout moves to "Responder Arrived"; polls find
//    the change, the lifecycles stop trusting webhooks and poll at the fast interval. Measured over a window.
// Prints the Panic API request rate (mean and the busiest second, against the configured cap), polls per callout per
// minute in both modes, and the worker's memory.
//
// Knobs (environment): BENCH_CALLOUTS (2000), BENCH_CAP_RPS (50), BENCH_POLL_FAST_MS (10000),
// BENCH_POLL_SLOW_MS (60000), BENCH_WINDOW_S (120).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CalloutStatus } from '../src/domain/status.js';
import { freePort, PROJECT_ROOT } from '../src/temporal/dev-server.js';
import { num, pool, say, sleep, startBenchRun, until } from './lib.js';

const N = num('BENCH_CALLOUTS', 2000);
const CAP = num('BENCH_CAP_RPS', 50);
const FAST_MS = num('BENCH_POLL_FAST_MS', 10_000);
const SLOW_MS = num('BENCH_POLL_SLOW_MS', 60_000);
const WINDOW_MS = num('BENCH_WINDOW_S', 120) * 1000;
const CONCURRENCY = 50;
// Status changes (and so webhooks) per second: a steady stream, as AURA's would be, rather than one burst.
const TRANSITIONS_PER_S = num('BENCH_TRANSITIONS_PER_S', 20);
const TOKEN = 'bench-webhook-token';

/** Run fn for each item, starting at most `perSecond` of them each second. */
async function paced<T>(items: T[], perSecond: number, fn: (item: T) => Promise<void>): Promise<void> {
  const started = Date.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    running.push(fn(items[i]!));
  }
  await Promise.all(running);
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const run = await startBenchRun('aura-bench-');
const { temporal, sim } = run;
const apiPort = await freePort();
const apiUrl = `http://127.0.0.1:${apiPort}`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NODE_ENV: 'production',
  LOG_LEVEL: 'error',
  TEMPORAL_ADDRESS: temporal.address,
  TEMPORAL_TASK_QUEUE: 'bench-callouts',
  AURA_BASE_URL: sim.panicApiUrl,
  AURA_CLIENT_ID: 'dev-client',
  AURA_CLIENT_SECRET: 'dev-secret',
  AURA_MAX_REQUESTS_PER_SECOND: String(CAP),
  POLL_INTERVAL_MS: String(FAST_MS),
  POLL_INTERVAL_SLOW_MS: String(SLOW_MS),
  // Two workflows per callout stay cached; evicting them would replay whole histories at every poll timer.
  WORKER_MAX_CACHED_WORKFLOWS: String(2 * N + 500),
  API_PORT: String(apiPort),
  WEBHOOK_TOKEN: TOKEN,
};
async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

let ok = false;
try {
  const worker = run.startChild('worker', [join(PROJECT_ROOT, 'src/worker/main.ts')], env);
  run.startChild('api', [join(PROJECT_ROOT, 'src/api/main.ts')], env);
  // An API replica (SERVICE_ROLE=api) is ready without a worker; wait until its readiness sees the worker polling.
  await until(
    'the API to be ready (worker polling)',
    async () => {
      const r = await fetch(`${apiUrl}/readyz`).catch(() => null);
      return r?.status === 200 && ((await r.json()) as { checks?: Record<string, string> }).checks?.worker === 'ok';
    },
    120_000,
  );
  say(
    `stack up: Temporal ${temporal.address}, simulator ${sim.url}, API ${apiUrl}, worker pid ${worker.pid}; worker RSS ${rssMb(worker.pid).toFixed(0)} MB`,
  );

  const reg = await post(
    sim.panicApiUrl,
    '/v2/notifiers/webhooks',
    {
      url: `${apiUrl}/webhooks/aura`,
      events: [
        'NEW_CALLOUT',
        'RESPONDER_MANUALLY_DISPATCHED',
        'RESPONDER_ACKNOWLEDGED_CALLOUT',
        'RESPONDER_ARRIVED_ON_SCENE',
        'RESPONDER_COMPLETED',
        'CALLOUT_NO_LONGER_REQUIRES_RESPONSE',
        'CALLOUT_CLOSED',
      ],
      headers: { authorization: `Bearer ${TOKEN}` },
    },
    { authorization: 'Bearer dev-token' },
  );
  if (reg.status !== 200) throw new Error(`webhook registration failed: ${reg.status}`);

  const customers: number[] = [];
  await pool(
    Array.from({ length: N }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const r = await post(
        sim.panicApiUrl,
        '/v2/customers',
        {
          customer: { name: 'Bench', surname: `Customer ${i}`, mobile: `+2783${String(i).padStart(7, '0')}` },
          subscription: { subscriptionTypeId: 12 },
        },
        { authorization: 'Bearer dev-token' },
      );
      if (r.status !== 201) throw new Error(`customer create failed: ${r.status}`);
      customers.push(r.body.customer.id);
    },
  );

  // --- open N callouts ------------------------------------------------------------------------------------------
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(worker.pid))), 1000);
  const openStart = Date.now();
  await pool(customers, CONCURRENCY, async (customerId) => {
    const r = await post(apiUrl, '/v1/callouts', {
      incidentId: `bench-${customerId}`,
      customerId,
      location: { latitude: -33.92, longitude: 18.42 },
    });
    if (r.status !== 202) throw new Error(`POST /v1/callouts answered ${r.status}: ${JSON.stringify(r.body)}`);
  });
  const accepted = Date.now();
  await until(`${N} AURA callouts`, () => sim.state.callouts.size >= N, 30 * 60_000);
  const opened = Date.now();
  say(
    `${N} incidents accepted by the API in ${((accepted - openStart) / 1000).toFixed(1)} s; all ${N} AURA callouts created ${((opened - openStart) / 1000).toFixed(1)} s after the first request`,
  );
  const ids = [...sim.state.callouts.keys()];

  // --- webhooks flowing ---------------------------------------------------------------------------------------
  const attempts = (event: string) =>
    sim.state.deliveries.filter((d) => d.event === event && d.outcome !== 'not_registered');
  await paced(
    ids,
    TRANSITIONS_PER_S,
    async (id) =>
      void (await post(sim.url, `/__sim/callouts/${id}/status`, {
        status: CalloutStatus.ResponderDispatched,
        webhook: true,
      })),
  );
  await until('dispatch webhooks attempted', () => attempts('RESPONDER_MANUALLY_DISPATCHED').length >= N, 10 * 60_000);
  // Callouts whose dispatch webhook was accepted trust webhooks from here on (the others learnt it by polling).
  const trusted = new Set(
    attempts('RESPONDER_MANUALLY_DISPATCHED')
      .filter((d) => d.outcome === 'delivered')
      .map((d) => d.calloutId),
  );
  say(
    `all ${N} callouts dispatched at ${TRANSITIONS_PER_S}/s; ${trusted.size} dispatch webhooks accepted by the receiver; letting lifecycles settle`,
  );
  await sleep(Math.min(SLOW_MS, 30_000));
  const flowing = [Date.now(), 0];
  await sleep(WINDOW_MS);
  flowing[1] = Date.now();
  const rssFlowing = rssMb(worker.pid);
  say(`webhooks-flowing window done (${WINDOW_MS / 1000} s)`);

  // --- webhooks dropped ---------------------------------------------------------------------------------------
  sim.state.faults = { ...sim.state.faults, webhookDropRate: 1 };
  await paced(
    ids,
    TRANSITIONS_PER_S,
    async (id) =>
      void (await post(sim.url, `/__sim/callouts/${id}/status`, {
        status: CalloutStatus.ResponderArrived,
        webhook: true,
      })),
  );
  say('every callout arrived on scene with its webhook dropped; waiting for polls to find it');
  // Every lifecycle polls within one slow interval and then switches to the fast one.
  await sleep(SLOW_MS + FAST_MS);
  const dropped = [Date.now(), 0];
  await sleep(WINDOW_MS);
  dropped[1] = Date.now();
  const rssDropped = rssMb(worker.pid);
  clearInterval(sampler);
  say(`webhooks-dropped window done (${WINDOW_MS / 1000} s)`);

  // --- figures ------------------------------------------------------------------------------------------------
  const service = sim.state.requests
    .map((r) => ({ ms: Date.parse(r.at), method: r.method, path: r.path }))
    // Requests the benchmark itself made (customers, webhook registration) are not the service's.
    .filter((r) => !r.path.endsWith('/v2/customers') && !r.path.includes('/notifiers/'));
  const isPoll = (r: { method: string; path: string }) =>
    (r.method === 'GET' && /\/v2\/callouts\/\d+$/.test(r.path)) || r.path.endsWith('/locationAndReturnCallout');
  const perSecond = (from: number, to: number) => {
    const buckets = new Map<number, number>();
    for (const r of service)
      if (r.ms >= from && r.ms < to)
        buckets.set(Math.floor(r.ms / 1000), (buckets.get(Math.floor(r.ms / 1000)) ?? 0) + 1);
    const counts = [...buckets.values()];
    const total = counts.reduce((a, b) => a + b, 0);
    const max = counts.length ? Math.max(...counts) : 0;
    // What the busiest second was made of, by route.
    const busiest = [...buckets.entries()].find(([, n]) => n === max)?.[0];
    const routes = new Map<string, number>();
    for (const r of service) {
      if (Math.floor(r.ms / 1000) !== busiest) continue;
      const route = `${r.method} ${r.path.replace(/\/\d+/g, '/:id')}`;
      routes.set(route, (routes.get(route) ?? 0) + 1);
    }
    const mix = [...routes.entries()].map(([k, n]) => `${n} ${k.replace('/panic-api/v2', '')}`).join(', ');
    return { total, mean: total / ((to - from) / 1000), max, mix };
  };
  const window = ([from, to]: number[]) => {
    const inWin = service.filter((r) => r.ms >= from! && r.ms < to!);
    const polls = inWin.filter(isPoll).length;
    const events = inWin.filter((r) => r.path.endsWith('/events')).length;
    // Polls of the callouts that trust webhooks, per callout per minute.
    const trustedPolls = inWin.filter(
      (r) => isPoll(r) && trusted.has(Number(/\/callouts\/(\d+)/.exec(r.path)?.[1])),
    ).length;
    const minutes = (to! - from!) / 60_000;
    return {
      ...perSecond(from!, to!),
      polls,
      events,
      pollsPerCalloutMin: polls / N / minutes,
      trustedPerCalloutMin: trusted.size ? trustedPolls / trusted.size / minutes : 0,
    };
  };
  const whole = perSecond(openStart, dropped[1]!);
  const creating = perSecond(openStart, opened + 1000);
  const a = window(flowing);
  const b = window(dropped);
  const uncapped = (ms: number) => (60_000 / ms).toFixed(2);

  console.log('\nCallouts benchmark');
  console.log(`  active callouts                     ${N}`);
  console.log(`  Panic API cap                       ${CAP} requests/s (Temporal task-queue activity rate limit)`);
  console.log(
    `  poll intervals                      fast ${FAST_MS / 1000} s (webhooks silent), slow ${SLOW_MS / 1000} s (webhooks flowing)`,
  );
  console.log(
    `  opening ${N} callouts               ${((opened - openStart) / 1000).toFixed(1)} s (${creating.mean.toFixed(1)} req/s mean, busiest second ${creating.max})`,
  );
  console.log(
    `  Panic API rate, whole run           mean ${whole.mean.toFixed(1)} req/s, busiest second ${whole.max} req (cap ${CAP}: ${whole.max <= CAP ? 'held' : 'EXCEEDED'})`,
  );
  console.log(`  busiest second was                  ${whole.mix}`);
  console.log('  webhooks flowing');
  console.log(`    Panic API rate                    mean ${a.mean.toFixed(1)} req/s, busiest second ${a.max}`);
  console.log(
    `    polls per callout per minute      ${a.trustedPerCalloutMin.toFixed(2)} for the ${trusted.size} callouts whose webhook was accepted (target ${uncapped(SLOW_MS)}); ${a.pollsPerCalloutMin.toFixed(2)} over all ${N}; event reads ${a.events}`,
  );
  console.log('  webhooks dropped');
  console.log(`    Panic API rate                    mean ${b.mean.toFixed(1)} req/s, busiest second ${b.max}`);
  console.log(
    `    polls per callout per minute      ${b.pollsPerCalloutMin.toFixed(2)} (uncapped target ${uncapped(FAST_MS)}, cap allows ${((CAP * 60) / N).toFixed(2)}); event reads ${b.events}`,
  );
  console.log(
    `  worker RSS                          peak ${peakRss.toFixed(0)} MB; ${rssFlowing.toFixed(0)} MB after the flowing window, ${rssDropped.toFixed(0)} MB after the dropped window`,
  );
  console.log(
    `                                      (${((peakRss * 1024) / (2 * N)).toFixed(0)} KB per workflow at peak: an incident and a lifecycle per callout)`,
  );
  ok = true;
} finally {
  await run.shutdown(ok);
}
