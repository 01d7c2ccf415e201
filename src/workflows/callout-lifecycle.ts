// One lifecycle per AURA callout (workflow id `aura-callout-<id>`). Started by whichever comes first: the incident
// that created the callout (attach) or AURA's first webhook about it (so an early webhook is kept). A second incident
// that AURA answers with the same active callout attaches here too: one AURA callout, one lifecycle.
//
// Webhooks are hints, polling is the ledger: the loop polls on an interval whatever the webhooks say (fast while
// they are silent, slow while they flow), sends the newest customer position in place of a poll (and reads the
// callout whenever a send fails), relays notes beside the loop so that a slow events route never holds up polling,
// and stops polling at `closed`. Then the rating window opens, and the workflow completes when it settles.
// Its state lives in LifecycleState, whose carry is what continues as new.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type * as callouts from '../activities/callouts.js';
import { CALLOUT_MEMO, type CalloutSnapshot } from '../domain/incident.js';
import { AuraCalloutIdKey, CalloutPhaseKey, CalloutStatusKey, IncidentIdKey } from '../temporal/search-attributes.js';
import type { WorkflowConfig } from './config.js';
import { CLOSED_NOTE, LifecycleState, type LifecycleCarry, type QueuedNote } from './lifecycle-state.js';
import {
  attachIncidentSignal,
  calloutObservedSignal,
  calloutUpdatedSignal,
  cancelUpdate,
  getCalloutQuery,
  locationSignal,
  outboundNoteSignal,
  ratingUpdate,
} from './messages.js';
import { calloutLifecycleWorkflowV2 } from './released/callout-lifecycle-v2.js';
import { lateBound } from './late.js';
import { auraMessageOf, checkCancel, checkRating, failureOf } from './lifecycle-checks.js';
import { PRIORITY } from './priority.js';
import { calloutWatch, pollTimer } from './lifecycle-polling.js';
import { memoWriter, searchAttributeWriter } from './write-on-change.js';

export type { LifecycleCarry } from './lifecycle-state.js';

export interface LifecycleInput {
  auraCalloutId: number;
  /** Present after continue-as-new: the whole state of the previous run (v1's carry is accepted too). */
  carried?: LifecycleCarry;
}

/** Marks runs of this code; runs started before it (no marker in their history) finish on the released v2 (or v1). */
export const LIFECYCLE_V3 = 'lifecycle-v3';

type Acts = ReturnType<typeof callouts.createCalloutActivities>;

/** Consecutive 404 polls after which a lifecycle no incident attached to gives up. */
const NOT_FOUND_LIMIT = 5;

const { lifecycleStart } = proxyLocalActivities<Acts>({ startToCloseTimeout: '5s' });

