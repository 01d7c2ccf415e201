// Benchmark: webhook intake capacity, the receiver against the engine. Realistic AURA callout webhooks spread over
// 1,000 active callouts, at rising fixed rates, each rate in three stages on the same server in the same run:
//   floor     the same deliveries to a bare Express route that answers 200 (bench/floor-server.ts);
//   engine    the same deliveries turned into the same signalWithStart calls the receiver makes (same workflow ids,
//             signal `calloutObserved`, arguments, task queue, id reuse policy) from a bare @temporalio/client: what
//             the Temporal server itself takes, with the worker running;
//   receiver  the deliveries to POST /webhooks/aura of the service, whose 2xx means the signal is in Temporal.
// All three are driven by one scheduler in one child process (bench/intake-driver.ts): request k sent k/rate s into
// the stage, at most BENCH_CONNECTIONS in flight, each timed from its send to its answer; acknowledged/s is counted
// in the steady part of the stage (after a warm-up of a quarter of it, at most 1 s). The engine's and the receiver's
// stages are cut into slices run in turn (engine, receiver, receiver, engine), the task queue drained by the worker
// between slices, so that a change in the machine's other load falls on both alike. Rates rise until the engine
// saturates (acknowledges less than 90 % of the rate).
//
// Prints, per server, each stage's acknowledged/s, p50 and p99, the receiver/engine ratios beside their goals, the
// CPU time each process spent per acknowledgement (the driver, the service, the Temporal server and its database),
// and whether every acknowledgement reached its workflow: the callouts are split in two halves, one for the
// receiver's deliveries and one for the engine's, and each half's acknowledgements are counted against the
// `calloutObserved` signals in its lifecycle histories (every run of each workflow id).
//
// The whole run once per server (BENCH_SERVERS, default `dev,postgres`): the Temporal dev server (SQLite in WAL), and
// temporal-server on a throwaway PostgreSQL cluster (src/temporal/postgres-server.ts, the production topology's
// server, with the adapter's database on the same cluster); then both side by side.
//
// The real processes: the Temporal server; the service (API and worker, `src/main.ts` with SERVICE_ROLE=all,
// LOG_LEVEL=info to a file) in a child process, so the worker runs through every stage; the floor server and the
// driver in two more; the simulator (holding the callouts the lifecycles poll, autopilot off) in this one.
//
// Goals (the speed issue): receiver ≥ 0.85 × the engine's throughput (the most each acknowledged per second over the
// rates), receiver p99 ≤ 2 × the engine's p99 at every rate, 0 lost. Printed beside each figure; nothing is asserted
// about speed (the exit code says only whether every acknowledgement reached its workflow).
//
// Knobs (environment): BENCH_SERVERS (dev,postgres), BENCH_CALLOUTS (1000), BENCH_RATES (comma-separated req/s;
// default 50, 100, then +100 until the engine saturates or BENCH_MAX_RATE, 1000), BENCH_STAGE_S (10 s per stage),
// BENCH_SLICES (2 slices of each of the engine's and the receiver's stages), BENCH_CONNECTIONS (64 in flight),
// BENCH_WORKER (1; 0 runs the API alone, so the lifecycles do not run), BENCH_TOPOLOGY (`all`, one process as
// `npm start` runs it; `split`: the API and the worker in two processes, as the production topology runs them),
// BENCH_ENGINE_CLIENT (`native`, the SDK's NativeConnection, the Rust core's client; `grpc-js`, the pure-JS
// Connection), BENCH_STAGES (floor,engine,receiver: which stages run), BENCH_CPU_PROF=service (bench/lib.ts: the
// service runs with `node --cpu-prof` and writes its profiles to BENCH_CPU_PROF_DIR when it stops).
import { type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { AuraClient } from '../src/aura/client.js';
import { lifecycleWorkflowId } from '../src/domain/incident.js';
import { freePort, PROJECT_ROOT } from '../src/temporal/dev-server.js';
import type { SliceResult, StageRequest } from './intake-driver.js';
import {
  benchServers,
  cpuMsOf,
  num,
  pool,
  say,
  sleep,
  startBenchRun,
  until,
  verdict,
  withGoal,
  type BenchServer,
} from './lib.js';

const SERVERS = benchServers('dev,postgres');
const N = num('BENCH_CALLOUTS', 1000);
const FIXED_RATES = process.env.BENCH_RATES
  ? process.env.BENCH_RATES.split(',')
      .map(Number)
      .filter((n) => n > 0)
  : null;
const MAX_RATE = num('BENCH_MAX_RATE', 1000);
const STAGE_S = num('BENCH_STAGE_S', 10);
const SLICES = Math.max(1, num('BENCH_SLICES', 2));
const CONNECTIONS = num('BENCH_CONNECTIONS', 64);
const WITH_WORKER = num('BENCH_WORKER', 1) !== 0;
const SPLIT = process.env.BENCH_TOPOLOGY === 'split';
const ENGINE_CLIENT: 'native' | 'grpc-js' = process.env.BENCH_ENGINE_CLIENT === 'grpc-js' ? 'grpc-js' : 'native';
const STAGES = new Set((process.env.BENCH_STAGES ?? 'floor,engine,receiver').split(',').map((s) => s.trim()));
// The ratios need both the engine's and the receiver's stages; with one of them left out they are not printed.
const COMPARED = STAGES.has('engine') && STAGES.has('receiver');
const judged = (v: number, met: boolean) => (COMPARED ? `${f2(v)} ${verdict(met)}` : 'n/a (a stage not run)');
const TOKEN = 'bench-intake-webhook-token';
/** The engine is saturated at a rate when it acknowledges less than this share of it. */
const SATURATED = 0.9;
const GOAL_THROUGHPUT = 0.85;
const GOAL_P99 = 2;
// Callout events that keep a lifecycle open (CALLOUT_CLOSED would finish it, and later deliveries would rightly be
// acknowledged without reaching a workflow): the mix a busy control room produces.
const EVENTS = [
  'NEW_CALLOUT',
  'RESPONDER_MANUALLY_DISPATCHED',
  'RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA',
  'RESPONDER_ARRIVED_ON_SCENE',
];
const SERVER_NAMES: Record<BenchServer, string> = {
  dev: 'Temporal dev server (SQLite, WAL)',
  postgres: 'temporal-server on PostgreSQL',
};

/** A stage's figures, merged from its slices. */
interface StageResult {
  rate: number;
  /** Acknowledged per second, in the steady part of each slice (after its warm-up). */
  throughput: number;
  p50: number;
  p99: number;
  ok: number;
  sent: number;
  notSent: number;
  non2xx: number;
  errors: number;
  firstError?: string;
  /** CPU time per acknowledgement, ms, of the driver, the service (API and worker) and the Temporal server's processes. */
  cpu: CpuShare;
}

interface CpuShare {
  driver: number;
  service: number;
  server: number;
}

/** A slice and the CPU time its processes spent on it (until the worker had drained what it left). */
type MeasuredSlice = SliceResult & { cpuMs: CpuShare };

function merge(rate: number, slices: MeasuredSlice[]): StageResult {
  const latencies = slices.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! : 0;
  const sum = (f: (s: MeasuredSlice) => number) => slices.reduce((a, s) => a + f(s), 0);
  const windowS = sum((s) => s.windowS);
  const firstError = slices.find((s) => s.firstError)?.firstError;
  return {
    rate,
    throughput: windowS > 0 ? sum((s) => s.windowAcks) / windowS : 0,
    p50: pct(50),
    p99: pct(99),
    ok: sum((s) => s.ok),
    sent: sum((s) => s.sent),
    notSent: sum((s) => s.notSent),
    non2xx: sum((s) => s.non2xx),
    errors: sum((s) => s.errors),
    ...(firstError ? { firstError } : {}),
    cpu: {
      driver:
        sum((s) => s.cpuMs.driver) /
        Math.max(
          1,
          sum((s) => s.ok),
        ),
      service:
        sum((s) => s.cpuMs.service) /
        Math.max(
          1,
          sum((s) => s.ok),
        ),
      server:
        sum((s) => s.cpuMs.server) /
        Math.max(
          1,
          sum((s) => s.ok),
        ),
    },
  };
}

interface RateRow {
  rate: number;
  floor: StageResult;
  engine: StageResult;
  receiver: StageResult;
}

interface ServerReport {
  server: BenchServer;
  rows: RateRow[];
  meanBytes: number;
  /** The most each acknowledged per second over the rates. */
  engineCapacity: number;
  receiverCapacity: number;
  floorCapacity: number;
  throughputRatio: number;
  /** The worst receiver p99 / engine p99 over the rates, and where. */
  worstP99Ratio: number;
  worstP99Rate: number;
  receiverLost: number;
  engineLost: number;
  missingWorkflows: number;
  counts: string;
}

/** The driver child: one stage at a time over IPC. */
function driverOf(child: ChildProcess) {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: SliceResult) => void; reject: (e: Error) => void }>();
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: any) => {
      if (m.type === 'ready') return resolve();
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.type === 'result') w.resolve(m as SliceResult);
      else w.reject(new Error(`driver: ${m.error}`));
    });
    child.once('exit', (code, signal) => {
      const err = new Error(`the driver exited (${code ?? signal})`);
      reject(err);
      for (const w of waiting.values()) w.reject(err);
    });
  });
  return {
    ready,
    slice(req: Omit<StageRequest, 'id'>): Promise<SliceResult> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ type: 'stage', id, ...req });
      });
    },
  };
}

