// The shapes the service exposes (contract §1 "Incident") and the callout snapshot a lifecycle workflow shares with
// the incidents attached to it. Pure types and functions: safe in workflow code.
import type { Phase, StatusState, TimelineEntry } from './status.js';

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

export interface Responder {
  callsign: string | null;
  vehicle: string | null;
  location: GeoPoint | null;
}

export interface Note {
  at: string;
  text: string;
  direction: 'outbound' | 'inbound';
  author?: string;
  /**
   * Outbound notes only: `pending` while queued for AURA (the API answered 202, so it is shown at once); `failed`
   * when it could not be delivered (AURA refused it, retries ran out, or the callout closed first); absent once sent.
   */
  delivery?: 'pending' | 'failed';
  /** Why a note failed. */
  detail?: string;
}

export type RatingState = 'not_open' | 'requested' | 'submitted' | 'expired';

export interface Rating {
  state: RatingState;
  value: number | null;
  comment?: string;
}

/**
 * What one observation of an AURA callout tells us, reduced to what the lifecycle needs. Built at the edge
 * (receiver, activities) from AURA's payloads, so no customer record reaches workflow state or history.
 */
export interface CalloutObservation {
  /** Dedupe key for the delivery or poll that produced this observation. */
  key: string;
  source: 'webhook' | 'poll' | 'api';
  event?: string;
  status: string | null;
  responder?: Responder | null;
  eta?: string | null;
  trackingUrl?: string | null;
}

/** The lifecycle workflow's view of one AURA callout, pushed to each attached incident on every change. */
export interface CalloutSnapshot extends StatusState {
  auraCalloutId: number;
  /** Bumped on each change so a receiver keeps only the newest snapshot. */
  version: number;
  /**
   * The lifecycle run chain that produced this view (its first run's start, ms; absent from v1 runs). A lifecycle
   * restarted after a termination starts again at version 0, so receivers order views by (epoch, version).
   */
  epoch?: number;
  trackingUrl: string | null;
  responder: Responder | null;
  eta: string | null;
  notes: Note[];
  rating: Rating;
  /** True once the lifecycle has nothing more to do (closed and the rating window settled). */
  done: boolean;
}

export interface IncidentFailure {
  code: string;
  message: string;
}

export interface Incident {
  incidentId: string;
  workflowId: string;
  auraCalloutId: number | null;
  status: string | null;
  phase: Phase;
  terminal: boolean;
  trackingUrl: string | null;
  responder: Responder | null;
  eta: string | null;
  timeline: TimelineEntry[];
  notes: Note[];
  rating: Rating;
  createdAt: string;
  /** Set when the incident could not be opened at AURA (for example no active subscription). */
  failure?: IncidentFailure;
  /** True when AURA answered the create with a callout another incident had already opened. */
  joined?: boolean;
  links: { self: string; temporalUi: string | null };
}

/** Whether `next` is a newer view of the callout than `current` (by run epoch, then version). */
export function isNewerView(
  current: Pick<CalloutSnapshot, 'epoch' | 'version'> | null,
  next: Pick<CalloutSnapshot, 'epoch' | 'version'>,
): boolean {
  if (current === null) return true;
  const ce = current.epoch ?? 0;
  const ne = next.epoch ?? 0;
  return ne !== ce ? ne > ce : next.version >= current.version;
}

/** Memo key under which an incident workflow keeps its current view for reads. */
export const INCIDENT_MEMO = 'incident';

/** Memo key under which a lifecycle (from v3) keeps its view of the callout, written on every change. */
export const CALLOUT_MEMO = 'callout';

/**
 * Memo key of an incident (from v3) whose lifecycle tells it only the final view: a read takes the callout part
 * from the lifecycle's memo when that is newer than the view the incident holds (epoch and version here), and
 * adds the notes only the incident holds. Written beside INCIDENT_MEMO.
 */
export const INCIDENT_SOURCE_MEMO = 'calloutSource';

export interface IncidentSource {
  epoch: number;
  version: number;
  localNotes: Note[];
}

export type IncidentRead = Omit<Incident, 'links'>;

/** What an incident holds of its own, beside the view of its callout. */
export interface IncidentOwn {
  incidentId: string;
  workflowId: string;
  auraCalloutId: number | null;
  createdAt: string;
  failure?: IncidentFailure | undefined;
  localNotes: Note[];
}

/** The incident as read: its own parts and the callout's view (the incident workflow's memo and a v3 read alike). */
export function composeIncident(
  own: IncidentOwn,
  callout: (CalloutSnapshot & { incidents: string[] }) | null,
): IncidentRead {
  return {
    incidentId: own.incidentId,
    workflowId: own.workflowId,
    auraCalloutId: own.auraCalloutId,
    status: callout?.status ?? null,
    phase: own.failure ? 'failed' : (callout?.phase ?? 'requested'),
    terminal: own.failure !== undefined || callout?.status === 'closed',
    trackingUrl: callout?.trackingUrl ?? null,
    responder: callout?.responder ?? null,
    eta: callout?.eta ?? null,
    timeline: callout?.timeline ?? [],
    notes: [...(callout?.notes ?? []), ...own.localNotes],
    rating: callout?.rating ?? { state: 'not_open', value: null },
    createdAt: own.createdAt,
    ...(own.failure ? { failure: own.failure } : {}),
    ...(callout && callout.incidents.length > 0 && callout.incidents[0] !== own.incidentId ? { joined: true } : {}),
  };
}

export function incidentWorkflowId(incidentId: string): string {
  return `incident-${incidentId}`;
}

export function lifecycleWorkflowId(auraCalloutId: number): string {
  return `aura-callout-${auraCalloutId}`;
}

export function temporalUiLink(
  uiBase: string | null | undefined,
  namespace: string,
  workflowId: string,
): string | null {
  if (!uiBase) return null;
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
