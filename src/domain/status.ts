// The AURA callout status machine. Pure: imported by workflows, the API and tests alike.
//
// AURA returns statuses as free-form legacy strings with mixed casing ("created" and "closed" are lower case, the
// responder states title case). They are compared exactly. Any status we do not know is "in progress": it is
// recorded, keeps the current phase and is never terminal.

export const CalloutStatus = {
  Created: 'created',
  ResponderDispatched: 'Responder Dispatched',
  ResponderArrived: 'Responder Arrived',
  ResponderCompleted: 'Responder Completed',
  ResponderCancelled: 'Responder Cancelled',
  CustomerSoftCancellation: 'Customer Soft Cancellation Received',
  Closed: 'closed',
} as const;

export type Phase = 'requested' | 'dispatched' | 'on_scene' | 'completed' | 'cancelled' | 'closed' | 'failed';

export const PHASES: readonly Phase[] = [
  'requested',
  'dispatched',
  'on_scene',
  'completed',
  'cancelled',
  'closed',
  'failed',
];

/** Phases of an incident still in progress (the list filter `status=active`). */
export const ACTIVE_PHASES: readonly Phase[] = PHASES.filter((p) => p !== 'closed' && p !== 'failed');

interface KnownStatus {
  /** How far along the lifecycle a status is; a status is applied only when it moves the rank forward. */
  rank: number;
  /** The platform-facing phase (monitoring-platforms seed), or null when the status keeps the current phase. */
  phase: Phase | null;
}

// "Responder Completed" and "Responder Cancelled" share a rank: both end the response, and whichever AURA reports
// first wins; the other can only be a late or reordered event. The soft cancellation is an annotation AURA sends
// while the response goes on: recorded, but it moves nothing.
const KNOWN: Record<string, KnownStatus> = {
  [CalloutStatus.Created]: { rank: 0, phase: 'requested' },
  [CalloutStatus.ResponderDispatched]: { rank: 1, phase: 'dispatched' },
  [CalloutStatus.ResponderArrived]: { rank: 2, phase: 'on_scene' },
  [CalloutStatus.ResponderCompleted]: { rank: 3, phase: 'completed' },
  [CalloutStatus.ResponderCancelled]: { rank: 3, phase: 'cancelled' },
  [CalloutStatus.Closed]: { rank: 4, phase: 'closed' },
};

export function isKnownStatus(status: string): boolean {
  return Object.prototype.hasOwnProperty.call(KNOWN, status);
}

export function isTerminalStatus(status: string | null | undefined): boolean {
  return status === CalloutStatus.Closed;
}

/** The phase a status maps to, or null for an unknown status (which keeps the previous phase). */
export function phaseOfStatus(status: string): Phase | null {
  return isKnownStatus(status) ? KNOWN[status]!.phase : null;
}

export type ObservationSource = 'webhook' | 'poll' | 'api';

/** One reading of a callout's status, from a webhook, a poll or an API answer. */
export interface StatusObservation {
  status: string;
  source: ObservationSource;
  /** The AURA event name, when the observation came from a webhook. */
  event?: string;
  /** ISO time the observation was made (workflow time). */
  at: string;
}

export interface TimelineEntry {
  at: string;
  status: string;
  source: ObservationSource;
  event?: string;
}

export interface StatusState {
  status: string | null;
  phase: Phase;
  /** Highest rank applied so far; -1 before AURA answered. */
  rank: number;
  timeline: TimelineEntry[];
}

export function initialStatusState(): StatusState {
  return { status: null, phase: 'requested', rank: -1, timeline: [] };
}

export type ApplyOutcome =
  | { applied: true; state: StatusState; entry: TimelineEntry }
  | { applied: false; state: StatusState; reason: 'terminal' | 'stale' | 'duplicate' | 'empty' };

/**
 * Apply one observation. Returns the new state (the input is not mutated) and whether it was a transition.
 *
 * Rules: `closed` is terminal; a known status applies only when it moves the rank forward (late, duplicated and
 * reordered events are dropped); an unknown status is recorded once, keeps phase and rank.
 */
export function applyStatus(state: StatusState, obs: StatusObservation): ApplyOutcome {
  const status = obs.status;
  if (typeof status !== 'string' || status.length === 0) return { applied: false, state, reason: 'empty' };
  if (isTerminalStatus(state.status)) return { applied: false, state, reason: 'terminal' };

  const entry: TimelineEntry = { at: obs.at, status, source: obs.source };
  if (obs.event) entry.event = obs.event;

  // Own keys only: a status named like an Object.prototype member ("constructor") is unknown, not a function.
  const known = isKnownStatus(status) ? KNOWN[status] : undefined;
  if (known) {
    if (known.rank <= state.rank) {
      return { applied: false, state, reason: status === state.status ? 'duplicate' : 'stale' };
    }
    return {
      applied: true,
      entry,
      state: { status, phase: known.phase ?? state.phase, rank: known.rank, timeline: [...state.timeline, entry] },
    };
  }

  if (state.timeline.some((t) => t.status === status)) return { applied: false, state, reason: 'duplicate' };
  return {
    applied: true,
    entry,
    state: { status, phase: state.phase, rank: state.rank, timeline: [...state.timeline, entry] },
  };
}
