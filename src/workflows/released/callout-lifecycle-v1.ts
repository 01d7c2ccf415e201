// RELEASED CODE, FROZEN: the workflow as it ran before the v2 rewrite. Runs started by it replay and finish on it;
// the current entry point sends them here (patched() at start). Never edit it: the recorded histories in
// test/fixtures/histories/v1 replay against it. Delete it once no v1 run is open.
// One lifecycle per AURA callout (workflow id `aura-callout-<id>`). Started by whichever comes first: the incident
// that created the callout (attach) or AURA's first webhook about it (so an early webhook is kept). A second incident
// that AURA answers with the same active callout attaches here too: one AURA callout, one lifecycle.
//
// Webhooks are hints, polling is the ledger: the loop polls on an interval whatever the webhooks say (fast while
// they are silent, slow while they flow), sends the newest customer position in place of a poll, relays notes both
// ways, and stops polling at `closed`. Then the rating window opens, and the workflow completes when it settles.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type * as callouts from '../../activities/callouts.js';
import { applyObservation, initialSnapshot } from '../../domain/callout.js';
import { searchAttributeWriter } from '../write-on-change.js';
import { failureOf } from './failure-of.js';
import type { CalloutObservation, CalloutSnapshot, Note } from '../../domain/incident.js';
import { CalloutStatus, isTerminalStatus } from '../../domain/status.js';
import {
  AuraCalloutIdKey,
  CalloutPhaseKey,
  CalloutStatusKey,
  IncidentIdKey,
} from '../../temporal/search-attributes.js';
import type { WorkflowConfig } from '../config.js';
import {
  attachIncidentSignal,
  calloutObservedSignal,
  calloutUpdatedSignal,
  cancelUpdate,
  getCalloutQuery,
  locationSignal,
  outboundNoteSignal,
  ratingUpdate,
  type AttachIncident,
  type CalloutView,
  type LiveLocation,
  type OutboundNote,
} from '../messages.js';

export interface LifecycleInput {
  auraCalloutId: number;
  /** Present after continue-as-new: the whole state of the previous run. */
  carried?: LifecycleCarry;
}

export interface LifecycleCarry {
  config: WorkflowConfig;
  snapshot: CalloutSnapshot;
  incidents: { incidentId: string; workflowId: string }[];
  /** Everything that arrived and was not yet handled, so nothing is dropped across continue-as-new. */
  pending: CalloutObservation[];
  pendingLocation: LiveLocation | null;
  outbox: OutboundNote[];
  noteKeys: string[];
  auraEventIds: number[];
  eventsDue: boolean;
  test: boolean;
  lastCallAtMs: number;
  webhooksTrusted: boolean;
  polls: number;
  notifiedVersion: number;
}

type Acts = ReturnType<typeof callouts.createCalloutActivities>;

/** Consecutive 404 polls after which a lifecycle no incident attached to gives up. */
const NOT_FOUND_LIMIT = 5;

const { getWorkflowConfig } = proxyLocalActivities<Acts>({ startToCloseTimeout: '5s' });

