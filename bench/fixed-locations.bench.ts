// Benchmark: Fixed Location reconciliation of 50,000 locations (first sync and a no-change sync) and alarm-to-AURA
// create latency for 500 alarms, on a real Temporal dev server, the real worker and API, and the simulator.
//   npx tsx bench/fixed-locations.bench.ts            (BENCH_LOCATIONS, BENCH_ALARMS, BENCH_ALARM_RATE override)
// Prints run time, Panic API requests and workflow history length per sync, and p50/p99 of alarm → AURA create.
import { performance } from 'node:perf_hooks';
import { samplePortfolio } from '../src/fixed-locations/sample.js';
import { startStack, startTemporal, type Stack } from '../test/helpers/stack.js';

const LOCATIONS = Number(process.env.BENCH_LOCATIONS ?? 50_000);
const ALARMS = Number(process.env.BENCH_ALARMS ?? 500);
/** Alarms per second, sent open-loop (each alarm does not wait for the previous one). */
const ALARM_RATE = Number(process.env.BENCH_ALARM_RATE ?? 10);

const env = await startTemporal();
const stack: Stack = await startStack(env, {
  // Lifecycles poll slowly here so that polling does not compete with the creates being measured.
  pollIntervalMs: Number(process.env.BENCH_POLL_MS ?? 30_000),
  auraMaxRequestsPerSecond: Number(process.env.BENCH_AURA_RPS ?? 200),
  fixedLocations: { pageSize: 500, batchSize: 1_000, concurrency: 16 },
});
const syncWorkflowId = `fixed-location-sync-${stack.taskQueue}`;

