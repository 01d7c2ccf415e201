// RELEASED CODE, FROZEN: the workflow as it ran before the v2 rewrite. Runs started by it replay and finish on it;
// the current entry point sends them here (patched() at start). Never edit it: the recorded histories in
// test/fixtures/histories/v1 replay against it. Delete it once no v1 run is open.
// One workflow per incident (workflow id `incident-<incidentId>`): creates the AURA callout (exactly once), attaches
// to that callout's lifecycle, keeps a copy of the lifecycle's view so that a read is one query, and writes every
// status change and note back to the platform (when PLATFORM_EVENTS_URL is set).
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { memoWriter, searchAttributeWriter } from '../write-on-change.js';
import type * as callouts from '../../activities/callouts.js';
import type { PlatformActivities } from '../../activities/platform.js';
import type { FixedLocationActivities } from '../../activities/fixed-locations.js';
import type { IncidentFailure } from '../../domain/incident.js';
import { INCIDENT_MEMO, lifecycleWorkflowId } from '../../domain/incident.js';
import { platformEventsForChange, type PlatformEvent } from '../../domain/platform.js';
import { phaseOfStatus } from '../../domain/status.js';
import { AuraCalloutIdKey, CalloutPhaseKey, CalloutStatusKey } from '../../temporal/search-attributes.js';
import type { WorkflowConfig } from '../config.js';
import {
  calloutUpdatedSignal,
  getIncidentQuery,
  locationSignal,
  outboundNoteSignal,
  type CalloutView,
  type IncidentView,
  type LiveLocation,
  type OutboundNote,
} from '../messages.js';

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

export interface IncidentCarry {
  config: WorkflowConfig;
  auraCalloutId: number | null;
  callout: CalloutView | null;
  failure?: IncidentFailure;
  outbox: PlatformEvent[];
  reported: { timeline: number; notes: number; ratingRequested: boolean };
}

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

