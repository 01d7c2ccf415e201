// Write-back to the monitoring platform / app backend: what each AURA status or event means for the platform
// (the monitoring-platforms seed's table), and the events the service POSTs to PLATFORM_EVENTS_URL. Pure: shared by
// the incident workflow, the API and tests.
import type { Note } from './incident.js';
import { CalloutStatus, type TimelineEntry } from './status.js';

/** Platform actions of the seed's table, in its words. */
export type PlatformAction =
  | 'response_requested'
  | 'responder_dispatched'
  | 'eta_available'
  | 'responder_on_location'
  | 'response_complete'
  | 'response_cancelled'
  | 'lifecycle_closed'
  | 'status_changed';

/**
 * AURA event or state → platform action:
 * NEW_CALLOUT / created → response requested; RESPONDER_MANUALLY_DISPATCHED / Responder Dispatched → responder
 * dispatched; RESPONDER_ACKNOWLEDGED_CALLOUT(_WITH_ETA) → ETA shown; RESPONDER_ARRIVED_ON_SCENE / Responder Arrived
 * → on location; RESPONDER_COMPLETED / Responder Completed → complete; CALLOUT_NO_LONGER_REQUIRES_RESPONSE /
 * Responder Cancelled → cancelled; CALLOUT_CLOSED / closed → lifecycle closed. Anything else: a status change.
 */
export function platformActionFor(entry: Pick<TimelineEntry, 'status' | 'event'>): PlatformAction {
  switch (entry.status) {
    case CalloutStatus.Created:
      return 'response_requested';
    case CalloutStatus.ResponderDispatched:
      return entry.event === 'RESPONDER_ACKNOWLEDGED_CALLOUT' ||
        entry.event === 'RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA'
        ? 'eta_available'
        : 'responder_dispatched';
    case CalloutStatus.ResponderArrived:
      return 'responder_on_location';
    case CalloutStatus.ResponderCompleted:
      return 'response_complete';
    case CalloutStatus.ResponderCancelled:
      return 'response_cancelled';
    case CalloutStatus.Closed:
      return 'lifecycle_closed';
    default:
      return 'status_changed';
  }
}

export interface PlatformEvent {
  /** Stable idempotency id: the same fact always carries the same id, across retries and continue-as-new. */
  id: string;
  type:
    | 'incident.status_changed'
    | 'incident.note'
    | 'incident.note_failed'
    | 'incident.rating_requested'
    | 'incident.aura_requested'
    | 'incident.failed';
  incidentId: string;
  auraCalloutId: number | null;
  occurredAt: string;
  status?: string | null;
  phase?: string;
  action?: PlatformAction;
  eta?: string | null;
  note?: Pick<Note, 'text' | 'direction' | 'author'>;
  detail?: string;
}

/** The events a change of the callout view produces for one incident (new timeline entries and new notes). */
export function platformEventsForChange(
  incidentId: string,
  auraCalloutId: number,
  before: { timeline: TimelineEntry[]; notes: Note[]; ratingRequested: boolean },
  after: {
    timeline: TimelineEntry[];
    notes: Note[];
    phaseOf: (status: string) => string;
    eta: string | null;
    ratingRequested: boolean;
  },
): PlatformEvent[] {
  const out: PlatformEvent[] = [];
  for (let i = before.timeline.length; i < after.timeline.length; i++) {
    const t = after.timeline[i]!;
    out.push({
      id: `${incidentId}:status:${i}:${t.status}`,
      type: 'incident.status_changed',
      incidentId,
      auraCalloutId,
      occurredAt: t.at,
      status: t.status,
      phase: after.phaseOf(t.status),
      action: platformActionFor(t),
      ...(after.eta ? { eta: after.eta } : {}),
    });
  }
  for (let i = before.notes.length; i < after.notes.length; i++) {
    const n = after.notes[i]!;
    out.push({
      id: `${incidentId}:note:${i}`,
      type: 'incident.note',
      incidentId,
      auraCalloutId,
      occurredAt: n.at,
      note: { text: n.text, direction: n.direction, ...(n.author ? { author: n.author } : {}) },
    });
  }
  if (!before.ratingRequested && after.ratingRequested) {
    out.push({
      id: `${incidentId}:rating-requested`,
      type: 'incident.rating_requested',
      incidentId,
      auraCalloutId,
      occurredAt: after.timeline.at(-1)?.at ?? '',
    });
  }
  return out;
}