export async function calloutLifecycleWorkflow(input: LifecycleInput): Promise<CalloutSnapshot> {
  // A run without the marker was started by released code (its carry is that code's too): it finishes there.
  if (!patched(LIFECYCLE_V3)) return calloutLifecycleWorkflowV2(input);
  const auraCalloutId = input.auraCalloutId;
  // Updates are registered before the first await: one delivered in a run's first activation would otherwise be
  // rejected when the activation ends ("No registered handler"). They wait for the state the config makes.
  const ready = lateBound<{ s: LifecycleState; auraPersistent: ReturnType<typeof proxyActivities<Acts>> }>();
  setHandler(
    cancelUpdate,
    async (req) => {
      const { s, auraPersistent } = await ready.get();
      checkCancel(s, req);
      // Taken before the first await on AURA: a second cancellation arriving meanwhile is refused (409).
      s.cancelling = true;
      const reasons = req.reasons ?? [];
      try {
        for (const reason of reasons) await auraPersistent.linkExceptionReason({ auraCalloutId, notes: reason });
        s.observe(await auraPersistent.cancelCallout({ auraCalloutId, safeCode: req.safeCode }));
      } catch (err) {
        s.cancelling = false;
        const f = failureOf(err);
        if (f?.nonRetryable)
          throw ApplicationFailure.nonRetryable(auraMessageOf(f) ?? f.message, 'CANCEL_REJECTED', f.details?.[0]);
        throw ApplicationFailure.nonRetryable(
          `AURA could not be reached to cancel: ${(err as Error).message}`,
          'CANCEL_FAILED',
        );
      }
      s.cancelling = false;
      s.cancelled = true;
      s.drain(new Date().toISOString());
      const who = req.safeCode !== undefined ? 'customer (safe code)' : 'integration';
      s.addNote({
        at: new Date().toISOString(),
        text: `Cancellation requested by ${who}${reasons.length ? `: ${reasons.join(', ')}` : ''}`,
        direction: 'outbound',
      });
      return s.view();
    },
    {
      validator: (req) => {
        const now = ready.peek();
        if (now) checkCancel(now.s, req);
      },
    },
  );

  setHandler(
    ratingUpdate,
    async (req) => {
      const { s, auraPersistent } = await ready.get();
      checkRating(s);
      s.rating = true;
      try {
        await auraPersistent.submitRating({ auraCalloutId, rating: req.rating, comment: req.comment });
      } catch (err) {
        s.rating = false;
        const f = failureOf(err);
        if (f?.nonRetryable)
          throw ApplicationFailure.nonRetryable(auraMessageOf(f) ?? f.message, 'RATING_REJECTED', f.details?.[0]);
        throw ApplicationFailure.nonRetryable(
          `AURA could not be reached to rate: ${(err as Error).message}`,
          'RATING_FAILED',
        );
      }
      s.rating = false;
      s.bump({ rating: { state: 'submitted', value: req.rating, ...(req.comment ? { comment: req.comment } : {}) } });
      return s.view();
    },
    {
      validator: (_req) => {
        const now = ready.peek();
        if (now) checkRating(now.s);
      },
    },
  );

  // A fresh run chain also gets the view of a run of this callout that died, as its base (a restart by a webhook).
  const start = input.carried ? null : await lifecycleStart({ auraCalloutId });
  const config: WorkflowConfig = input.carried?.config ?? start!.config;
  const s = new LifecycleState(auraCalloutId, config, Date.now(), input.carried);
  if (start?.previous) s.resumeFromDead(start.previous);
  const aura = proxyActivities<Acts>({
    taskQueue: s.config.auraTaskQueue,
    // Above one call's worst case (token exchange 15 s + pacer bound 5 s + request 10 s): the activity aborts its own
    // call at this deadline, so a timed-out attempt never sends late.
    startToCloseTimeout: '45s',
    // A failed poll is not fatal: the next poll (or a webhook) brings the state.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
    // Polls share the capped Panic API queue with creates and cancellations: they go last (src/workflows/priority.ts).
    priority: { priorityKey: PRIORITY.poll },
  });
  // What a person asked for (a note, a cancellation, a rating) is retried for longer.
  const auraPersistent = proxyActivities<Acts>({
    taskQueue: s.config.auraTaskQueue,
    startToCloseTimeout: '45s',
    scheduleToCloseTimeout: '10m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
    priority: { priorityKey: PRIORITY.person },
  });
  ready.set({ s, auraPersistent });
  const writeSearchAttributes = searchAttributeWriter();
  // Reads of the callout (and of incidents attached with `updates: 'final'`) come from this memo, by describe.
  const writeMemo = memoWriter<ReturnType<LifecycleState['view']>>(CALLOUT_MEMO);
  const nowIso = () => new Date().toISOString();

  setHandler(getCalloutQuery, () => s.view());
  // Signal handlers only record; the main loop applies, in order of arrival.
  setHandler(calloutObservedSignal, (obs) => s.observe(obs));
  setHandler(attachIncidentSignal, (a) => s.attach(a));
  setHandler(locationSignal, (loc) => s.location(loc));
  setHandler(outboundNoteSignal, (n) => s.queueNote(n));

  function drain(): void {
    for (const t of s.drain(nowIso()).transitions)
      log.info('callout status changed', { auraCalloutId, status: t.status, source: t.source });
  }

  async function publish(): Promise<void> {
    const { changed, targets } = s.takeTargets(true);
    // Every pass (written only when it differs): an incident attaching changes the view's incidents, not its version.
    writeMemo(s.view());
    if (changed) {
      writeSearchAttributes([
        { key: AuraCalloutIdKey, value: auraCalloutId },
        { key: CalloutStatusKey, value: s.snapshot.status ?? 'pending' },
        { key: CalloutPhaseKey, value: s.snapshot.phase },
        ...(s.incidents[0] ? [{ key: IncidentIdKey, value: s.incidents[0].incidentId }] : []),
      ]);
    }
    if (!targets.length) return;
    const payload = s.view();
    await Promise.all(
      targets.map(async (workflowId) => {
        try {
          await getExternalWorkflowHandle(workflowId).signal(calloutUpdatedSignal, payload);
        } catch (err) {
          // The incident has finished or was never there: nothing to tell it.
          log.warn('could not update incident', { workflowId, error: (err as Error).message });
        }
      }),
    );
  }

  /**
   * One call to AURA that reads the callout: the newest position with "return callout" when we have one. A send
   * that fails is followed by a plain read at once, so a location route that answers 404 or 400 (its path is our
   * inference) can never stop the callout from being read; a position AURA refused for good is dropped.
   */
  async function pollOrSendLocation(): Promise<void> {
    const loc = s.startCall(Date.now());
    if (loc) {
      try {
        const read = await aura.sendLocation({ auraCalloutId, location: loc });
        s.observeRead(read);
        s.notFoundPolls = 0;
        s.locationAccepted();
        return;
      } catch (err) {
        const f = failureOf(err);
        // The client's error already says who answered and with what ("AURA answered 404 to …").
        if (f?.nonRetryable) s.locationRefusedBy(f.message, nowIso());
        else s.keepLocation(loc);
        log.warn('position not sent; reading the callout instead', { auraCalloutId, error: (err as Error).message });
      }
    }
    try {
      if (s.eventsDue) {
        // The events are due with this poll: read in the same activity, not in one of their own.
        const r = await aura.pollCalloutWithEvents({ auraCalloutId });
        s.observeRead(r.observation);
        if (r.events) takeInboundEvents(r.events);
      } else {
        const read = await aura.pollCallout({ auraCalloutId });
        s.observeRead(read);
      }
      s.notFoundPolls = 0;
    } catch (err) {
      if (failureOf(err)?.type === 'AuraNotFoundError') s.notFoundPolls++;
      log.warn('poll failed; the next one will try again', { auraCalloutId, error: (err as Error).message });
    }
  }

  // Notes go to AURA beside the loop, one at a time and in order: a failing events route (each note retried for up
  // to 10 minutes) never holds up polling.
  let inFlight: QueuedNote | undefined;
  async function relayNotes(): Promise<void> {
    if (inFlight) return;
    try {
      for (let q = s.nextNote(); q; q = s.nextNote()) {
        inFlight = q;
        const text = q.note.author ? `${q.note.author}: ${q.note.text}` : q.note.text;
        try {
          const sent = await auraPersistent.sendCalloutEvent({ auraCalloutId, message: text });
          s.noteSent(q, sent.id);
        } catch (err) {
          log.warn('note could not be sent to AURA', { auraCalloutId, error: (err as Error).message });
          s.noteFailed(q, `AURA did not take the note: ${failureOf(err)?.message ?? (err as Error).message}`);
        }
      }
    } finally {
      inFlight = undefined;
    }
  }

  function takeInboundEvents(events: Awaited<ReturnType<Acts['listCalloutEvents']>>): void {
    s.eventsDue = false;
    for (const e of events) {
      if (s.auraEventIds.has(e.id)) continue;
      s.auraEventIds.add(e.id);
      if (e.fromIntegration) continue; // our own notes, echoed back by AURA's stream
      s.addNote({
        at: e.createdAt ?? nowIso(),
        text: e.text,
        direction: 'inbound',
        ...(e.author ? { author: e.author } : {}),
      });
    }
  }

  async function readInboundNotes(): Promise<void> {
    s.eventsDue = false;
    try {
      takeInboundEvents(await aura.listCalloutEvents({ auraCalloutId }));
    } catch (err) {
      log.warn('could not read callout events', { auraCalloutId, error: (err as Error).message });
    }
  }

  const timer = pollTimer();
  const watch = calloutWatch(s, takeInboundEvents);

  // The rating opens with the view that reports closed, when an incident is there to be rated.
  let ratingOpenedAtMs: number | null = null;
  function openRating(): void {
    if (ratingOpenedAtMs !== null || s.snapshot.rating.state !== 'not_open') return;
    if (s.incidents.length === 0 || (s.wasCancelled() && !s.config.rateCancelled) || (s.test && !s.config.rateTest))
      return;
    s.bump({ rating: { state: 'requested', value: null } });
    ratingOpenedAtMs = Date.now();
  }

  // ---- following the callout until closed -----------------------------------------------------------------------
  while (true) {
    // Cleared at the start of a pass, never before the wait: whatever a handler brings while this pass publishes
    // or calls AURA keeps the flag set, and the wait below returns at once for it.
    s.wake = false;
    drain();
    // Notes still queued can no longer reach AURA: marked failed in the same view that reports closed, which also
    // opens the rating (one view, not two, for incidents and the memo).
    if (s.closed()) {
      s.failQueuedNotes(CLOSED_NOTE, inFlight);
      openRating();
    }
    await publish();
    if (s.closed()) break;
    // A webhook named a callout AURA does not know (and no incident of ours created it): stop following it.
    if (s.notFoundPolls >= NOT_FOUND_LIMIT && s.incidents.length === 0) {
      log.warn('AURA does not know this callout; lifecycle ends', { auraCalloutId });
      return s.snapshot;
    }
    const info = workflowInfo();
    // Not while a note is on its way (AURA's events have no idempotency key: re-sent, it would show twice); the
    // loop keeps polling meanwhile, and a note's retries end within 10 minutes.
    if ((info.continueAsNewSuggested || info.historyLength >= s.config.continueAsNewEvents) && !inFlight) {
      await condition(allHandlersFinished);
      drain();
      if (s.closed()) openRating();
      await publish();
      if (s.closed()) break;
      // Checked again with no await before continuing: an update accepted during publish() is finished first.
      await condition(() => allHandlersFinished() && !inFlight);
      await makeContinueAsNewFunc<typeof calloutLifecycleWorkflow>({ memo: { [CALLOUT_MEMO]: s.view() } })({
        auraCalloutId,
        carried: s.carry(),
      });
    }
    if (s.nextNote() && !inFlight) void relayNotes();
    if (s.eventsDue) {
      await readInboundNotes();
      continue;
    }
    if (!s.pendingLocation) {
      if (!watch.running()) watch.start();
      await condition(() => s.wake);
      continue;
    }
    const due = s.dueAtMs();
    if (due > Date.now()) {
      const fired = timer.arm(due);
      await condition(() => s.wake || fired());
      continue; // something arrived, or the timer fired (the next pass polls if the call is due by then)
    }
    await pollOrSendLocation();
  }
  timer.stop();
  watch.stop();

  // ---- closed: stop polling and location sending; the rating window ---------------------------------------------
  s.pendingLocation = null;
  s.failQueuedNotes(CLOSED_NOTE, inFlight);
  openRating();
  if (ratingOpenedAtMs !== null) {
    const windowEndsAt = ratingOpenedAtMs + s.config.ratingWindowMs;
    // The window is also open to late arrivals (an incident attaching, a note that can only be marked failed):
    // whatever they change is published at once, not at the end of the window.
    while ((s.snapshot.rating.state as string) !== 'submitted') {
      s.wake = false;
      drain();
      await publish();
      const left = windowEndsAt - Date.now();
      if (left <= 0 || !(await condition(() => s.wake || s.snapshot.rating.state === 'submitted', left))) break;
    }
    await condition(allHandlersFinished);
    if ((s.snapshot.rating.state as string) !== 'submitted') s.bump({ rating: { state: 'expired', value: null } });
  }
  await condition(() => allHandlersFinished() && !inFlight);
  drain();
  s.bump({ done: true });
  await publish();
  // An update accepted while the last view went out finishes before the run does.
  await condition(allHandlersFinished);
  return s.snapshot;
}
