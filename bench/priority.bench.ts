// A new emergency never waits behind polls: with the capped Panic API queue saturated by polls, how long a create
// and a cancellation wait between being scheduled and starting, with task priorities (src/workflows/priority.ts)
// and, for comparison, with the server's FIFO matcher (the same run, a second dev server).
//   PRIORITY_CALLOUTS (80) callouts polling every PRIORITY_POLL_MS (250) against a cap of PRIORITY_CAP (20/s),
//   then PRIORITY_CREATES (20) new incidents, one every 500 ms, and PRIORITY_CANCELS (10) cancellations, one every
//   PRIORITY_CANCEL_EVERY_MS (500).
// Prints p50/p99/max of scheduled → started for each, from the workflows' histories. Asserts nothing.
import { num, pct, pool, say, sleep } from './lib.js';
import { lifecycleWorkflowId } from '../src/domain/incident.js';
import { eventually, startStack, startTemporal } from '../test/helpers/stack.js';

const CALLOUTS = num('PRIORITY_CALLOUTS', 80);
const POLL_MS = num('PRIORITY_POLL_MS', 250);
const CAP = num('PRIORITY_CAP', 20);
const CREATES = num('PRIORITY_CREATES', 20);
const CANCELS = num('PRIORITY_CANCELS', 10);
const CANCEL_EVERY_MS = num('PRIORITY_CANCEL_EVERY_MS', 500);
const live = { latitude: -26.1, longitude: 28.05 };

const ms = (t: unknown) => {
  const x = t as { seconds?: { toNumber(): number } | number; nanos?: number } | null | undefined;
  const s = typeof x?.seconds === 'number' ? x.seconds : (x?.seconds?.toNumber() ?? 0);
  return s * 1000 + (x?.nanos ?? 0) / 1e6;
};
const fmt = (xs: number[]) =>
  xs.length === 0
    ? // v3 reads in one watch activity that retries its quiet reads: a running attempt is not in the history yet.
      'none recorded (the watch activity was still running)'
    : `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

async function run(newMatcher: boolean): Promise<{ creates: number[]; cancels: number[]; polls: number[] }> {
  process.env.TEMPORAL_NEW_MATCHER = String(newMatcher);
  const env = await startTemporal();
  const stack = await startStack(env, {
    pollIntervalMs: POLL_MS,
    pollIntervalSlowMs: POLL_MS,
    auraMaxRequestsPerSecond: CAP,
    ratingWindowMs: 1000,
  });
  try {
    say(
      `${newMatcher ? 'priority matcher' : 'FIFO matcher'}: ${CALLOUTS} callouts polling every ${POLL_MS} ms (${Math.round((CALLOUTS * 1000) / POLL_MS)}/s) against a cap of ${CAP}/s`,
    );
    const background: { incidentId: string; auraCalloutId: number }[] = [];
    await pool(
      Array.from({ length: CALLOUTS }, (_, i) => i),
      8,
      async (i) => {
        const incidentId = `bg-${newMatcher}-${i}`;
        await stack.api('POST', '/v1/callouts', { incidentId, customerId: await stack.newCustomer(), location: live });
        background.push({
          incidentId,
          auraCalloutId: await eventually(
            async () => (await stack.api('GET', `/v1/callouts/${incidentId}`)).body.auraCalloutId,
            300_000,
            500,
          ),
        });
      },
    );
    say('background callouts open; letting the poll backlog build for 10 s');
    await sleep(10_000);
    const creates: string[] = [];
    for (let i = 0; i < CREATES; i++) {
      const incidentId = `new-${newMatcher}-${i}`;
      await stack.api('POST', '/v1/callouts', { incidentId, customerId: await stack.newCustomer(), location: live });
      creates.push(incidentId);
      await sleep(500);
    }
    // Spaced like the creates: the goal is a cancellation's wait behind polls. Sent all at once, CANCELS cancellations
    // (two Panic API calls each: the cancel and its reason) would wait behind one another, the last at least
    // (2 × CANCELS − 1) / cap seconds whatever the priorities (0.95 s for 10 at 20/s).
    const cancelled = background.slice(0, CANCELS);
    for (const b of cancelled) {
      await stack.api('POST', `/v1/callouts/${b.incidentId}/cancel`, { reasons: ['FALSE_ALARM'] });
      await sleep(CANCEL_EVERY_MS);
    }
    for (const id of creates)
      await eventually(async () => (await stack.api('GET', `/v1/callouts/${id}`)).body.auraCalloutId, 600_000, 500);

    const waits = async (workflowId: string, type: (name: string) => boolean) => {
      const h = await env.client.workflow.getHandle(workflowId).fetchHistory();
      const scheduled = new Map<string, { at: number; name: string }>();
      const out: number[] = [];
      for (const e of h.events ?? []) {
        const s = e.activityTaskScheduledEventAttributes;
        if (s) scheduled.set(String(e.eventId), { at: ms(e.eventTime), name: s.activityType?.name ?? '' });
        const st = e.activityTaskStartedEventAttributes;
        if (st) {
          const sch = scheduled.get(String(st.scheduledEventId));
          // A later attempt's start is after its retry delay, not a wait in the queue (v3's watch retries its quiet
          // reads): only first attempts count.
          if (sch && type(sch.name) && (st.attempt ?? 1) <= 1) out.push(ms(e.eventTime) - sch.at);
        }
      }
      return out;
    };
    const createWaits = (
      await Promise.all(creates.map((id) => waits(`incident-${id}`, (n) => n === 'createCallout')))
    ).flat();
    const cancelWaits = (
      await Promise.all(
        cancelled.map((b) =>
          waits(lifecycleWorkflowId(b.auraCalloutId), (n) => n === 'cancelCallout' || n === 'linkExceptionReason'),
        ),
      )
    ).flat();
    const pollWaits = (
      await Promise.all(
        background
          .slice(CANCELS, CANCELS + 10)
          .map((b) => waits(lifecycleWorkflowId(b.auraCalloutId), (n) => n === 'pollCallout' || n === 'watchCallout')),
      )
    ).flat();
    return { creates: createWaits, cancels: cancelWaits, polls: pollWaits };
  } finally {
    await stack.close();
    await env.teardown();
  }
}

const withPriority = await run(true);
const fifo = await run(false);
console.log('\nscheduled → started on the capped Panic API queue, saturated by polls');
console.log(`  create   priority: ${fmt(withPriority.creates)}`);
console.log(`  create   FIFO:     ${fmt(fifo.creates)}`);
console.log(`  cancel   priority: ${fmt(withPriority.cancels)}`);
console.log(`  cancel   FIFO:     ${fmt(fifo.cancels)}`);
console.log(`  poll     priority: ${fmt(withPriority.polls)}`);
console.log(`  poll     FIFO:     ${fmt(fifo.polls)}`);
console.log(
  `goal: a create or a cancel starts within 1 s of being scheduled, p99 (priority: create ${pct(withPriority.creates, 99).toFixed(0)} ms, cancel ${pct(withPriority.cancels, 99).toFixed(0)} ms)`,
);
process.exit(0);
