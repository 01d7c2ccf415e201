// Reading and starting incident workflows: the thin layer between HTTP routes and Temporal.
import { randomUUID } from 'node:crypto';
import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Incident } from '../domain/incident.js';
import { isWorkflowGone } from '../temporal/errors.js';
import { mapLimit } from '../lib/map-limit.js';
import {
  CALLOUT_MEMO,
  INCIDENT_MEMO,
  INCIDENT_SOURCE_MEMO,
  composeIncident,
  incidentWorkflowId,
  isNewerView,
  lifecycleWorkflowId,
  temporalUiLink,
  type IncidentSource,
} from '../domain/incident.js';
import { ACTIVE_PHASES } from '../domain/status.js';
import { CalloutPhaseKey, CalloutStatusKey, IncidentIdKey } from '../temporal/search-attributes.js';
import type { IncidentInput, IncidentRequest } from '../workflows/incident.js';
import {
  applyCalloutViewUpdate,
  cancelUpdate,
  getIncidentQuery,
  locationSignal,
  outboundNoteSignal,
  ratingUpdate,
  type CalloutView,
  type CancelRequest,
  type IncidentView,
  type LiveLocation,
  type OutboundNote,
  type RatingRequest,
} from '../workflows/messages.js';
import { ApiError } from './errors.js';
import { incidentWorkflow } from '../workflows/incident.js';

export interface IncidentServiceOptions {
  client: Client;
  taskQueue: string;
  namespace: string;
  temporalUiUrl: string | null;
}

/** Temporal being unreachable is a 503 the caller can retry, never a 500. */
/** A workflow that does not exist or has already finished (for a signal, a query or an update). */
export function temporalUnavailable(err: unknown): ApiError {
  return new ApiError(
    503,
    'TEMPORAL_UNAVAILABLE',
    `Temporal is not reachable right now; retry shortly. (${(err as Error)?.message ?? 'unknown error'})`,
  );
}

