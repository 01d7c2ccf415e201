// RELEASED CODE, FROZEN: the workflow as it ran before the v3 release (issue 13: less work per callout). Runs started
// by it replay and finish on it; the current entry point sends them here (patched() at start). Never edit it: the
// recorded histories in test/fixtures/histories/v2 replay against it. Delete it once no v2 run is open.
// One workflow per incident (workflow id `incident-<incidentId>`): creates the AURA callout (exactly once), attaches
// to that callout's lifecycle, keeps a copy of the lifecycle's view in its memo so that a read is one describe,
// writes every status change and note back to the platform (when PLATFORM_EVENTS_URL is set), and makes sure a
// lifecycle follows the callout until it closes (one that died is started again). Its state lives in IncidentState.
import {
  ActivityFailure,
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
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as callouts from '../../activities/callouts.js';
import type { PlatformActivities } from '../../activities/platform.js';
import type { FixedLocationActivities } from '../../activities/fixed-locations.js';
import { INCIDENT_MEMO, lifecycleWorkflowId } from '../../domain/incident.js';
import type { PlatformEvent } from '../../domain/platform.js';
import { AuraCalloutIdKey, CalloutPhaseKey, CalloutStatusKey } from '../../temporal/search-attributes.js';
import type { WorkflowConfig } from '../config.js';
import { IncidentState, type IncidentCarry } from '../incident-state.js';
import { CLOSED_NOTE } from '../lifecycle-state.js';
import {
  applyCalloutViewUpdate,
  calloutUpdatedSignal,
  getIncidentQuery,
  locationSignal,
  outboundNoteSignal,
  type CalloutView,
  type IncidentView,
  type LiveLocation,
  type OutboundNote,
} from '../messages.js';
import { incidentWorkflowV1 } from './incident-v1.js';
import { lateBound } from '../late.js';
import { PRIORITY } from '../priority.js';
import { memoWriter, searchAttributeWriter } from '../write-on-change.js';

export type { IncidentCarry } from '../incident-state.js';

export interface IncidentRequest {
  /** The AURA customer (absent for a Fixed Location callout). */
  customerId?: number | undefined;
  responseTypeId: number;
  location?: LiveLocation | undefined;
  predefinedLocationId?: number | undefined;
  notes?: string | undefined;
  test?: boolean | undefined;
  /** Alarm dispatch: create AURA's Fixed Location callout by external reference instead of a customer callout. */
  fixedLocation?: { externalReferenceId: string; fixedLocationId?: number | undefined } | undefined;
}

export interface IncidentInput {
  incidentId: string;
  request: IncidentRequest;
  createdAt: string;
  carried?: IncidentCarry;
}

/** Marks runs of this code; runs started before it finish on the released v1. */
export const INCIDENT_V2 = 'incident-v2';

/** Without a view from its lifecycle for this long, the incident checks that one still follows the callout. */
export const DEFAULT_LIFECYCLE_LIVENESS_MS = 5 * 60_000;

type Acts = ReturnType<typeof callouts.createCalloutActivities> & PlatformActivities;

const { getWorkflowConfig, attachToLifecycle } = proxyLocalActivities<Acts>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});