export async function calloutLifecycleWorkflowV1(input: LifecycleInput): Promise<CalloutSnapshot> {
  const c = input.carried;
  const config: WorkflowConfig = c?.config ?? (await getWorkflowConfig());
  const auraCalloutId = input.auraCalloutId;
  const aura = proxyActivities<Acts>({
    taskQueue: config.auraTaskQueue,
    startToCloseTimeout: '30s',
    // A failed poll is not fatal: the next poll (or a webhook) brings the state.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
  });
  // What a person asked for (a note, a cancellation, a rating) is retried for longer.
  const auraPersistent = proxyActivities<Acts>({
    taskQueue: config.auraTaskQueue,
    startToCloseTimeout: '30s',
    scheduleToCloseTimeout: '10m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  });

  const writeSearchAttributes = searchAttributeWriter();
  let snapshot = c?.snapshot ?? initialSnapshot(auraCalloutId);
  const incidents = c?.incidents ?? [];
  const pending: CalloutObservation[] = [...(c?.pending ?? [])];
  let pendingLocation: LiveLocation | null = c?.pendingLocation ?? null;
  const outbox: OutboundNote[] = [...(c?.outbox ?? [])];
  const noteKeys = new Set<string>(c?.noteKeys ?? []);
  const auraEventIds = new Set<number>(c?.auraEventIds ?? []);
  let eventsDue = c?.eventsDue ?? false;
  let test = c?.test ?? false;
  let lastCallAtMs = c?.lastCallAtMs ?? Date.now();
  // Webhooks earn trust by reporting a transition before a poll does, and lose it when a poll finds one they missed
  // ("a webhook was expected but has not come"): poll slowly while trusted, fast otherwise.
  let webhooksTrusted = c?.webhooksTrusted ?? false;
  let polls = c?.polls ?? 0;
  let notifiedVersion = c?.notifiedVersion ?? -1;
  let newlyAttached: string[] = [];
  let notFoundPolls = 0;
  let wake = false;

  const view = (): CalloutView => ({ ...snapshot, incidents: incidents.map((i) => i.incidentId) });
  const closed = () => isTerminalStatus(snapshot.status);
  const bump = (patch: Partial<CalloutSnapshot>) => {
    snapshot = { ...snapshot, ...patch, version: snapshot.version + 1 };
    wake = true;
  };
  const addNote = (note: Note) => bump({ notes: [...snapshot.notes, note] });
  const queueNote = (n: OutboundNote) => {
    if (noteKeys.has(n.key)) return; // a retried signal
    noteKeys.add(n.key);
    outbox.push(n);
    wake = true;
  };

  setHandler(getCalloutQuery, view);
  // Signal handlers only record; the main loop applies, in order of arrival.
  setHandler(calloutObservedSignal, (obs) => {
    pending.push(obs);
    wake = true;
  });
  setHandler(attachIncidentSignal, (a: AttachIncident) => {
    if (!incidents.some((i) => i.incidentId === a.incidentId))
      incidents.push({ incidentId: a.incidentId, workflowId: a.workflowId });
    // Always (re)send the current view to the attaching incident, also on a retried attach.
    newlyAttached.push(a.workflowId);
    if (a.test) test = true;
    if (a.observation) pending.push(a.observation);
    if (a.location && !closed()) pendingLocation = a.location;
    for (const n of a.notes ?? []) queueNote(n);
    wake = true;
  });
  setHandler(locationSignal, (loc) => {
    if (closed()) return; // AURA refuses positions after closed; the API answers 409 before this.
    if (!pendingLocation) wake = true;
    pendingLocation = loc; // bursts coalesce: only the newest is sent
  });
  setHandler(outboundNoteSignal, (n) => {
    if (!closed()) queueNote(n);
  });

  setHandler(
    cancelUpdate,
    async (req) => {
      const reasons = req.reasons ?? [];
      try {
        for (const reason of reasons) await auraPersistent.linkExceptionReason({ auraCalloutId, notes: reason });
        const obs = await auraPersistent.cancelCallout({ auraCalloutId, safeCode: req.safeCode });
        pending.push(obs);
        drain();
      } catch (err) {
        const f = failureOf(err);
        const auraMessage = (f?.details?.[0] as { auraMessage?: string } | undefined)?.auraMessage;
        if (f && f.nonRetryable)
          throw ApplicationFailure.nonRetryable(auraMessage ?? f.message, 'CANCEL_REJECTED', f.details?.[0]);
        throw ApplicationFailure.nonRetryable(
          `AURA could not be reached to cancel: ${(err as Error).message}`,
          'CANCEL_FAILED',
        );
      }
      const who = req.safeCode !== undefined ? 'customer (safe code)' : 'integration';
      addNote({
        at: new Date().toISOString(),
        text: `Cancellation requested by ${who}${reasons.length ? `: ${reasons.join(', ')}` : ''}`,
        direction: 'outbound',
      });
      return view();
    },
    {
      validator: (req) => {
        if (closed()) throw ApplicationFailure.nonRetryable('The callout is closed.', 'CALLOUT_CLOSED');
        if (req.safeCode !== undefined && req.reasons !== undefined)
          throw ApplicationFailure.nonRetryable('Give safeCode or reasons, not both.', 'VALIDATION_FAILED');
      },
    },
  );

  setHandler(
    ratingUpdate,
    async (req) => {
      await auraPersistent.submitRating({ auraCalloutId, rating: req.rating, comment: req.comment });
      bump({ rating: { state: 'submitted', value: req.rating, ...(req.comment ? { comment: req.comment } : {}) } });
      return view();
    },
    {
      validator: (_req) => {
        if (snapshot.rating.state !== 'requested') {
          throw ApplicationFailure.nonRetryable(
            `The rating is not open (it is ${snapshot.rating.state}).`,
            'RATING_NOT_OPEN',
          );
        }
      },
    },
  );

  function drain(): void {
    while (pending.length) {
      const obs = pending.shift()!;
      if (obs.source === 'webhook' && obs.event === 'CALLOUT_EVENTS_CHANGED') eventsDue = true;
      const r = applyObservation(snapshot, obs, new Date().toISOString());
      if (r.transitioned && obs.source === 'poll') webhooksTrusted = false;
      // NEW_CALLOUT answers our own create call; it says nothing about whether AURA's later events will come.
      if (r.transitioned && obs.source === 'webhook' && obs.event !== 'NEW_CALLOUT') webhooksTrusted = true;
      if (r.transitioned)
        log.info('callout status changed', { auraCalloutId, status: r.snapshot.status, source: obs.source });
      if (r.changed) wake = true;
      snapshot = r.snapshot;
    }
    if (closed()) pendingLocation = null;
  }

  async function publish(): Promise<void> {
    const changed = snapshot.version !== notifiedVersion;
    const targets = changed ? incidents.map((i) => i.workflowId) : [...new Set(newlyAttached)];
    newlyAttached = [];
    if (changed) {
      writeSearchAttributes([
        { key: AuraCalloutIdKey, value: auraCalloutId },
        { key: CalloutStatusKey, value: snapshot.status ?? 'pending' },
        { key: CalloutPhaseKey, value: snapshot.phase },
        ...(incidents[0] ? [{ key: IncidentIdKey, value: incidents[0].incidentId }] : []),
      ]);
      notifiedVersion = snapshot.version;
    }
    if (!targets.length) return;
    const payload = view();
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

  /** One call to AURA that reads the callout: the newest position with "return callout" when we have one. */
  async function pollOrSendLocation(): Promise<void> {
    lastCallAtMs = Date.now();
    polls++;
    const loc = pendingLocation;
    pendingLocation = null;
    try {
      const obs = loc
        ? await aura.sendLocation({ auraCalloutId, location: loc })
        : await aura.pollCallout({ auraCalloutId });
      notFoundPolls = 0;
      pending.push(obs);
    } catch (err) {
      if (loc && !pendingLocation) pendingLocation = loc; // not sent: keep it unless a newer one came
      if (failureOf(err)?.type === 'AuraNotFoundError') notFoundPolls++;
      log.warn('poll failed; the next one will try again', { auraCalloutId, error: (err as Error).message });
    }
    if (polls % config.eventsEveryPolls === 0) eventsDue = true;
  }

  async function relayNotes(): Promise<void> {
    while (outbox.length && !closed()) {
      const note = outbox[0]!;
      try {
        const sent = await auraPersistent.sendCalloutEvent({
          auraCalloutId,
          message: note.author ? `${note.author}: ${note.text}` : note.text,
        });
        if (sent.id != null) auraEventIds.add(sent.id);
        addNote({
          at: note.at,
          text: note.text,
          direction: 'outbound',
          ...(note.author ? { author: note.author } : {}),
        });
      } catch (err) {
        log.warn('note could not be sent to AURA', { auraCalloutId, error: (err as Error).message });
        addNote({
          at: note.at,
          text: note.text,
          direction: 'outbound',
          delivery: 'failed',
          ...(note.author ? { author: note.author } : {}),
        });
      }
      outbox.shift();
    }
  }

  async function readInboundNotes(): Promise<void> {
    eventsDue = false;
    try {
      const events = await aura.listCalloutEvents({ auraCalloutId });
      for (const e of events) {
        if (auraEventIds.has(e.id)) continue;
        auraEventIds.add(e.id);
        if (e.fromIntegration) continue; // our own notes, echoed back by AURA's stream
        addNote({
          at: e.createdAt ?? new Date().toISOString(),
          text: e.text,
          direction: 'inbound',
          ...(e.author ? { author: e.author } : {}),
        });
      }
    } catch (err) {
      log.warn('could not read callout events', { auraCalloutId, error: (err as Error).message });
    }
  }

  const carry = (): LifecycleCarry => ({
    config,
    snapshot,
    incidents,
    pending: [...pending],
    pendingLocation,
    outbox: [...outbox],
    noteKeys: [...noteKeys],
    auraEventIds: [...auraEventIds],
    eventsDue,
    test,
    lastCallAtMs,
    webhooksTrusted,
    polls,
    notifiedVersion,
  });

  // ---- following the callout until closed -----------------------------------------------------------------------
  while (true) {
    drain();
    await publish();
    if (closed()) break;
    // A webhook named a callout AURA does not know (and no incident of ours created it): stop following it.
    if (notFoundPolls >= NOT_FOUND_LIMIT && incidents.length === 0) {
      log.warn('AURA does not know this callout; lifecycle ends', { auraCalloutId });
      return snapshot;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= config.continueAsNewEvents) {
      await condition(allHandlersFinished);
      drain();
      await publish();
      if (closed()) break;
      await continueAsNew<typeof calloutLifecycleWorkflowV1>({ auraCalloutId, carried: carry() });
    }
    if (outbox.length) {
      await relayNotes();
      continue;
    }
    if (eventsDue) {
      await readInboundNotes();
      continue;
    }

    const interval = webhooksTrusted ? config.pollIntervalSlowMs : config.pollIntervalMs;
    const dueAt = lastCallAtMs + (pendingLocation ? Math.min(interval, config.pollIntervalMs) : interval);
    const wait = dueAt - Date.now();
    if (wait > 0) {
      wake = false;
      const woke = await condition(() => wake, wait);
      if (woke) continue; // something arrived: handle it, then work out the schedule again
    }
    await pollOrSendLocation();
  }

  // ---- closed: stop polling and location sending; the rating window ---------------------------------------------
  pendingLocation = null;
  const cancelled = snapshot.timeline.some((t) => t.status === CalloutStatus.ResponderCancelled);
  const rateIt = incidents.length > 0 && (!cancelled || config.rateCancelled) && (!test || config.rateTest);
  if (rateIt && snapshot.rating.state === 'not_open') {
    bump({ rating: { state: 'requested', value: null } });
    await publish();
    const submitted = await condition(() => snapshot.rating.state === 'submitted', config.ratingWindowMs);
    await condition(allHandlersFinished);
    if (!submitted && (snapshot.rating.state as string) !== 'submitted')
      bump({ rating: { state: 'expired', value: null } });
  }
  await condition(allHandlersFinished);
  drain();
  bump({ done: true });
  await publish();
  return snapshot;
}
