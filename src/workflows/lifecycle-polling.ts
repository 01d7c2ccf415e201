// How a lifecycle (v3) follows its callout between webhooks, at little history cost: one poll timer kept across
// wake-ups, and one watch activity that reads the callout at the poll interval and completes only when a read
// differs from the last one. Workflow code: deterministic, only the workflow API.
import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  log,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type * as callouts from '../activities/callouts.js';
import type { LifecycleState } from './lifecycle-state.js';
import { PRIORITY } from './priority.js';

type Acts = ReturnType<typeof callouts.createCalloutActivities>;
type InboundEvents = Awaited<ReturnType<Acts['listCalloutEvents']>>;

/**
 * One timer at a time: a webhook or a note wakes the loop without cancelling it (which would cost two history
 * events per wake-up). It is replaced only when the next call falls due sooner.
 */
export function pollTimer() {
  let timer: { at: number; scope: CancellationScope; fired: boolean } | null = null;
  return {
    /** Make sure a timer fires no later than `at`; returns a check for whether it has fired. */
    arm(at: number): () => boolean {
      if (!timer || timer.fired || timer.at > at) {
        if (timer && !timer.fired) timer.scope.cancel();
        const t = { at, scope: new CancellationScope(), fired: false };
        timer = t;
        t.scope
          .run(() => sleep(at - Date.now()))
          .then(
            () => void (t.fired = true),
            () => undefined, // cancelled: replaced by a sooner one, or the callout closed
          );
      }
      const t = timer;
      return () => t.fired;
    },
    stop(): void {
      if (timer && !timer.fired) timer.scope.cancel();
      timer = null;
    },
  };
}

/**
 * The watch: its quiet attempts are Temporal retries (CalloutUnchanged, the interval as the next retry delay), which
 * history does not record, so polling stays the ledger at the same rate on the same capped queue for a fraction
 * of the events. What it returns goes into the state as a poll would; `onEvents` takes new callout events.
 */
export function calloutWatch(s: LifecycleState, onEvents: (events: InboundEvents) => void) {
  const aura = proxyActivities<Acts>({
    taskQueue: s.config.auraTaskQueue,
    startToCloseTimeout: '45s',
    retry: {
      initialInterval: s.config.pollIntervalMs,
      backoffCoefficient: 1,
      maximumInterval: Math.max(s.config.pollIntervalMs, s.config.pollIntervalSlowMs),
    },
    priority: { priorityKey: PRIORITY.poll },
    // Stopped by leaving it: a cancellation would cost history events at every close, for a watch that ends with
    // the run anyway (at most one more read, during the rating window).
    cancellationType: ActivityCancellationType.ABANDON,
  });
  let watch: CancellationScope | null = null;
  return {
    running: () => watch !== null,
    start(): void {
      const scope = new CancellationScope();
      watch = scope;
      const intervalMs = s.webhooksTrusted ? s.config.pollIntervalSlowMs : s.config.pollIntervalMs;
      const input = {
        auraCalloutId: s.auraCalloutId,
        lastRead: s.lastRead,
        intervalMs,
        firstDelayMs: Math.max(0, s.lastCallAtMs + intervalMs - Date.now()),
        eventsEveryPolls: s.config.eventsEveryPolls,
        knownEventIds: [...s.auraEventIds],
      };
      scope
        .run(() => aura.watchCallout(input))
        .then(
          (r) => {
            s.polls += r.reads;
            if (r.notFound) s.notFoundPolls++;
            else if (r.observation) {
              s.notFoundPolls = 0;
              s.observeRead(r.observation);
            }
            if (r.events) onEvents(r.events);
          },
          (err) => {
            if (!isCancellation(err))
              log.warn('the watch on the callout failed; a new one starts', {
                auraCalloutId: s.auraCalloutId,
                error: (err as Error).message,
              });
          },
        )
        .finally(() => {
          s.lastCallAtMs = Date.now();
          if (watch === scope) watch = null;
          s.wake = true;
        });
    },
    stop(): void {
      watch?.cancel();
      watch = null;
    },
  };
}