async function historyOf(firstRunId: string): Promise<{ runs: number; events: number; maxPerRun: number }> {
  let runId: string | undefined = firstRunId;
  let runs = 0;
  let events = 0;
  let maxPerRun = 0;
  while (runId) {
    const h = await env.client.workflow.getHandle(syncWorkflowId, runId).fetchHistory();
    const n = h.events?.length ?? 0;
    runs++;
    events += n;
    maxPerRun = Math.max(maxPerRun, n);
    const last = h.events?.at(-1);
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return { runs, events, maxPerRun };
}

async function timedSync(label: string): Promise<void> {
  stack.sim.state.requests = [];
  const t0 = performance.now();
  const r = await stack.api('POST', '/v1/fixed-locations/sync', {});
  if (r.status !== 202) throw new Error(`sync: ${r.status} ${JSON.stringify(r.body)}`);
  await env.client.workflow.getHandle(syncWorkflowId).result();
  const ms = performance.now() - t0;
  const report = (await stack.api('GET', '/v1/fixed-locations/sync/latest')).body;
  const reqs = stack.sim.state.requests;
  const byRoute: Record<string, number> = {};
  for (const q of reqs) {
    const route = `${q.method} ${q.path.replace(/\/\d+$/, '/:id')}`;
    byRoute[route] = (byRoute[route] ?? 0) + 1;
  }
  const h = await historyOf(r.body.runId);
  console.log(`\n${label}`);
  console.log(`  run time            ${(ms / 1000).toFixed(1)} s`);
  console.log(`  Panic API requests  ${reqs.length}  ${JSON.stringify(byRoute)}`);
  console.log(`  workflow history    ${h.events} events in ${h.runs} run(s), at most ${h.maxPerRun} per run`);
  console.log(
    `  report counts       ${JSON.stringify(report.counts)} (issues listed: ${report.issues.length}, truncated: ${report.issuesTruncated ?? 0})`,
  );
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

try {
  console.log(`Fixed Location benchmark: ${LOCATIONS} platform locations, ${ALARMS} alarms at ${ALARM_RATE}/s`);
  const t = performance.now();
  await stack.store.replaceAll(samplePortfolio(LOCATIONS, 3, 'B'));
  console.log(`  portfolio written to the store in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  await timedSync(`first sync (${LOCATIONS} to create)`);
  await timedSync('no-change sync');

  // Alarms: open-loop at ALARM_RATE/s, each on its own location; latency = POST /v1/alarms sent → AURA (the
  // simulator) has answered the Fixed Location callout create.
  stack.sim.state.requests = [];
  const sentAt = new Map<string, number>();
  const accepted: number[] = [];
  const posts: Promise<void>[] = [];
  const tAlarms = Date.now();
  for (let i = 0; i < ALARMS; i++) {
    const ref = `B-${String(i * Math.floor(LOCATIONS / ALARMS) + 1).padStart(6, '0')}`;
    const due = tAlarms + (i * 1000) / ALARM_RATE;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = Date.now();
    sentAt.set(ref, t0);
    posts.push(
      stack
        .api('POST', '/v1/alarms', {
          alarmId: `bench-${i}`,
          platformLocationId: ref,
          alarmType: 'BURGLARY',
          zone: String(i % 8),
          test: true,
        })
        .then((r) => {
          if (r.status !== 202) throw new Error(`alarm ${i}: ${r.status} ${JSON.stringify(r.body)}`);
          accepted.push(Date.now() - t0);
        }),
    );
  }
  await Promise.all(posts);
  const latencies: number[] = [];
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const creates = stack.sim.state.requests.filter((q) => q.method === 'POST' && q.path.includes('/externalRef/'));
    if (creates.length >= ALARMS) {
      const first = new Map<string, number>();
      for (const q of creates) {
        const ref = decodeURIComponent(q.path.split('/externalRef/')[1]!.split('/')[0]!);
        if (!first.has(ref)) first.set(ref, Date.parse(q.at));
      }
      for (const [ref, at] of first) latencies.push(at - sentAt.get(ref)!);
      // Where the time of the slowest goes, from their incident workflows' histories.
      const slow = [...first]
        .map(([ref, at]) => ({ ref, ms: at - sentAt.get(ref)! }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 3);
      for (const { ref, ms } of slow) {
        const i = Number(ref.slice(2)) - 1;
        const alarmNo = Math.round(i / Math.floor(LOCATIONS / ALARMS));
        const h = await env.client.workflow.getHandle(`incident-alarm-bench-${alarmNo}`).fetchHistory();
        const t = (e: any) => Number(e.eventTime.seconds) * 1000 + Math.round(e.eventTime.nanos / 1e6);
        const t0 = t(h.events![0]);
        const steps = h
          .events!.slice(0, 12)
          .map((e: any) => `${String(e.eventType).replace('EVENT_TYPE_', '')}+${t(e) - t0}`);
        console.log(`  slow alarm ${alarmNo} (${ms} ms; POST→start ${t0 - sentAt.get(ref)!} ms): ${steps.join(' ')}`);
      }
      break;
      for (const q of creates) {
        const ref = decodeURIComponent(q.path.split('/externalRef/')[1]!.split('/')[0]!);
        latencies.push(Date.parse(q.at) - sentAt.get(ref)!);
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  latencies.sort((a, b) => a - b);
  accepted.sort((a, b) => a - b);
  console.log(`\nPOST /v1/alarms answered 202 (index lookup + incident workflow started)`);
  console.log(`  p50 ${pct(accepted, 50)} ms   p99 ${pct(accepted, 99)} ms`);
  const creates = stack.sim.state.requests.filter((q) => q.method === 'POST' && q.path.includes('/externalRef/'));
  const statuses: Record<string, number> = {};
  for (const q of creates) statuses[q.status] = (statuses[q.status] ?? 0) + 1;
  const retried = stack.sim.state.requests.filter((q) => q.path.endsWith('/activeCallouts')).length;
  console.log(`\n  Fixed Location callout creates by status ${JSON.stringify(statuses)}; retried creates ${retried}`);
  console.log(
    `\nalarm → AURA Fixed Location callout create (${latencies.length} of ${ALARMS} alarms, ${ALARM_RATE}/s)`,
  );
  console.log(`  p50 ${pct(latencies, 50)} ms   p99 ${pct(latencies, 99)} ms   max ${latencies.at(-1)} ms`);
} finally {
  await stack.close();
  await env.teardown();
}