const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const ratio = (a: number, b: number) => a / Math.max(b, 0.01);

async function runOnServer(server: BenchServer): Promise<ServerReport> {
  say(`==== ${SERVER_NAMES[server]} ====`);
  const run = await startBenchRun(`aura-intake-bench-${server}-`, { server });
  const { temporal, sim } = run;
  let ok = false;
  let service: ChildProcess | null = null;
  try {
    // ---- active callouts in the simulator -------------------------------------------------------------------------
    const aura = new AuraClient({ baseUrl: sim.panicApiUrl, staticToken: 'dev-token' });
    const calloutIds: number[] = [];
    say(`creating ${N} customers with active callouts in the simulator`);
    await pool(
      Array.from({ length: N }, (_, k) => k),
      32,
      async (k) => {
        const res = await fetch(`${sim.panicApiUrl}/v2/customers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer dev-token' },
          body: JSON.stringify({
            customer: { name: 'Bench', surname: `Customer${k}`, mobile: `+2783${String(k).padStart(7, '0')}` },
            subscription: { subscriptionTypeId: 12 },
          }),
        });
        if (res.status !== 201) throw new Error(`simulator customer: ${res.status}`);
        const customerId = ((await res.json()) as any).customer.id as number;
        const { callout } = await aura.createCustomerCallout({
          customerId,
          responseTypeId: 1,
          location: { latitude: -26.1 + k / 1e4, longitude: 28.05 },
        });
        calloutIds.push(callout.id);
      },
    );
    // Half the callouts take the receiver's deliveries, the other half the engine's: each half's signals are counted
    // against its own acknowledgements.
    const receiverIds = calloutIds.filter((_, k) => k % 2 === 0);
    const engineIds = calloutIds.filter((_, k) => k % 2 === 1);

    // ---- realistic bodies: the documented payloads, each re-addressed to one of the callouts ----------------------
    const fixtures = join(PROJECT_ROOT, 'test', 'fixtures', 'webhook-payloads');
    const templates = EVENTS.map((e) => JSON.parse(readFileSync(join(fixtures, `${e}.json`), 'utf8')));
    const bodiesFor = (ids: number[]) => {
      const bodies: string[] = [];
      for (const id of ids) {
        for (const t of templates) {
          const p = structuredClone(t);
          p.callout.id = id;
          if (Array.isArray(p.callout.incidentInformation))
            for (const inf of p.callout.incidentInformation) if (inf && 'calloutId' in inf) inf.calloutId = id;
          bodies.push(JSON.stringify(p));
        }
      }
      // Shuffled, so consecutive deliveries go to different callouts.
      for (let k = bodies.length - 1; k > 0; k--) {
        const j = Math.floor(Math.random() * (k + 1));
        [bodies[k], bodies[j]] = [bodies[j]!, bodies[k]!];
      }
      return bodies;
    };
    const receiverBodies = bodiesFor(receiverIds);
    const engineBodies = bodiesFor(engineIds);
    const receiverFile = join(run.dir, 'bodies-receiver.json');
    const engineFile = join(run.dir, 'bodies-engine.json');
    writeFileSync(receiverFile, JSON.stringify(receiverBodies));
    writeFileSync(engineFile, JSON.stringify(engineBodies));
    const all = [...receiverBodies, ...engineBodies];
    const meanBytes = Math.round(all.reduce((a, b) => a + b.length, 0) / all.length);
    say(
      `${all.length} distinct deliveries (${EVENTS.length} events × ${calloutIds.length} callouts, half for the receiver, half for the engine), mean ${meanBytes} bytes`,
    );

    // ---- the service, the floor and the driver --------------------------------------------------------------------
    const apiPort = await freePort();
    const taskQueue = `bench-intake-${Date.now()}`;
    // The adapter's database: on the PostgreSQL run, a database on the same cluster (the production topology);
    // on the dev server run, the embedded default, in this run's folder.
    // (The embedded server runs as the `postgres` user when we are root: it must reach the run's folder.)
    chmodSync(run.dir, 0o755);
    let database: Record<string, string> = { DATA_DIR: join(run.dir, 'data') };
    if (temporal.postgres) {
      temporal.postgres.query('postgres', 'CREATE DATABASE aura_callouts');
      database = {
        DATABASE_URL: temporal.postgres.url.replace(/\/postgres$/, '/aura_callouts'),
        DATA_DIR: join(run.dir, 'data'),
      };
    }
    const serviceEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      SERVICE_ROLE: WITH_WORKER ? 'all' : 'api',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      AURA_BASE_URL: sim.panicApiUrl,
      AURA_CLIENT_ID: 'dev-client',
      AURA_CLIENT_SECRET: 'dev-secret',
      // Webhooks flow, so lifecycles poll at the slow interval; the benchmark measures intake, not polling.
      POLL_INTERVAL_MS: '30000',
      POLL_INTERVAL_SLOW_MS: '120000',
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      WORKER_METRICS_PORT: '0',
      WEBHOOK_TOKEN: TOKEN,
      SHUTDOWN_READINESS_DELAY_MS: '0',
      ...database,
    };
    const worker =
      SPLIT && WITH_WORKER
        ? run.startChild('worker', [join(PROJECT_ROOT, 'src', 'main.ts')], {
            ...serviceEnv,
            SERVICE_ROLE: 'worker',
            API_PORT: String(await freePort()),
          })
        : null;
    service = run.startChild('service', [join(PROJECT_ROOT, 'src', 'main.ts')], {
      ...serviceEnv,
      ...(SPLIT ? { SERVICE_ROLE: 'api' } : {}),
    });
    const serviceProcesses = () => [service!.pid, worker?.pid].filter((p): p is number => Boolean(p));
    const floorPort = await freePort();
    run.startChild('floor', [join(PROJECT_ROOT, 'bench', 'floor-server.ts')], {
      ...process.env,
      FLOOR_PORT: String(floorPort),
    });
    const driverChild = run.startChild(
      'driver',
      [join(PROJECT_ROOT, 'bench', 'intake-driver.ts')],
      { ...process.env },
      { ipc: true },
    );
    const driver = driverOf(driverChild);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    const svc = service;
    await Promise.race([
      until(
        'the service to be ready',
        async () => (await fetch(`${apiUrl}/${WITH_WORKER ? 'readyz' : 'healthz'}`)).status === 200,
        120_000,
      ),
      new Promise((_, reject) =>
        svc.once('exit', (code) =>
          reject(new Error(`the service exited (${code}): see ${join(run.dir, 'service.log')}`)),
        ),
      ),
    ]);
    await until('the floor server', async () => (await fetch(`${floorUrl}/healthz`)).status === 200, 30_000);
    await driver.ready;
    say(
      `service ${apiUrl} (${WITH_WORKER ? 'API + worker' : 'API alone'}, task queue ${taskQueue}); floor ${floorUrl}`,
    );

    const connection = await Connection.connect({ address: temporal.address });
    const client = new Client({ connection, namespace: temporal.namespace });
    // Between stages: until the worker has taken every workflow and activity task the last stage left, so no stage
    // pays for the one before it.
    const settle = async () => {
      const backlog = async (taskQueueType: number) =>
        Number(
          (
            await client.workflowService.describeTaskQueue({
              namespace: temporal.namespace,
              taskQueue: { name: taskQueue, kind: 1 },
              taskQueueType,
              reportStats: true,
            })
          ).stats?.approximateBacklogCount ?? 0,
        );
      if (WITH_WORKER)
        await until(
          'the worker to drain the task queue',
          async () => (await backlog(1)) === 0 && (await backlog(2)) === 0,
          120_000,
          250,
        ).catch((e) => say(`${(e as Error).message}; going on`));
      await sleep(500);
    };

    // Warm-up: start every lifecycle (one delivery each, through the receiver, outside the measured stages).
    say('warm-up: one delivery per callout (starts each lifecycle workflow)');
    const warmAcked = new Map<number, number>();
    const warm = [...receiverBodies, ...engineBodies].filter((b) => b.includes('"NEW_CALLOUT"'));
    await pool(warm, 16, async (b) => {
      const r = await fetch(`${apiUrl}/webhooks/aura`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: b,
      });
      await r.arrayBuffer();
      if (r.ok) {
        const id = (JSON.parse(b) as { callout: { id: number } }).callout.id;
        warmAcked.set(id, (warmAcked.get(id) ?? 0) + 1);
      }
    });
    await settle();

    // ---- stages at each rate: the floor, then the engine and the receiver in alternating slices ---------------------
    // The engine's and the receiver's stages are cut in BENCH_SLICES slices run in turn (engine, receiver, receiver,
    // engine, ...), the task queue drained between them: on a machine shared with other work, a change in the load
    // around the run falls on both alike rather than on whichever stage ran when it came.
    const rows: RateRow[] = [];
    const rates = FIXED_RATES ? [...FIXED_RATES] : [50, 100];
    const sliceS = STAGE_S / SLICES;
    const idle = (rate: number): StageResult => ({
      rate,
      throughput: 0,
      p50: 0,
      p99: 0,
      ok: 0,
      sent: 0,
      notSent: 0,
      non2xx: 0,
      errors: 0,
      cpu: { driver: 0, service: 0, server: 0 },
    });
    // CPU time of the processes, read before a slice and after the task queue has drained behind it.
    const cpuNow = () => {
      const server = new Map(temporal.pids().map((pid) => [pid, cpuMsOf(pid)]));
      return {
        driver: cpuMsOf(driverChild.pid),
        service: serviceProcesses().reduce((a, pid) => a + cpuMsOf(pid), 0),
        server,
      };
    };
    const measured = async (req: Omit<StageRequest, 'id'>, thenSettle = true): Promise<MeasuredSlice> => {
      const before = cpuNow();
      const r = await driver.slice(req);
      if (thenSettle) await settle();
      const after = cpuNow();
      let server = 0;
      for (const [pid, ms] of after.server) server += ms - (before.server.get(pid) ?? 0);
      return { ...r, cpuMs: { driver: after.driver - before.driver, service: after.service - before.service, server } };
    };
    const engineReq = {
      kind: 'engine' as const,
      bodiesFile: engineFile,
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      taskQueue,
      transport: ENGINE_CLIENT,
    };
    const receiverReq = { kind: 'http' as const, url: apiUrl, bodiesFile: receiverFile, token: TOKEN };
    for (let i = 0; i < rates.length; i++) {
      const rate = rates[i]!;
      const common = { rate, concurrency: CONNECTIONS };
      let floor = idle(rate);
      if (STAGES.has('floor')) {
        say(`rate ${rate}/s: floor, ${STAGE_S} s`);
        floor = merge(rate, [
          await measured(
            { ...common, durationS: STAGE_S, kind: 'http', url: floorUrl, bodiesFile: receiverFile, token: TOKEN },
            false,
          ),
        ]);
      }
      const slices: Record<'engine' | 'receiver', MeasuredSlice[]> = { engine: [], receiver: [] };
      const order = (['engine', 'receiver'] as const).filter((n) => STAGES.has(n));
      if (order.length) say(`rate ${rate}/s: ${order.join(' and ')}, ${SLICES} × ${f1(sliceS)} s each`);
      for (let j = 0; j < SLICES; j++) {
        for (const name of j % 2 === 0 ? order : [...order].reverse()) {
          slices[name].push(
            await measured({ ...common, durationS: sliceS, ...(name === 'engine' ? engineReq : receiverReq) }),
          );
        }
      }
      const engine = STAGES.has('engine') ? merge(rate, slices.engine) : idle(rate);
      const receiver = STAGES.has('receiver') ? merge(rate, slices.receiver) : idle(rate);
      rows.push({ rate, floor, engine, receiver });
      say(
        `rate ${rate}/s: floor ${f1(floor.throughput)}/s p99 ${f1(floor.p99)} ms; engine ${f1(engine.throughput)}/s p50 ${f1(engine.p50)} p99 ${f1(engine.p99)} ms; receiver ${f1(receiver.throughput)}/s p50 ${f1(receiver.p50)} p99 ${f1(receiver.p99)} ms`,
      );
      for (const [name, r] of [
        ['engine', engine],
        ['receiver', receiver],
      ] as const)
        if (r.firstError) say(`  ${name}: ${r.errors} errors, the first: ${r.firstError}`);
      if (!FIXED_RATES && i === rates.length - 1) {
        // (The receiver's saturation when the engine stage is not run.)
        const saturated = (STAGES.has('engine') ? engine : receiver).throughput < SATURATED * rate;
        const nextRate = rate + 100;
        if (!saturated && nextRate <= MAX_RATE) rates.push(nextRate);
        else
          say(
            saturated
              ? `the engine is saturated at ${rate}/s (${f1(engine.throughput)}/s acknowledged)`
              : `BENCH_MAX_RATE ${MAX_RATE} reached`,
          );
      }
    }

    // ---- every acknowledged delivery reached its workflow? ------------------------------------------------------
    say(`counting calloutObserved signals in ${calloutIds.length} lifecycle histories`);
    const recorded = new Map<number, number>();
    let missingWorkflows = 0;
    await pool(calloutIds, 16, async (id) => {
      try {
        // Every run of the workflow id (a lifecycle may continue as new).
        let runId: string | undefined;
        let n = 0;
        for (;;) {
          const h = await client.workflow.getHandle(lifecycleWorkflowId(id), runId).fetchHistory();
          const events = h.events ?? [];
          // With signalWithStart, the first delivery's signal is recorded as a signal event too.
          n += events.filter(
            (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'calloutObserved',
          ).length;
          const can = events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
          runId = can?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
          if (!runId) break;
        }
        recorded.set(id, n);
      } catch {
        missingWorkflows++;
      }
    });
    await connection.close();
    const sum = (ids: number[], m: Map<number, number>) => ids.reduce((a, id) => a + (m.get(id) ?? 0), 0);
    const receiverExpected = sum(receiverIds, warmAcked) + rows.reduce((a, r) => a + r.receiver.ok, 0);
    const engineExpected = sum(engineIds, warmAcked) + rows.reduce((a, r) => a + r.engine.ok, 0);
    const receiverRecorded = sum(receiverIds, recorded);
    const engineRecorded = sum(engineIds, recorded);
    const receiverLost = Math.max(0, receiverExpected - receiverRecorded);
    const engineLost = Math.max(0, engineExpected - engineRecorded);
    const counts =
      `receiver's callouts: ${receiverExpected} acknowledged (warm-up ${sum(receiverIds, warmAcked)}), ${receiverRecorded} calloutObserved signals recorded; ` +
      `engine's callouts: ${engineExpected} acknowledged (warm-up through the receiver ${sum(engineIds, warmAcked)}), ${engineRecorded} recorded; lifecycle workflows missing: ${missingWorkflows}`;

    const max = (f: (r: RateRow) => number) => Math.max(...rows.map(f));
    let worstP99Ratio = 0;
    let worstP99Rate = 0;
    for (const r of rows) {
      const q = ratio(r.receiver.p99, r.engine.p99);
      if (q > worstP99Ratio) [worstP99Ratio, worstP99Rate] = [q, r.rate];
    }
    const report: ServerReport = {
      server,
      rows,
      meanBytes,
      engineCapacity: max((r) => r.engine.throughput),
      receiverCapacity: max((r) => r.receiver.throughput),
      floorCapacity: max((r) => r.floor.throughput),
      throughputRatio: 0,
      worstP99Ratio,
      worstP99Rate,
      receiverLost,
      engineLost,
      missingWorkflows,
      counts,
    };
    report.throughputRatio = ratio(report.receiverCapacity, report.engineCapacity);
    printServer(report);
    ok = receiverLost === 0 && engineLost === 0 && missingWorkflows === 0;
    return report;
  } finally {
    // The service is stopped gracefully (so it stops the embedded database it started), the rest killed.
    if (service && service.exitCode === null) {
      const exited = new Promise((r) => service!.once('exit', r));
      service.kill('SIGTERM');
      await Promise.race([exited, sleep(20_000)]);
    }
    await run.shutdown(ok);
  }
}

function printServer(r: ServerReport): void {
  console.log(
    `\nIntake on the ${SERVER_NAMES[r.server]} (${WITH_WORKER ? 'API + worker' : 'API alone, no worker'}): ${N} active callouts (half for the receiver, half for the engine), ${EVENTS.length} callout events, mean body ${r.meanBytes} bytes; ${STAGE_S} s per stage, at most ${CONNECTIONS} in flight; acked/s = acknowledged per second, p50/p99 in ms`,
  );
  console.log(
    '  rate/s |  floor acked/s   p50   p99 | engine acked/s   p50    p99 | receiver acked/s   p50    p99 non2xx err | recv/engine acked/s (≥ 0.85)  p99 (≤ 2)',
  );
  for (const { rate, floor: fl, engine: e, receiver: rc } of r.rows) {
    const tq = ratio(rc.throughput, e.throughput);
    const pq = ratio(rc.p99, e.p99);
    const sat = e.throughput < SATURATED * rate ? '*' : ' ';
    console.log(
      `  ${String(rate).padStart(6)} | ${f1(fl.throughput).padStart(14)} ${f1(fl.p50).padStart(5)} ${f1(fl.p99).padStart(5)} | ${f1(e.throughput).padStart(13)}${sat} ${f1(e.p50).padStart(5)} ${f1(e.p99).padStart(6)} | ${f1(rc.throughput).padStart(16)} ${f1(rc.p50).padStart(5)} ${f1(rc.p99).padStart(6)} ${String(rc.non2xx).padStart(6)} ${String(rc.errors).padStart(3)} | ${judged(tq, tq >= GOAL_THROUGHPUT).padStart(27)} ${judged(pq, pq <= GOAL_P99).padStart(10)}`,
    );
  }
  console.log(`  (* the engine saturated: it acknowledged less than ${SATURATED * 100} % of the rate)`);
  console.log(
    '  CPU ms per acknowledgement, by process (the service: API and worker; the server: Temporal and its database):',
  );
  console.log('  rate/s | engine: driver service server  total | receiver: driver service server  total');
  const cpuCols = (c: CpuShare) =>
    `${f2(c.driver).padStart(6)} ${f2(c.service).padStart(7)} ${f2(c.server).padStart(6)} ${f2(c.driver + c.service + c.server).padStart(6)}`;
  for (const { rate, engine: e, receiver: rc } of r.rows)
    console.log(`  ${String(rate).padStart(6)} | ${cpuCols(e.cpu).padStart(34)} | ${cpuCols(rc.cpu).padStart(36)}`);
  console.log(`  ${r.counts}`);
  if (COMPARED)
    console.log(
      `  ${withGoal('receiver/engine throughput', r.throughputRatio, '≥', GOAL_THROUGHPUT)} (the most acknowledged per second over the rates: receiver ${f1(r.receiverCapacity)}, engine ${f1(r.engineCapacity)}, floor ${f1(r.floorCapacity)})`,
    );
  if (COMPARED)
    console.log(
      `  ${withGoal('receiver/engine p99', r.worstP99Ratio, '≤', GOAL_P99)} (the worst rate: ${r.worstP99Rate}/s)`,
    );
  console.log(
    `  ${withGoal('lost (receiver)', r.receiverLost, '=', 0, 0)}; ${withGoal('lost (engine)', r.engineLost, '=', 0, 0)}`,
  );
}

const reports: ServerReport[] = [];
let failed = false;
for (const server of SERVERS) {
  try {
    reports.push(await runOnServer(server));
  } catch (err) {
    failed = true;
    console.error(`${server}:`, err);
  }
}

if (reports.length > 1) {
  const col = (s: string) => s.padStart(16);
  const line = (label: string, f: (r: ServerReport) => string) =>
    console.log(`  ${label.padEnd(40)}${reports.map((r) => col(f(r))).join('')}`);
  console.log(
    `\nIntake side by side (${WITH_WORKER ? 'API + worker' : 'API alone'}, ${N} callouts, ${STAGE_S} s stages, ${CONNECTIONS} in flight)`,
  );
  line('', (r) => r.server);
  line('rates run (/s)', (r) => `${r.rows[0]!.rate}-${r.rows.at(-1)!.rate}`);
  line('floor, most acked/s', (r) => f1(r.floorCapacity));
  line('engine, most acked/s', (r) => f1(r.engineCapacity));
  line('receiver, most acked/s', (r) => f1(r.receiverCapacity));
  line(`receiver/engine throughput (goal ≥ ${GOAL_THROUGHPUT})`, (r) =>
    judged(r.throughputRatio, r.throughputRatio >= GOAL_THROUGHPUT),
  );
  line(`receiver/engine p99, worst (goal ≤ ${GOAL_P99})`, (r) => judged(r.worstP99Ratio, r.worstP99Ratio <= GOAL_P99));
  const at = (r: ServerReport, rate: number) => r.rows.find((x) => x.rate === rate);
  const common = reports[0]!.rows.map((x) => x.rate).filter((rate) => reports.every((r) => at(r, rate)));
  for (const rate of common) {
    line(`at ${rate}/s: engine p50/p99 ms`, (r) => `${f1(at(r, rate)!.engine.p50)}/${f1(at(r, rate)!.engine.p99)}`);
    line(
      `at ${rate}/s: receiver p50/p99 ms`,
      (r) => `${f1(at(r, rate)!.receiver.p50)}/${f1(at(r, rate)!.receiver.p99)}`,
    );
  }
  line('lost (goal 0)', (r) => `${r.receiverLost + r.engineLost} ${verdict(r.receiverLost + r.engineLost === 0)}`);
}
const lost = reports.some((r) => r.receiverLost || r.engineLost || r.missingWorkflows);
if (lost) console.error('Some acknowledged deliveries did not reach their workflow.');
process.exit(failed || lost ? 1 : 0);