export async function incidentWorkflowV1(input: IncidentInput): Promise<IncidentView> {
  const c = input.carried;
  const config = c?.config ?? (await getWorkflowConfig());
  const aura = proxyActivities<Acts & FixedLocationActivities>({
    taskQueue: config.auraTaskQueue,
    // Short: a create lost with its worker is retried soon, while the callout it may have made is still active and
    // so can be found (AURA lists only active callouts and has no idempotency key for creates).
    startToCloseTimeout: '15s',
    // Creating the callout is what the person in danger waits for: retry transient failures for a long time,
    // never a request AURA refused (those fail at once, marked non-retryable by the activity).
    scheduleToCloseTimeout: '15m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' },
  });

  let failure: IncidentFailure | undefined = c?.failure;
  let auraCalloutId: number | null = c?.auraCalloutId ?? null;
  let callout: CalloutView | null = c?.callout ?? null;
  let attached = auraCalloutId !== null;
  let flushedVersion = -1;
  const writeSearchAttributes = searchAttributeWriter();
  const outbox: PlatformEvent[] = [...(c?.outbox ?? [])];
  const reported = c?.reported ?? { timeline: 0, notes: 0, ratingRequested: false };
  // Position and notes that arrive before the AURA callout exists travel with the attach.
  let earlyLocation: LiveLocation | undefined = input.request.location;
  const earlyNotes: OutboundNote[] = input.request.notes
    ? [{ key: `${input.incidentId}:initial-notes`, text: input.request.notes, at: input.createdAt, author: 'intake' }]
    : [];
  const lateForward: { location?: LiveLocation; notes: OutboundNote[] } = { notes: [] };

  const view = (): IncidentView => ({
    incidentId: input.incidentId,
    workflowId: workflowInfo().workflowId,
    auraCalloutId,
    status: callout?.status ?? null,
    phase: failure ? 'failed' : (callout?.phase ?? 'requested'),
    terminal: failure !== undefined || callout?.status === 'closed',
    trackingUrl: callout?.trackingUrl ?? null,
    responder: callout?.responder ?? null,
    eta: callout?.eta ?? null,
    timeline: callout?.timeline ?? [],
    notes: callout?.notes ?? [],
    rating: callout?.rating ?? { state: 'not_open', value: null },
    createdAt: input.createdAt,
    ...(failure ? { failure } : {}),
    ...(callout && callout.incidents.length > 0 && callout.incidents[0] !== input.incidentId ? { joined: true } : {}),
  });

  setHandler(getIncidentQuery, view);
  // The API reads a running incident from this memo (describe), not by a query: no worker has to replay the
  // workflow to answer a read, however often integrators poll. Written only when the view changed.
  const memo = memoWriter<IncidentView>(INCIDENT_MEMO);
  const writeMemo = () => memo(view());
  setHandler(calloutUpdatedSignal, (snap) => {
    // Signals may be duplicated or reordered: keep only the newest view of the callout.
    if (callout === null || snap.version >= callout.version) callout = snap;
  });
  // The API sends positions and notes to the lifecycle once the callout exists; these cover the moments before.
  setHandler(locationSignal, (loc) => {
    if (attached) lateForward.location = loc;
    else earlyLocation = loc;
  });
  setHandler(outboundNoteSignal, (note) => {
    if (attached) lateForward.notes.push(note);
    else earlyNotes.push(note);
  });

  // Platform events go out one at a time, in order, each retried until accepted, beside the main loop so that a
  // platform outage never holds up the incident itself.
  let sending = false;
  const pump = async () => {
    if (sending) return;
    sending = true;
    try {
      while (outbox.length) {
        await postPlatformEvent(outbox[0]!);
        outbox.shift();
      }
    } finally {
      sending = false;
    }
  };
  const queuePlatform = (events: PlatformEvent[]) => {
    if (!config.platformEvents || !events.length) return;
    outbox.push(...events);
    void pump();
  };
  const platformSettled = () => outbox.length === 0 && !sending;
  if (outbox.length) void pump();

  if (!c) {
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
      auraCalloutId = created.auraCalloutId;
      await attachToLifecycle({
        auraCalloutId,
        incidentId: input.incidentId,
        incidentWorkflowId: workflowInfo().workflowId,
        observation: created.observation,
        test: input.request.test === true,
        ...(earlyLocation && !input.request.predefinedLocationId ? { location: earlyLocation } : {}),
        notes: earlyNotes,
      });
      attached = true;
      writeMemo();
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      const details =
        cause instanceof ApplicationFailure
          ? (cause.details?.[0] as { code?: string; auraMessage?: string } | undefined)
          : undefined;
      failure = {
        code: details?.code ?? 'CALLOUT_CREATE_FAILED',
        message: details?.auraMessage ?? (cause as Error)?.message ?? 'AURA callout could not be created',
      };
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
          detail: failure.message,
        },
      ]);
      writeMemo();
      await condition(platformSettled);
      return view();
    }
  }
  if (failure) return view();

  while (true) {
    await condition(
      () =>
        (callout !== null && callout.version !== flushedVersion) ||
        lateForward.location !== undefined ||
        lateForward.notes.length > 0,
    );
    if (lateForward.location || lateForward.notes.length) {
      const lifecycle = getExternalWorkflowHandle(lifecycleWorkflowId(auraCalloutId!));
      const loc = lateForward.location;
      const notes = lateForward.notes.splice(0);
      delete lateForward.location;
      if (loc) await lifecycle.signal(locationSignal, loc).catch(() => undefined);
      for (const n of notes) await lifecycle.signal(outboundNoteSignal, n).catch(() => undefined);
    }
    const cv = callout as CalloutView | null;
    if (cv && cv.version !== flushedVersion) {
      flushedVersion = cv.version;
      writeSearchAttributes([
        { key: AuraCalloutIdKey, value: cv.auraCalloutId },
        { key: CalloutStatusKey, value: cv.status ?? 'pending' },
        { key: CalloutPhaseKey, value: cv.phase },
      ]);
      const ratingRequested = cv.rating.state !== 'not_open';
      queuePlatform(
        platformEventsForChange(
          input.incidentId,
          cv.auraCalloutId,
          {
            timeline: cv.timeline.slice(0, reported.timeline),
            notes: cv.notes.slice(0, reported.notes),
            ratingRequested: reported.ratingRequested,
          },
          {
            timeline: cv.timeline,
            notes: cv.notes,
            eta: cv.eta,
            ratingRequested,
            phaseOf: (s) => phaseOfStatus(s) ?? cv.phase,
          },
        ),
      );
      reported.timeline = cv.timeline.length;
      reported.notes = cv.notes.length;
      reported.ratingRequested = ratingRequested;
      writeMemo();
    }
    if (cv?.done) break;

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= config.continueAsNewEvents) {
      await condition(() => allHandlersFinished() && !sending);
      await makeContinueAsNewFunc<typeof incidentWorkflowV1>({ memo: { [INCIDENT_MEMO]: view() } })({
        ...input,
        carried: { config, auraCalloutId, callout, outbox: [...outbox], reported, ...(failure ? { failure } : {}) },
      });
    }
  }
  await condition(() => allHandlersFinished() && platformSettled());
  return view();
}
