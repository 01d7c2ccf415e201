// Benchmark: thousands of active callouts at once against the AURA simulator, and alarms arriving meanwhile.
//
// The real processes: a Temporal server, the worker and the API as child processes started from their own entry
// points (`src/worker/main.ts`, `src/api/main.ts`) exactly as `npm run worker` / `npm run api` start them, and the
// simulator in this process so that its request log can be read directly. The whole run once per server
// (BENCH_SERVERS, default `dev,postgres`): the dev server (SQLite in WAL) and temporal-server on PostgreSQL (the
// adapter's own database on the same cluster there, as the production topology has it).
//
// 1. ALARMS platform locations are put through the API and reconciled to AURA Fixed Locations (for step 5).
// 2. N callouts (default 2,000) are opened through POST /v1/callouts, one per simulator customer, at most
//    BENCH_OPEN_CONCURRENCY at once; the Panic API cap (a task-queue rate limit) is what paces the creates.
// 3. Webhooks flowing: every callout moves to "Responder Dispatched" and the webhook reports it, so each lifecycle
//    trusts webhooks and polls at the slow interval. Measured over a window.
// 4. Webhooks silent: the simulator drops every webhook and every callout moves to "Responder Arrived"; polls find
//    the change, the lifecycles stop trusting webhooks and poll at the fast interval. Measured over a window.
// 5. Alarms under load: ALARMS alarms at ALARM_RATE/s through POST /v1/alarms while the N callouts poll at the cap;
//    latency = POST sent → the simulator received the Fixed Location callout create.
// Prints each figure with its goal beside it (issue 13, goals 3, 5 and 7), per server. Asserts nothing.
//
// Knobs (environment): BENCH_SERVERS (dev,postgres), BENCH_CALLOUTS (2000), BENCH_CAP_RPS (50),
// BENCH_POLL_FAST_MS (10000), BENCH_POLL_SLOW_MS (60000), BENCH_WINDOW_S (90), BENCH_TRANSITIONS_PER_S (50),
// BENCH_ALARMS (500), BENCH_ALARM_RATE (50), BENCH_OPEN_CONCURRENCY (50), BENCH_WORKER_NODE_OPTIONS (added to the
// worker's NODE_OPTIONS: V8 flags), BENCH_CPU_PROF (bench/lib.ts).
import { chmodSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { CalloutStatus } from '../src/domain/status.js';
import { samplePortfolio } from '../src/fixed-locations/sample.js';
import { freePort, PROJECT_ROOT } from '../src/temporal/dev-server.js';
import {
  benchServers,
  cpuMsOf,
  num,
  pct,
  pool,
  say,
  sleep,
  startBenchRun,
  until,
  verdict,
  type BenchServer,
} from './lib.js';

const SERVERS = benchServers('dev,postgres');
const N = num('BENCH_CALLOUTS', 2000);
const CAP = num('BENCH_CAP_RPS', 50);
const FAST_MS = num('BENCH_POLL_FAST_MS', 10_000);
const SLOW_MS = num('BENCH_POLL_SLOW_MS', 60_000);
const WINDOW_MS = num('BENCH_WINDOW_S', 90) * 1000;
const OPEN_CONCURRENCY = num('BENCH_OPEN_CONCURRENCY', 50);
// Status changes (and so webhooks) per second: a steady stream, as AURA's would be, rather than one burst.
const TRANSITIONS_PER_S = num('BENCH_TRANSITIONS_PER_S', 50);
const ALARMS = num('BENCH_ALARMS', 500);
const ALARM_RATE = num('BENCH_ALARM_RATE', 50);
const TOKEN = 'bench-webhook-token';
const EVENTS = [
  'NEW_CALLOUT',
  'RESPONDER_MANUALLY_DISPATCHED',
  'RESPONDER_ACKNOWLEDGED_CALLOUT',
  'RESPONDER_ARRIVED_ON_SCENE',
  'RESPONDER_COMPLETED',
  'CALLOUT_NO_LONGER_REQUIRES_RESPONSE',
  'CALLOUT_CLOSED',
];

/** Run fn for each item, starting at most `perSecond` of them each second (open loop). */
async function paced<T>(items: T[], perSecond: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  const started = Date.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < items.length; i++) {
    const due = started + (i * 1000) / perSecond;
    if (due > Date.now()) await sleep(due - Date.now());
    running.push(fn(items[i]!, i));
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

async function call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  call('POST', base + path, body, headers);

interface Figures {
  server: BenchServer;
  openS: number;
  openMean: number;
  openBusiest: number;
  acceptedS: number;
  wholeMean: number;
  wholeBusiest: number;
  busiestMix: string;
  flowing: { mean: number; trusted: number; trustedPerMin: number; allPerMin: number };
  silent: { mean: number; perMin: number; unpolled: number; minPerCallout: number; maxPerCallout: number };
  alarms: { n: number; accepted: number; p50: number; p99: number; max: number; ackP99: number };
  rss: { peak: number; afterOpen: number; end: number };
  /** Share of one core each part used (1.00 = a whole core), while opening and over the whole run. */
  cpu: { opening: CpuShare; whole: CpuShare };
  /** Where the time of the slowest creates went: their incident workflows' first events, ms after the start. */
  slowest: string[];
}

interface Cpu {
  engine: number;
  worker: number;
  api: number;
  /** This process: the simulator (AURA) and the load driver. */
  bench: number;
  at: number;
}
type CpuShare = Record<'engine' | 'worker' | 'api' | 'bench' | 'all', number>;
const MACHINE_CORES = availableParallelism();

function cpuShare(a: Cpu, b: Cpu): CpuShare {
  const wall = (b.at - a.at) / 1000;
  const share = (k: 'engine' | 'worker' | 'api' | 'bench') => (b[k] - a[k]) / wall;
  const parts = { engine: share('engine'), worker: share('worker'), api: share('api'), bench: share('bench') };
  return { ...parts, all: parts.engine + parts.worker + parts.api + parts.bench };
}

/** The first events of a workflow's history, as `TYPE+ms` after its first event. */
async function stepsOf(client: Client, workflowId: string, sentAt: number): Promise<string> {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  const ms = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const t0 = ms(h.events![0]!);
  const steps = h.events!.slice(0, 12).map((e) => `${String(e.eventType).replace('EVENT_TYPE_', '')}+${ms(e) - t0}`);
  return `${workflowId} (sent → start ${t0 - sentAt} ms): ${steps.join(' ')}`;
}

async function runOn(server: BenchServer): Promise<Figures> {
  const run = await startBenchRun(`aura-callouts-bench-${server}-`, { server });
  const { temporal, sim } = run;
  let ok = false;
  try {
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    // The adapter's database: a database on temporal-server's cluster on the PostgreSQL run; the embedded default
    // in this run's folder on the dev server run (it runs as the `postgres` user when we are root: the folder must be
    // reachable).
    chmodSync(run.dir, 0o755);
    let database: Record<string, string> = { DATA_DIR: join(run.dir, 'data') };
    if (temporal.postgres) {
      temporal.postgres.query('postgres', 'CREATE DATABASE aura_callouts');
      database = { ...database, DATABASE_URL: temporal.postgres.url.replace(/\/postgres$/, '/aura_callouts') };
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: 'bench-callouts',
      AURA_BASE_URL: sim.panicApiUrl,
      AURA_CLIENT_ID: 'dev-client',
      AURA_CLIENT_SECRET: 'dev-secret',
      AURA_MAX_REQUESTS_PER_SECOND: String(CAP),
      POLL_INTERVAL_MS: String(FAST_MS),
      POLL_INTERVAL_SLOW_MS: String(SLOW_MS),
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      WORKER_METRICS_PORT: '0',
      // Two workflows per callout (the incident and its lifecycle) stay cached. The SDK's default cache is sized from
      // the heap (2,310 on this machine's 4 GiB): below 2 × N, evicted runs replay their whole history at each task,
      // and a new workflow's first task waited 160–250 s behind them (measured, 2026-12-02).
      WORKER_MAX_CACHED_WORKFLOWS: process.env.WORKER_MAX_CACHED_WORKFLOWS ?? String(2 * N + 500),
      WEBHOOK_TOKEN: TOKEN,
      PLATFORM_LOCATIONS_FILE: '',
      ...database,
    };
    const workerNodeOptions = process.env.BENCH_WORKER_NODE_OPTIONS;
    const worker = run.startChild(
      'worker',
      [join(PROJECT_ROOT, 'src/worker/main.ts')],
      workerNodeOptions ? { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} ${workerNodeOptions}`.trim() } : env,
    );
    const api = run.startChild('api', [join(PROJECT_ROOT, 'src/api/main.ts')], env);
    // CPU seconds each part has used: what binds on a shared machine is read here, not guessed.
    const cpu = (): Cpu => ({
      engine: temporal.pids().reduce((a, pid) => a + cpuMsOf(pid), 0) / 1000,
      worker: cpuMsOf(worker.pid) / 1000,
      api: cpuMsOf(api.pid) / 1000,
      bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      at: Date.now(),
    });
    // An API replica is ready without a worker; wait until its readiness sees the worker polling.
    await until(
      'the API to be ready (worker polling)',
      async () => {
        const r = await fetch(`${apiUrl}/readyz`).catch(() => null);
        return r?.status === 200 && ((await r.json()) as { checks?: Record<string, string> }).checks?.worker === 'ok';
      },
      180_000,
    );
    say(
      `[${server}] stack up: Temporal ${temporal.address}, API ${apiUrl}, worker RSS ${rssMb(worker.pid).toFixed(0)} MB`,
    );
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(worker.pid))), 1000);

    const auth = { authorization: 'Bearer dev-token' };
    const reg = await post(
      sim.panicApiUrl,
      '/v2/notifiers/webhooks',
      { url: `${apiUrl}/webhooks/aura`, events: EVENTS, headers: { authorization: `Bearer ${TOKEN}` } },
      auth,
    );
    if (reg.status !== 200) throw new Error(`webhook registration failed: ${reg.status}`);

    const customers: number[] = [];
    await pool(
      Array.from({ length: N }, (_, i) => i),
      50,
      async (i) => {
        const r = await post(
          sim.panicApiUrl,
          '/v2/customers',
          {
            customer: { name: 'Bench', surname: `Customer ${i}`, mobile: `+2783${String(i).padStart(7, '0')}` },
            subscription: { subscriptionTypeId: 12 },
          },
          auth,
        );
        if (r.status !== 201) throw new Error(`customer create failed: ${r.status}`);
        customers.push(r.body.customer.id);
      },
    );

    // --- 1. platform locations for the alarms, reconciled before the callouts open ------------------------------
    const sites = samplePortfolio(ALARMS, 5, 'ALM');
    await pool(sites, 25, async ({ platformLocationId, updatedAt: _u, ...site }) => {
      const r = await call('PUT', `${apiUrl}/v1/platform-locations/${platformLocationId}`, site);
      if (r.status !== 200 && r.status !== 201) throw new Error(`PUT platform location: ${r.status}`);
    });
    const sync = await post(apiUrl, '/v1/fixed-locations/sync', {});
    if (sync.status !== 202) throw new Error(`sync: ${sync.status} ${JSON.stringify(sync.body)}`);
    await until(
      'the Fixed Location reconciliation',
      async () => (await call('GET', `${apiUrl}/v1/fixed-locations/sync/latest`)).status === 200,
      10 * 60_000,
      500,
    );
    say(`[${server}] ${ALARMS} platform locations reconciled to AURA Fixed Locations`);

    // --- 2. open N callouts ---------------------------------------------------------------------------------------
    sim.state.requests = [];
    const cpuAtOpen = cpu();
    const openStart = Date.now();
    const openSentAt = new Map<number, number>();
    await pool(customers, OPEN_CONCURRENCY, async (customerId) => {
      openSentAt.set(customerId, Date.now());
      const r = await post(apiUrl, '/v1/callouts', {
        incidentId: `bench-${customerId}`,
        customerId,
        location: { latitude: -33.92, longitude: 18.42 },
      });
      if (r.status !== 202) throw new Error(`POST /v1/callouts answered ${r.status}: ${JSON.stringify(r.body)}`);
    });
    const accepted = Date.now();
    await until(`${N} AURA callouts`, () => sim.state.callouts.size >= N, 30 * 60_000, 100);
    const opened = Date.now();
    const cpuOpened = cpu();
    const rssAfterOpen = rssMb(worker.pid);
    say(
      `[${server}] ${N} incidents accepted in ${((accepted - openStart) / 1000).toFixed(1)} s; all AURA callouts created ${((opened - openStart) / 1000).toFixed(1)} s after the first request`,
    );
    // Only the bench's customers' callouts (not the Fixed Location ones of step 5, made later).
    const ids = [...sim.state.callouts.keys()];

    // --- 3. webhooks flowing ----------------------------------------------------------------------------------
    const attempts = (event: string) =>
      sim.state.deliveries.filter((d) => d.event === event && d.outcome !== 'not_registered');
    const setStatus = (status: string) => async (id: number) =>
      void (await post(sim.url, `/__sim/callouts/${id}/status`, { status, webhook: true }));
    await paced(ids, TRANSITIONS_PER_S, setStatus(CalloutStatus.ResponderDispatched));
    await until(
      'dispatch webhooks attempted',
      () => attempts('RESPONDER_MANUALLY_DISPATCHED').length >= N,
      10 * 60_000,
    );
    // Callouts whose dispatch webhook was accepted trust webhooks from here on (the others learnt it by polling).
    const trusted = new Set(
      attempts('RESPONDER_MANUALLY_DISPATCHED')
        .filter((d) => d.outcome === 'delivered')
        .map((d) => d.calloutId),
    );
    say(`[${server}] all dispatched at ${TRANSITIONS_PER_S}/s; ${trusted.size} dispatch webhooks accepted; settling`);
    await sleep(Math.min(SLOW_MS, 30_000));
    const flowing = [Date.now(), 0] as [number, number];
    await sleep(WINDOW_MS);
    flowing[1] = Date.now();

    // --- 4. webhooks silent -----------------------------------------------------------------------------------
    sim.state.faults = { ...sim.state.faults, webhookDropRate: 1 };
    await paced(ids, TRANSITIONS_PER_S, setStatus(CalloutStatus.ResponderArrived));
    say(`[${server}] every callout arrived on scene with its webhook dropped; waiting for polls to find it`);
    // Every lifecycle polls within one slow interval and then switches to the fast one.
    await sleep(SLOW_MS + FAST_MS);
    const silent = [Date.now(), 0] as [number, number];
    await sleep(WINDOW_MS);
    silent[1] = Date.now();

    // --- 5. alarms while the callouts poll at the cap --------------------------------------------------------
    const sentAt = new Map<string, number>();
    const acks: number[] = [];
    await paced(sites.slice(0, ALARMS), ALARM_RATE, async (site, i) => {
      const t0 = Date.now();
      sentAt.set(site.platformLocationId, t0);
      const r = await post(apiUrl, '/v1/alarms', {
        alarmId: `bench-${i}`,
        platformLocationId: site.platformLocationId,
        alarmType: 'BURGLARY',
        zone: String(i % 8),
        test: true,
      });
      if (r.status !== 202) throw new Error(`alarm ${i}: ${r.status} ${JSON.stringify(r.body)}`);
      acks.push(Date.now() - t0);
    });
    const creates = () => sim.state.requests.filter((q) => q.method === 'POST' && q.path.includes('/externalRef/'));
    await until('every alarm created in AURA', () => creates().length >= ALARMS, 5 * 60_000, 200).catch((e: Error) =>
      say(`[${server}] ${e.message} (${creates().length} of ${ALARMS})`),
    );
    const firstCreate = new Map<string, number>();
    for (const q of creates()) {
      const ref = decodeURIComponent(q.path.split('/externalRef/')[1]!.split('/')[0]!);
      if (!firstCreate.has(ref)) firstCreate.set(ref, Date.parse(q.at));
    }
    const alarmMs = [...firstCreate].filter(([ref]) => sentAt.has(ref)).map(([ref, at]) => at - sentAt.get(ref)!);
    clearInterval(sampler);
    const cpuEnd = cpu();
    const rssEnd = rssMb(worker.pid);

    // Where the slowest creates spent their time, from their histories.
    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });
    const slowest: string[] = [];
    try {
      const slowAlarms = [...firstCreate]
        .filter(([ref]) => sentAt.has(ref))
        .sort((a, b) => b[1] - sentAt.get(b[0])! - (a[1] - sentAt.get(a[0])!))
        .slice(0, 3);
      for (const [ref] of slowAlarms) {
        const i = sites.findIndex((x) => x.platformLocationId === ref);
        slowest.push(
          await stepsOf(client, `incident-alarm-bench-${i}`, sentAt.get(ref)!).catch((e: Error) => e.message),
        );
      }
      const createdAt = new Map<number, number>();
      for (const c of sim.state.callouts.values())
        if (c.customerId !== null) createdAt.set(c.customerId, Date.parse(c.createdAt));
      const slowOpens = [...openSentAt]
        .filter(([c]) => createdAt.has(c))
        .sort((a, b) => createdAt.get(b[0])! - b[1] - (createdAt.get(a[0])! - a[1]))
        .slice(0, 2);
      for (const [c, at] of slowOpens)
        slowest.push(await stepsOf(client, `incident-bench-${c}`, at).catch((e: Error) => e.message));
    } finally {
      await connection.close();
    }

    // --- figures ------------------------------------------------------------------------------------------------
    const service = sim.state.requests
      .map((r) => ({ ms: Date.parse(r.at), method: r.method, path: r.path }))
      // Requests the benchmark itself made (customers, webhook registration) are not the service's.
      .filter((r) => !r.path.endsWith('/v2/customers') && !r.path.includes('/notifiers/'));
    const isPoll = (r: { method: string; path: string }) =>
      (r.method === 'GET' && /\/v2\/callouts\/\d+$/.test(r.path)) || r.path.endsWith('/locationAndReturnCallout');
    const calloutOf = (path: string) => Number(/\/callouts\/(\d+)/.exec(path)?.[1]);
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
    const pollsIn = ([from, to]: [number, number]) => service.filter((r) => r.ms >= from && r.ms < to && isPoll(r));
    const minutes = (w: [number, number]) => (w[1] - w[0]) / 60_000;
    const flowPolls = pollsIn(flowing);
    const trustedPolls = flowPolls.filter((r) => trusted.has(calloutOf(r.path))).length;
    const silentPolls = pollsIn(silent);
    const perCallout = new Map<number, number>(ids.map((id) => [id, 0]));
    for (const r of silentPolls) {
      const id = calloutOf(r.path);
      if (perCallout.has(id)) perCallout.set(id, perCallout.get(id)! + 1);
    }
    const counts = [...perCallout.values()];
    const whole = perSecond(openStart, silent[1]);
    const creating = perSecond(openStart, opened + 1000);
    ok = true;
    return {
      server,
      openS: (opened - openStart) / 1000,
      openMean: creating.mean,
      openBusiest: creating.max,
      acceptedS: (accepted - openStart) / 1000,
      wholeMean: whole.mean,
      wholeBusiest: whole.max,
      busiestMix: whole.mix,
      flowing: {
        mean: perSecond(...flowing).mean,
        trusted: trusted.size,
        trustedPerMin: trusted.size ? trustedPolls / trusted.size / minutes(flowing) : 0,
        allPerMin: flowPolls.length / N / minutes(flowing),
      },
      silent: {
        mean: perSecond(...silent).mean,
        perMin: silentPolls.length / N / minutes(silent),
        unpolled: counts.filter((c) => c === 0).length,
        minPerCallout: Math.min(...counts),
        maxPerCallout: Math.max(...counts),
      },
      alarms: {
        n: alarmMs.length,
        accepted: acks.length,
        p50: pct(alarmMs, 50),
        p99: pct(alarmMs, 99),
        max: Math.max(...alarmMs),
        ackP99: pct(acks, 99),
      },
      rss: { peak: peakRss, afterOpen: rssAfterOpen, end: rssEnd },
      cpu: { opening: cpuShare(cpuAtOpen, cpuOpened), whole: cpuShare(cpuAtOpen, cpuEnd) },
      slowest,
    };
  } finally {
    await run.shutdown(ok);
  }
}

const results: Figures[] = [];
for (const server of SERVERS) results.push(await runOn(server));

const perMin = (ms: number) => 60_000 / ms;
const capPerMin = (CAP * 60) / N;
const col = (xs: string[]) => xs.map((x) => x.padEnd(22)).join('');
const row = (label: string, goal: string, cells: string[]) =>
  console.log(`  ${label.padEnd(44)}${goal.padEnd(20)}${col(cells)}`);
const each = (f: (r: Figures) => string) => results.map(f);

console.log(
  `\nCallouts benchmark: ${N} active callouts, Panic API cap ${CAP} req/s (a task-queue activity rate limit)`,
);
console.log(
  `  poll intervals: fast ${FAST_MS / 1000} s (webhooks silent), slow ${SLOW_MS / 1000} s (webhooks flowing)`,
);
row(
  'figure',
  'goal',
  each((r) => r.server),
);
const openGoal = (1.25 * N) / CAP;
row(
  `open ${N} callouts (s)`,
  `≤ ${openGoal.toFixed(1)} (1.25×N/cap)`,
  each((r) => `${r.openS.toFixed(1)} ${verdict(r.openS <= openGoal)}`),
);
row(
  '  open / (N/cap)',
  '≤ 1.25',
  each((r) => (r.openS / (N / CAP)).toFixed(2)),
);
row(
  '  accepted by the API (s)',
  '',
  each((r) => r.acceptedS.toFixed(1)),
);
row(
  '  Panic API req/s while opening',
  `≤ ${CAP}`,
  each((r) => `${r.openMean.toFixed(1)} (max ${r.openBusiest})`),
);
row(
  'Panic API busiest second, whole run',
  `≤ ${CAP}`,
  each((r) => `${r.wholeBusiest} ${r.wholeBusiest <= CAP ? 'held' : 'EXCEEDED'}`),
);
const within = (v: number, target: number) => Math.abs(v - target) / target <= 0.1;
row(
  'webhooks flowing: polls/callout/min',
  `${perMin(SLOW_MS).toFixed(2)} ±10%`,
  each((r) => `${r.flowing.trustedPerMin.toFixed(2)} ${verdict(within(r.flowing.trustedPerMin, perMin(SLOW_MS)))}`),
);
row(
  '  (callouts trusting webhooks; all)',
  '',
  each((r) => `${r.flowing.trusted}; ${r.flowing.allPerMin.toFixed(2)}`),
);
const silentTarget = Math.min(perMin(FAST_MS), capPerMin);
row(
  'webhooks silent: polls/callout/min',
  `${perMin(FAST_MS).toFixed(2)} ±10%`,
  each((r) => `${r.silent.perMin.toFixed(2)} ${verdict(within(r.silent.perMin, perMin(FAST_MS)))}`),
);
row(
  '  against what the cap allows',
  `${silentTarget.toFixed(2)} ±10%`,
  each((r) => `${r.silent.perMin.toFixed(2)} ${verdict(within(r.silent.perMin, silentTarget))}`),
);
row(
  '  Panic API req/s (silent window)',
  `≤ ${CAP}`,
  each((r) => r.silent.mean.toFixed(1)),
);
row(
  '  polls per callout in window, min–max',
  '',
  each((r) => `${r.silent.minPerCallout}–${r.silent.maxPerCallout} (${r.silent.unpolled} none)`),
);
row(
  `alarm → AURA create p99 (ms), ${ALARM_RATE}/s`,
  '≤ 1000',
  each((r) => `${r.alarms.p99.toFixed(0)} ${verdict(r.alarms.p99 <= 1000)}`),
);
row(
  '  p50 / max (ms)',
  '',
  each((r) => `${r.alarms.p50.toFixed(0)} / ${r.alarms.max.toFixed(0)}`),
);
row(
  '  created / sent; 202 p99 (ms)',
  `${ALARMS}`,
  each((r) => `${r.alarms.n}/${r.alarms.accepted}; ${r.alarms.ackP99.toFixed(0)}`),
);
row(
  'worker RSS peak (MB)',
  '≤ 1024',
  each((r) => `${r.rss.peak.toFixed(0)} ${verdict(r.rss.peak <= 1024)}`),
);
row(
  '  after opening / at the end (MB)',
  '',
  each((r) => `${r.rss.afterOpen.toFixed(0)} / ${r.rss.end.toFixed(0)}`),
);
const shares = (c: CpuShare) =>
  `${c.all.toFixed(2)}/${MACHINE_CORES}: engine ${c.engine.toFixed(2)}, worker ${c.worker.toFixed(2)}, API ${c.api.toFixed(2)}, AURA sim ${c.bench.toFixed(2)}`;
for (const r of results) {
  console.log(`  [${r.server}] cores busy while opening: ${shares(r.cpu.opening)}`);
  console.log(`  [${r.server}] cores busy over the run:  ${shares(r.cpu.whole)}`);
}
if (perMin(FAST_MS) > capPerMin * 1.1)
  console.log(
    `  binds with webhooks silent: the Panic API cap. ${N} callouts at ${perMin(FAST_MS).toFixed(2)} polls/min need ${((N * perMin(FAST_MS)) / 60).toFixed(0)} req/s; the cap is ${CAP}, ${((N * perMin(FAST_MS)) / 60 / CAP).toFixed(1)}× short, so polls are spread to ${capPerMin.toFixed(2)}/callout/min.`,
  );
for (const r of results) {
  console.log(`  [${r.server}] busiest second: ${r.busiestMix}`);
  for (const line of r.slowest) console.log(`  [${r.server}] slow: ${line}`);
}