// Write-back is retried until the platform accepts it; each event carries a stable idempotency id.
const { postPlatformEvent } = proxyActivities<Acts>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function incidentWorkflowV2(input: IncidentInput): Promise<IncidentView> {
  if (!patched(INCIDENT_V2)) return incidentWorkflowV1(input as Parameters<typeof incidentWorkflowV1>[0]);
  // Registered before the first await (an update delivered in the first activation would otherwise be rejected):
  // a cancellation's or rating's answer, handed over by the API, is in the memo before the API answers 200.
  const takeAnswer = lateBound<(v: CalloutView) => IncidentView>();
  setHandler(applyCalloutViewUpdate, async (v) => (await takeAnswer.get())(v));
  const config: WorkflowConfig = input.carried?.config ?? (await getWorkflowConfig());
  const s = new IncidentState(input.incidentId, input.createdAt, config, input.request, Date.now(), input.carried);
  const livenessMs = s.config.lifecycleLivenessMs ?? DEFAULT_LIFECYCLE_LIVENESS_MS;
  const aura = proxyActivities<Acts & FixedLocationActivities>({
    taskQueue: s.config.auraTaskQueue,
    // Above the worst case of one attempt (a token exchange, then each of its AURA calls: the pacer's bound and the
    // request timeout), derived by the worker from the client's numbers. Temporal must never retry a create whose
    // attempt is still running: that one would still send its POST (the attempt also aborts its own calls at this
    // deadline and on cancellation). Runs recorded before the config carried it keep the old 15 s.
    startToCloseTimeout: s.config.auraCreateAttemptTimeoutMs ?? '15s',
    // What keeps the retry soon when a worker is lost with its create (the callout it may have made is then still
    // active and can be found: AURA lists only active callouts); the attempt heartbeats every second, which is also
    // how a cancellation reaches it.
    heartbeatTimeout: '10s',
    // Creating the callout is what the person in danger waits for: retry transient failures for a long time,
    // never a request AURA refused (those fail at once, marked non-retryable by the activity).
    scheduleToCloseTimeout: '15m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' },
    // A new emergency goes ahead of everything else waiting for the Panic API cap (src/workflows/priority.ts).
    priority: { priorityKey: PRIORITY.create },
  });
  const workflowId = workflowInfo().workflowId;
  const view = () => s.view(workflowId);
  const writeSearchAttributes = searchAttributeWriter();
  // The API reads a running incident from this memo (describe), not by a query: no worker has to replay the
  // workflow to answer a read, however often integrators poll. Written only when the view changed.
  const memo = memoWriter<IncidentView>(INCIDENT_MEMO);
  const writeMemo = () => memo(view());

  setHandler(getIncidentQuery, view);
  setHandler(calloutUpdatedSignal, (v) => void s.takeView(v, Date.now()));
  setHandler(locationSignal, (loc) => s.location(loc));
  setHandler(outboundNoteSignal, (n) => s.note(n));
  takeAnswer.set((v) => {
    if (s.takeView(v, Date.now())) writeMemo();
    return view();
  });

  // Platform events go out one at a time, in order, each retried until accepted, beside the main loop: a platform
  // outage never holds up the incident, its reads or its continue-as-new (the outbox is carried; ids are stable).
  let sending = false;
  const pump = async () => {
    if (sending) return;
    sending = true;
    try {
      while (s.outbox.length) {
        await postPlatformEvent(s.outbox[0]!);
        s.outbox.shift();
      }
    } finally {
      sending = false;
    }
  };
  const queuePlatform = (events: PlatformEvent[]) => {
    if (!s.config.platformEvents || !events.length) return;
    s.outbox.push(...events);
    void pump();
  };
  if (s.outbox.length) void pump();

  /** Start the lifecycle again (or just re-attach) carrying what is to be forwarded; false if it has completed. */
  async function reattach(extra: { location?: LiveLocation; notes: OutboundNote[] }): Promise<boolean> {
    const r = await attachToLifecycle({
      auraCalloutId: s.auraCalloutId!,
      incidentId: input.incidentId,
      incidentWorkflowId: workflowId,
      test: input.request.test === true,
      ...(extra.location ? { location: extra.location } : {}),
      notes: extra.notes,
      ...(s.callout ? { resume: s.callout } : {}),
      restart: 'if-failed',
    });
    return r?.attached !== false;
  }

  if (!input.carried) {
    queuePlatform([
      {
        id: `${input.incidentId}:aura-requested`,
        type: 'incident.aura_requested',
        incidentId: input.incidentId,
        auraCalloutId: null,
        occurredAt: input.createdAt,
        phase: 'requested',
        action: 'response_requested',
      },
    ]);
    try {
      const req = input.request;
      const created = req.fixedLocation
        ? await aura.createFixedLocationCallout({
            incidentId: input.incidentId,
            ...req.fixedLocation,
            responseTypeId: req.responseTypeId,
            test: req.test,
          })
        : await aura.createCallout({ incidentId: input.incidentId, ...req, customerId: req.customerId ?? 0 });
      s.auraCalloutId = created.auraCalloutId;
      const handed = s.handOver();
      try {
        // A view already came from the lifecycle (a webhook started it while this create's answer waited, say for a
        // worker): it exists or existed, so a run that has completed is not started again (the callout is closed).
        const r = await attachToLifecycle({
          auraCalloutId: s.auraCalloutId,
          incidentId: input.incidentId,
          incidentWorkflowId: workflowId,
          observation: created.observation,
          test: req.test === true,
          ...handed,
          ...(s.callout ? { restart: 'if-failed' as const } : {}),
        });
        if (r?.attached === false) s.notesUndeliverable(handed.notes, CLOSED_NOTE);
      } catch (err) {
        s.handBack(handed);
        throw err;
      }
      writeMemo();
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      const details =
        cause instanceof ApplicationFailure
          ? (cause.details?.[0] as { code?: string; auraMessage?: string } | undefined)
          : undefined;
      s.failure = {
        code: details?.code ?? 'CALLOUT_CREATE_FAILED',
        message: details?.auraMessage ?? (cause as Error)?.message ?? 'AURA callout could not be created',
      };
      // Notes taken with a 202 while the create was failing are kept on the incident, never dropped.
      s.notesUndeliverable(
        [...s.earlyNotes.splice(0), ...(s.takeForward()?.notes ?? [])],
        'The AURA callout could not be created.',
      );
      upsertSearchAttributes([
        { key: CalloutPhaseKey, value: 'failed' },
        { key: CalloutStatusKey, value: 'failed' },
      ]);
      queuePlatform([
        {
          id: `${input.incidentId}:failed`,
          type: 'incident.failed',
          incidentId: input.incidentId,
          auraCalloutId: null,
          occurredAt: input.createdAt,
          phase: 'failed',
          detail: s.failure.message,
        },
        ...s.platformEvents(),
      ]);
      writeMemo();
      await condition(() => s.outbox.length === 0 && !sending);
      return view();
    }
  }
  if (s.failure) return view();

  // One timer per quiet spell, not one per pass of the loop: it is due only when no view came for livenessMs.
  let livenessDue = false;
  let lifecycleCompleted = false;
  void (async () => {
    while (!lifecycleCompleted && s.callout?.status !== 'closed') {
      const wait = s.lastViewAtMs + livenessMs - Date.now();
      if (wait > 0) {
        await sleep(wait);
        continue;
      }
      livenessDue = true;
      await condition(() => !livenessDue);
    }
  })();

  while (true) {
    await condition(() => s.viewKey() !== s.flushedVersion || s.hasForward() || livenessDue);
    const fwd = s.takeForward();
    if (fwd) {
      const lifecycle = getExternalWorkflowHandle(lifecycleWorkflowId(s.auraCalloutId!));
      let gone = false;
      try {
        if (fwd.location) await lifecycle.signal(locationSignal, fwd.location);
        for (const n of fwd.notes) await lifecycle.signal(outboundNoteSignal, n);
      } catch (err) {
        gone = true;
        log.warn('lifecycle not reachable; attaching again', { error: (err as Error).message });
      }
      // The lifecycle has ended. If the callout is closed, AURA takes no more notes: say so. Otherwise it died
      // (terminated or failed): start it again, carrying what was to be forwarded (signals are idempotent by key).
      if (gone) {
        if (s.callout?.status === 'closed' || s.callout?.done || !(await reattach(fwd)))
          s.notesUndeliverable(fwd.notes, CLOSED_NOTE);
      }
    }
    // Nothing from the lifecycle for a while, and the callout is not closed: make sure one still follows it.
    if (livenessDue) {
      s.lastViewAtMs = Date.now();
      if (s.callout?.status !== 'closed' && !(await reattach({ notes: [] }))) lifecycleCompleted = true;
      livenessDue = false;
    }
    const key = s.viewKey();
    if (key !== s.flushedVersion) {
      s.flushedVersion = key;
      const cv = s.callout;
      if (cv) {
        writeSearchAttributes([
          { key: AuraCalloutIdKey, value: cv.auraCalloutId },
          { key: CalloutStatusKey, value: cv.status ?? 'pending' },
          { key: CalloutPhaseKey, value: cv.phase },
        ]);
      }
      queuePlatform(s.platformEvents());
      writeMemo();
    }
    if (s.callout?.done) break;

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= s.config.continueAsNewEvents) {
      // The platform outbox is carried: an outage never holds this up. An update accepted meanwhile finishes first;
      // nothing is awaited between that check and the call.
      await condition(allHandlersFinished);
      await makeContinueAsNewFunc<typeof incidentWorkflowV2>({ memo: { [INCIDENT_MEMO]: view() } })({
        ...input,
        carried: s.carry(),
      });
    }
  }
  lifecycleCompleted = true;
  await condition(() => allHandlersFinished() && s.outbox.length === 0 && !sending);
  return view();
}