export function createIncidentService(opts: IncidentServiceOptions) {
  const { client } = opts;

  const withLinks = (v: IncidentView): Incident => {
    return {
      ...v,
      links: {
        self: `/v1/callouts/${encodeURIComponent(v.incidentId)}`,
        temporalUi: temporalUiLink(opts.temporalUiUrl, opts.namespace, v.workflowId),
      },
    };
  };

  /**
   * Reads never make a worker replay the workflow: a finished incident is read from its result, a running one from
   * the view it keeps in its memo (describe). Only a run without that memo falls back to a query. Polling reads by
   * integrators thus cost the server a describe and the workers nothing, and keep working while workers are down.
   */
  async function readView(workflowId: string): Promise<IncidentView> {
    const handle = client.workflow.getHandle(workflowId);
    const desc = await handle.describe();
    if (desc.status.name === 'COMPLETED') return (await handle.result()) as IncidentView;
    const memo = desc.memo?.[INCIDENT_MEMO] as IncidentView | undefined;
    if (memo) return withCallout(memo, desc.memo?.[INCIDENT_SOURCE_MEMO] as IncidentSource | undefined);
    return handle.query(getIncidentQuery);
  }

  /**
   * An incident told only the final views of its callout (v3) holds the callout as it was at the attach: the
   * callout part comes from the lifecycle's memo (one more describe) when that view is newer than the one held.
   */
  async function withCallout(memo: IncidentView, source: IncidentSource | undefined): Promise<IncidentView> {
    if (!source || memo.auraCalloutId === null || memo.failure) return memo;
    let callout: CalloutView | undefined;
    try {
      callout = (await client.workflow.getHandle(lifecycleWorkflowId(memo.auraCalloutId)).describe()).memo?.[
        CALLOUT_MEMO
      ] as CalloutView | undefined;
    } catch (err) {
      if (isWorkflowGone(err)) return memo;
      throw err;
    }
    if (!callout || !isNewerView(source, callout)) return memo;
    return composeIncident({ ...memo, localNotes: source.localNotes }, callout);
  }

  async function get(incidentId: string): Promise<Incident> {
    try {
      const view = await readView(incidentWorkflowId(incidentId));
      return withLinks(view);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new ApiError(404, 'INCIDENT_NOT_FOUND', `No incident with id "${incidentId}".`);
      throw temporalUnavailable(err);
    }
  }

  /** Start the incident's workflow; a repeat with the same incidentId returns the existing incident. */
  async function open(
    request: IncidentRequest,
    incidentId: string = randomUUID(),
  ): Promise<{ created: boolean; incident: Incident }> {
    const workflowId = incidentWorkflowId(incidentId);
    const createdAt = new Date().toISOString();
    const input: IncidentInput = { incidentId, request, createdAt };
    // What reads show until the workflow writes its own view into the memo.
    const initial: IncidentView = {
      incidentId,
      workflowId,
      auraCalloutId: null,
      status: null,
      phase: 'requested',
      terminal: false,
      trackingUrl: null,
      responder: null,
      eta: null,
      timeline: [],
      notes: [],
      rating: { state: 'not_open', value: null },
      createdAt,
    };
    try {
      await client.workflow.start(incidentWorkflow, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        // An incident id names one emergency forever: never a second workflow (and so never a second callout).
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        memo: { [INCIDENT_MEMO]: initial },
        typedSearchAttributes: [
          { key: IncidentIdKey, value: incidentId },
          { key: CalloutPhaseKey, value: 'requested' },
          { key: CalloutStatusKey, value: 'pending' },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        return { created: false, incident: await get(incidentId) };
      throw temporalUnavailable(err);
    }
    return { created: true, incident: withLinks(initial) };
  }

  async function list(status: 'active' | 'closed' | 'all', limit: number): Promise<Incident[]> {
    let query = `WorkflowType = '${incidentWorkflow.name}'`;
    if (status === 'active') query += ` AND CalloutPhase IN (${ACTIVE_PHASES.map((p) => `'${p}'`).join(', ')})`;
    if (status === 'closed') query += ` AND CalloutPhase IN ('closed', 'failed')`;
    const ids: string[] = [];
    // Visibility returns each incident's memo with the listing: the view it holds is the content, no call per item.
    const listed = new Map<string, IncidentView>();
    try {
      for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 500) })) {
        ids.push(wf.workflowId);
        const memo = wf.memo?.[INCIDENT_MEMO] as IncidentView | undefined;
        // A v3 incident's memo holds its callout only once closed; until then it is read with the lifecycle's.
        if (memo && (memo.terminal || !wf.memo?.[INCIDENT_SOURCE_MEMO])) listed.set(wf.workflowId, memo);
        if (ids.length >= limit) break;
      }
    } catch (err) {
      throw temporalUnavailable(err);
    }
    // Only a run without the memo (started before it existed), or one that reads its callout from the lifecycle's
    // memo, is read one by one.
    const out: (Incident | null)[] = new Array(ids.length).fill(null);
    await mapLimit(ids, 8, async (id, i) => {
      const known = listed.get(id);
      out[i] = known ? withLinks(known) : await readView(id).then(withLinks, () => null);
    });
    return out
      .filter((x): x is Incident => x !== null)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /** The incident with the callout part taken from a fresher lifecycle view (an update's answer). */
  function merge(incident: Incident, view: CalloutView): Incident {
    return {
      ...incident,
      status: view.status,
      phase: view.phase,
      terminal: view.status === 'closed',
      trackingUrl: view.trackingUrl,
      responder: view.responder,
      eta: view.eta,
      timeline: view.timeline,
      notes: view.notes,
      rating: view.rating,
    };
  }

  function closedError(): ApiError {
    return new ApiError(
      409,
      'CALLOUT_CLOSED',
      'The callout is closed: AURA accepts no more positions, notes or cancellations for it.',
    );
  }

  async function openIncident(incidentId: string): Promise<Incident> {
    const incident = await get(incidentId);
    if (incident.terminal) throw closedError();
    return incident;
  }

  /** Positions and notes go straight to the callout's lifecycle, or to the incident while it has no callout yet. */
  async function signalCallout<T>(
    incident: Incident,
    signal: typeof locationSignal | typeof outboundNoteSignal,
    arg: T,
  ): Promise<void> {
    const signalTo = (workflowId: string) =>
      client.workflow.getHandle(workflowId).signal(signal as never, arg as never);
    try {
      if (incident.auraCalloutId === null) return await signalTo(incident.workflowId);
      try {
        await signalTo(lifecycleWorkflowId(incident.auraCalloutId));
      } catch (err) {
        // The lifecycle is gone while the incident is open (terminated or failed): the incident forwards it, and
        // starts the lifecycle again on the way, rather than the caller hearing "closed" for a live callout.
        if (!isWorkflowGone(err)) throw err;
        await signalTo(incident.workflowId);
      }
    } catch (err) {
      if (isWorkflowGone(err)) throw closedError();
      throw temporalUnavailable(err);
    }
  }

  async function sendLocation(incidentId: string, location: LiveLocation): Promise<void> {
    await signalCallout(await openIncident(incidentId), locationSignal, location);
  }

  async function sendNote(incidentId: string, note: OutboundNote): Promise<void> {
    await signalCallout(await openIncident(incidentId), outboundNoteSignal, note);
  }

  async function update<A>(
    incident: Incident,
    def: typeof cancelUpdate | typeof ratingUpdate,
    arg: A,
    notOpen: () => ApiError,
  ): Promise<Incident> {
    if (incident.auraCalloutId === null) throw notOpen();
    let view: CalloutView;
    try {
      view = (await client.workflow
        .getHandle(lifecycleWorkflowId(incident.auraCalloutId))
        .executeUpdate(def as never, { args: [arg] as never })) as CalloutView;
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw updateFailure(err);
      // The lifecycle has completed (after its rating window): nothing is open any more.
      if (isWorkflowGone(err)) throw notOpen();
      throw temporalUnavailable(err);
    }
    // Read after write: the incident takes the answer into its memo before the caller hears 200, so the next GET
    // shows the cancellation or the rating. An incident that has just completed already holds the final view.
    try {
      const v = await client.workflow
        .getHandle(incident.workflowId)
        .executeUpdate(applyCalloutViewUpdate, { args: [view] });
      return withLinks(v);
    } catch (err) {
      if (!isWorkflowGone(err) && !(err instanceof WorkflowUpdateFailedError)) throw temporalUnavailable(err);
      return merge(incident, view);
    }
  }

  /** An update the lifecycle refused, as the API error the caller can act on (AURA's own message kept). */
  function updateFailure(err: WorkflowUpdateFailedError): ApiError {
    // The handler's ApplicationFailure, or an activity's failure it let through (older runs).
    let f: unknown = err.cause;
    if (f instanceof ActivityFailure) f = f.cause;
    if (!(f instanceof ApplicationFailure))
      return new ApiError(502, 'AURA_UNAVAILABLE', (f as Error)?.message ?? 'The update failed.');
    const auraMessage = (f.details?.[0] as { auraMessage?: string | null } | undefined)?.auraMessage ?? f.message;
    switch (f.type) {
      case 'CALLOUT_CLOSED':
        return closedError();
      case 'RATING_NOT_OPEN':
        return new ApiError(409, 'RATING_NOT_OPEN', f.message);
      case 'CANCEL_IN_PROGRESS':
      case 'ALREADY_CANCELLED':
        return new ApiError(409, f.type, f.message);
      case 'CANCEL_REJECTED':
        return new ApiError(422, 'CANCEL_REJECTED', `AURA refused the cancellation: ${f.message}`);
      case 'RATING_REJECTED':
        return new ApiError(422, 'RATING_REJECTED', `AURA refused the rating: ${f.message}`);
      case 'VALIDATION_FAILED':
        return new ApiError(400, 'VALIDATION_FAILED', f.message);
      default:
        // An activity's non-retryable failure that reached the caller as is: AURA answered, with a refusal.
        if (
          f.nonRetryable &&
          f.type?.startsWith('Aura') &&
          f.type !== 'AuraConnectionError' &&
          f.type !== 'AuraServerError'
        ) {
          return new ApiError(422, 'AURA_REJECTED', `AURA refused the request: ${auraMessage}`);
        }
        return new ApiError(502, 'AURA_UNAVAILABLE', f.message);
    }
  }

  async function cancel(incidentId: string, req: CancelRequest): Promise<Incident> {
    const incident = await openIncident(incidentId);
    return update(incident, cancelUpdate, req, () =>
      incident.auraCalloutId === null
        ? new ApiError(409, 'CALLOUT_PENDING', 'AURA has not confirmed the callout yet; retry in a moment.')
        : closedError(),
    );
  }

  async function rate(incidentId: string, req: RatingRequest): Promise<Incident> {
    const incident = await get(incidentId);
    return update(
      incident,
      ratingUpdate,
      req,
      () => new ApiError(409, 'RATING_NOT_OPEN', 'The rating is not open for this incident.'),
    );
  }

  return { get, open, list, sendLocation, sendNote, cancel, rate };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
