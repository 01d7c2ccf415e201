// Benchmark: webhook intake capacity. The receiver (POST /webhooks/aura) under a steady load of realistic AURA callout
// webhooks spread over 1,000 active callouts, at increasing rates (autocannon, fixed overall rate per stage); in the
// same run the same load against a bare Express route that answers 200, as the floor. Prints throughput and p50/p99
// acknowledgement latency of both and their ratio, then confirms that every acknowledged delivery reached its
// workflow (counted as `calloutObserved` signals in the lifecycle workflows' histories).
//
// The real processes: a Temporal dev server (SQLite file); the service (API and worker, `src/main.ts` as `npm start`
// runs it, SERVICE_ROLE=all, LOG_LEVEL=info to a file) in a child process; the floor server in another child; the
// simulator (holding the 1,000 callouts the lifecycles poll, autopilot off) and autocannon in this process.
//
// Knobs (environment): BENCH_CALLOUTS (1000), BENCH_RATES (comma-separated req/s, "50,100,200,400"),
// BENCH_STAGE_S (10), BENCH_CONNECTIONS (64), BENCH_WORKER (1; 0 runs the API alone, so the lifecycles do not run
// and the figures isolate the receiver + Temporal server path from the worker's share of the CPU).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client, Connection } from '@temporalio/client';
import { AuraClient } from '../src/aura/client.js';
import { lifecycleWorkflowId } from '../src/domain/incident.js';
import { freePort, PROJECT_ROOT } from '../src/temporal/dev-server.js';
import { num, pool, say, startBenchRun, until } from './lib.js';

const N = num('BENCH_CALLOUTS', 1000);
const RATES = (process.env.BENCH_RATES ?? '50,100,200,400').split(',').map(Number).filter((n) => n > 0);
const STAGE_S = num('BENCH_STAGE_S', 10);
const CONNECTIONS = num('BENCH_CONNECTIONS', 64);
const WITH_WORKER = num('BENCH_WORKER', 1) !== 0;
const TOKEN = 'bench-intake-webhook-token';
// Callout events that keep a lifecycle open (CALLOUT_CLOSED would finish it, and later deliveries would rightly be
// acknowledged without reaching a workflow): the mix a busy control room produces.
const EVENTS = ['NEW_CALLOUT', 'RESPONDER_MANUALLY_DISPATCHED', 'RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA', 'RESPONDER_ARRIVED_ON_SCENE'];

const run = await startBenchRun('aura-intake-bench-');
const { temporal, sim } = run;
const startChild = run.startChild;

interface StageResult {
  rate: number;
  throughput: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
}

function runStage(url: string, bodies: string[], rate: number): Promise<StageResult> {
  let i = Math.floor(Math.random() * bodies.length);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        overallRate: rate,
        duration: STAGE_S,
        requests: [
          {
            method: 'POST',
            path: '/webhooks/aura',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length]! }),
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({
          rate,
          throughput: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          ok: r['2xx'],
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        });
      },
    );
  });
}

let ok = false;
try {
  // ---- 1,000 active callouts in the simulator ---------------------------------------------------------------------
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
      const { callout } = await aura.createCustomerCallout({ customerId, responseTypeId: 1, location: { latitude: -26.1 + k / 1e4, longitude: 28.05 } });
      calloutIds.push(callout.id);
    },
  );

  // ---- realistic bodies: the documented payloads, each re-addressed to one of the callouts ------------------------
  const fixtures = join(PROJECT_ROOT, 'test', 'fixtures', 'webhook-payloads');
  const templates = EVENTS.map((e) => JSON.parse(readFileSync(join(fixtures, `${e}.json`), 'utf8')));
  const bodies: string[] = [];
  for (const id of calloutIds) {
    for (const t of templates) {
      const p = structuredClone(t);
      p.callout.id = id;
      if (Array.isArray(p.callout.incidentInformation)) for (const inf of p.callout.incidentInformation) if (inf && 'calloutId' in inf) inf.calloutId = id;
      bodies.push(JSON.stringify(p));
    }
  }
  // Shuffled, so consecutive deliveries go to different callouts.
  for (let k = bodies.length - 1; k > 0; k--) {
    const j = Math.floor(Math.random() * (k + 1));
    [bodies[k], bodies[j]] = [bodies[j]!, bodies[k]!];
  }
  const meanBytes = Math.round(bodies.reduce((a, b) => a + b.length, 0) / bodies.length);
  say(`${bodies.length} distinct deliveries (${EVENTS.length} events × ${calloutIds.length} callouts), mean ${meanBytes} bytes`);

  // ---- the service and the floor ----------------------------------------------------------------------------------
  const apiPort = await freePort();
  const taskQueue = `bench-intake-${Date.now()}`;
  startChild('service', [join(PROJECT_ROOT, 'src', 'main.ts')], {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    SERVICE_ROLE: WITH_WORKER ? 'all' : 'api',
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AURA_BASE_URL: sim.panicApiUrl,
    AURA_CLIENT_ID: 'dev-client',
    AURA_CLIENT_SECRET: 'dev-secret',
    // Webhooks flow, so lifecycles poll at the slow interval; the benchmark measures intake, not polling.
    POLL_INTERVAL_MS: '30000',
    POLL_INTERVAL_SLOW_MS: '120000',
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    WEBHOOK_TOKEN: TOKEN,
  });
  const floorPort = await freePort();
  startChild('floor', [join(PROJECT_ROOT, 'bench', 'floor-server.ts')], { ...process.env, FLOOR_PORT: String(floorPort) });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  await until('the service to be ready', async () => (await fetch(`${apiUrl}/${WITH_WORKER ? 'readyz' : 'healthz'}`)).status === 200, 120_000);
  await until('the floor server', async () => (await fetch(`${floorUrl}/healthz`)).status === 200, 30_000);
  say(`service ${apiUrl} (${WITH_WORKER ? 'API + worker' : 'API alone'}, task queue ${taskQueue}); floor ${floorUrl}`);

  // Warm-up: start every lifecycle (one delivery each, outside the measured stages).
  say('warm-up: one delivery per callout (starts each lifecycle workflow)');
  const warm = bodies.filter((b) => b.includes('"NEW_CALLOUT"')).slice(0, N);
  let warmAcked = 0;
  await pool(warm, 16, async (b) => {
    const r = await fetch(`${apiUrl}/webhooks/aura`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: b });
    await r.arrayBuffer();
    if (r.ok) warmAcked++;
  });

  // ---- stages: receiver, then floor, at each rate -----------------------------------------------------------------
  const receiver: StageResult[] = [];
  const floor: StageResult[] = [];
  for (const rate of RATES) {
    say(`stage ${rate} req/s for ${STAGE_S} s: receiver`);
    receiver.push(await runStage(apiUrl, bodies, rate));
    say(`stage ${rate} req/s for ${STAGE_S} s: floor`);
    floor.push(await runStage(floorUrl, bodies, rate));
  }

  // ---- every acknowledged delivery reached its workflow? ----------------------------------------------------------
  const acked = warmAcked + receiver.reduce((a, r) => a + r.ok, 0);
  say(`counting calloutObserved signals in ${calloutIds.length} lifecycle histories`);
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  let recorded = 0;
  let missingWorkflows = 0;
  await pool(calloutIds, 16, async (id) => {
    try {
      // Every run of the workflow id (a lifecycle may continue as new).
      let runId: string | undefined;
      for (;;) {
        const h = await client.workflow.getHandle(lifecycleWorkflowId(id), runId).fetchHistory();
        const events = h.events ?? [];
        recorded += events.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'calloutObserved').length;
        // With signalWithStart, the first delivery's signal is recorded as a signal event too.
        const can = events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes);
        runId = can?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
        if (!runId) break;
      }
    } catch {
      missingWorkflows++;
    }
  });
  await connection.close();

  // ---- report -----------------------------------------------------------------------------------------------------
  const f1 = (n: number) => n.toFixed(1);
  console.log(`\nIntake capacity (${WITH_WORKER ? 'API + worker' : 'API alone, no worker'}): ${N} active callouts, ${EVENTS.length} callout events, ${STAGE_S} s per stage, ${CONNECTIONS} connections, mean body ${meanBytes} bytes`);
  console.log('target r/s | receiver r/s  p50 ms  p99 ms  non-2xx  errors | floor r/s  p50 ms  p99 ms | p50 ×floor  p99 ×floor');
  for (let k = 0; k < RATES.length; k++) {
    const r = receiver[k]!;
    const fl = floor[k]!;
    console.log(
      `${String(r.rate).padStart(10)} | ${f1(r.throughput).padStart(12)} ${f1(r.p50).padStart(7)} ${f1(r.p99).padStart(7)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)} | ${f1(fl.throughput).padStart(9)} ${f1(fl.p50).padStart(7)} ${f1(fl.p99).padStart(7)} | ${f1(r.p50 / Math.max(fl.p50, 0.01)).padStart(10)} ${f1(r.p99 / Math.max(fl.p99, 0.01)).padStart(11)}`,
    );
  }
  const lost = Math.max(0, acked - recorded);
  console.log(`\nDeliveries acknowledged 2xx: ${acked} (warm-up ${warmAcked}); calloutObserved signals recorded: ${recorded}; lost: ${lost}${recorded > acked ? ` (${recorded - acked} more recorded than counted: answered after autocannon's stage ended)` : ''}; lifecycle workflows missing: ${missingWorkflows}`);
  ok = lost === 0 && missingWorkflows === 0;
  if (!ok) console.error('Some acknowledged deliveries did not reach their workflow.');
} catch (err) {
  console.error(err);
} finally {
  await run.shutdown(ok);
}
process.exit(ok ? 0 : 1);
