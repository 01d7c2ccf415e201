// The whole state of one incident workflow, in one class with its carry (as LifecycleState): what arrives before
// the AURA callout exists, what must be forwarded to the lifecycle, the platform outbox and what has been reported.
// Pure (no Temporal calls, time passed in): unit-tested in test/unit/workflow-state.test.ts.
import {
  composeIncident,
  isNewerView,
  type IncidentFailure,
  type IncidentSource,
  type Note,
} from '../domain/incident.js';
import { platformEventsForChange, type PlatformEvent } from '../domain/platform.js';
import { phaseOfStatus } from '../domain/status.js';
import type { WorkflowConfig } from './config.js';
import type { CalloutView, IncidentView, LiveLocation, OutboundNote } from './messages.js';

export interface IncidentCarry {
  config: WorkflowConfig;
  auraCalloutId: number | null;
  callout: CalloutView | null;
  failure?: IncidentFailure | undefined;
  outbox: PlatformEvent[];
  reported: { timeline: number; notes: number; ratingRequested: boolean; failedNotes?: number[]; localNotes?: number };
  /** Positions and notes that came after the attach and are still to be forwarded to the lifecycle (v2). */
  lateForward?: { location?: LiveLocation; notes: OutboundNote[] };
  /** Notes this incident could not hand to any lifecycle (v2). */
  localNotes?: Note[];
  lastViewAtMs?: number;
}

export class IncidentState {
  readonly config: WorkflowConfig;
  failure: IncidentFailure | undefined;
  auraCalloutId: number | null;
  callout: CalloutView | null;
  readonly outbox: PlatformEvent[];
  readonly reported: {
    timeline: number;
    notes: number;
    ratingRequested: boolean;
    failedNotes: number[];
    localNotes: number;
  };
  /** Position and notes that arrive before the attach's arguments are built travel with the attach. */
  earlyLocation: LiveLocation | undefined;
  earlyNotes: OutboundNote[];
  /** True once the attach's arguments were taken: from then on, arrivals are forwarded by the loop. */
  handedOver: boolean;
  readonly lateForward: { location?: LiveLocation; notes: OutboundNote[] };
  readonly localNotes: Note[];
  lastViewAtMs: number;
  flushedVersion = '';

  constructor(
    private readonly incidentId: string,
    private readonly createdAt: string,
    config: WorkflowConfig,
    request: {
      location?: LiveLocation | undefined;
      notes?: string | undefined;
      predefinedLocationId?: number | undefined;
    },
    nowMs: number,
    c?: IncidentCarry,
  ) {
    this.config = c?.config ?? config;
    this.failure = c?.failure;
    this.auraCalloutId = c?.auraCalloutId ?? null;
    this.callout = c?.callout ?? null;
    this.outbox = [...(c?.outbox ?? [])];
    this.reported = {
      failedNotes: [],
      localNotes: 0,
      ...(c?.reported ?? { timeline: 0, notes: 0, ratingRequested: false }),
    };
    this.handedOver = c !== undefined;
    this.earlyLocation = c ? undefined : request.predefinedLocationId === undefined ? request.location : undefined;
    this.earlyNotes =
      !c && request.notes
        ? [{ key: `${incidentId}:initial-notes`, text: request.notes, at: createdAt, author: 'intake' }]
        : [];
    this.lateForward = {
      notes: [...(c?.lateForward?.notes ?? [])],
      ...(c?.lateForward?.location ? { location: c.lateForward.location } : {}),
    };
    this.localNotes = [...(c?.localNotes ?? [])];
    this.lastViewAtMs = c?.lastViewAtMs ?? nowMs;
  }

  carry(): IncidentCarry {
    return {
      config: this.config,
      auraCalloutId: this.auraCalloutId,
      callout: this.callout,
      failure: this.failure,
      outbox: [...this.outbox],
      reported: { ...this.reported, failedNotes: [...this.reported.failedNotes] },
      lateForward: {
        notes: [...this.lateForward.notes],
        ...(this.lateForward.location ? { location: this.lateForward.location } : {}),
      },
      localNotes: [...this.localNotes],
      lastViewAtMs: this.lastViewAtMs,
    };
  }

  view(workflowId: string): IncidentView {
    const own = {
      incidentId: this.incidentId,
      workflowId,
      auraCalloutId: this.auraCalloutId,
      createdAt: this.createdAt,
      failure: this.failure,
      localNotes: this.localNotes,
    };
    return composeIncident(own, this.callout);
  }

  /** v3: what a read needs beside the lifecycle's memo (which view this incident holds, and its own notes). */
  source(): IncidentSource {
    return { epoch: this.callout?.epoch ?? 0, version: this.callout?.version ?? -1, localNotes: [...this.localNotes] };
  }

  /** Keep only the newest view of the callout (signals may be duplicated or reordered; epochs order restarts). */
  takeView(v: CalloutView, nowMs: number): boolean {
    this.lastViewAtMs = nowMs;
    if (!isNewerView(this.callout, v)) return false;
    this.callout = v;
    return true;
  }

  location(loc: LiveLocation): void {
    if (this.handedOver) this.lateForward.location = loc;
    else this.earlyLocation = loc;
  }

  note(n: OutboundNote): void {
    if (this.handedOver) this.lateForward.notes.push(n);
    else this.earlyNotes.push(n);
  }

  /** The attach's position and notes, taken in the same step that sets `handedOver`, so none falls between. */
  handOver(): { location?: LiveLocation; notes: OutboundNote[] } {
    this.handedOver = true;
    const loc = this.earlyLocation;
    this.earlyLocation = undefined;
    return { ...(loc ? { location: loc } : {}), notes: this.earlyNotes.splice(0) };
  }

  /** The attach failed after the hand-over: what it carried goes back to be forwarded by the loop. */
  handBack(taken: { location?: LiveLocation; notes: OutboundNote[] }): void {
    if (taken.location && !this.lateForward.location) this.lateForward.location = taken.location;
    this.lateForward.notes.unshift(...taken.notes);
  }

  takeForward(): { location?: LiveLocation; notes: OutboundNote[] } | null {
    if (!this.lateForward.location && !this.lateForward.notes.length) return null;
    const out = {
      ...(this.lateForward.location ? { location: this.lateForward.location } : {}),
      notes: this.lateForward.notes.splice(0),
    };
    delete this.lateForward.location;
    return out;
  }

  /** Notes no lifecycle can take (its callout closed): kept on the incident as failed, and written back. */
  notesUndeliverable(notes: OutboundNote[], detail: string): void {
    for (const n of notes)
      this.localNotes.push({
        at: n.at,
        text: n.text,
        direction: 'outbound',
        ...(n.author ? { author: n.author } : {}),
        delivery: 'failed',
        detail,
      });
  }

  hasForward(): boolean {
    return this.lateForward.location !== undefined || this.lateForward.notes.length > 0;
  }

  viewKey(): string {
    const v = this.callout;
    return `${v?.epoch ?? 0}:${v?.version ?? -1}:${this.localNotes.length}`;
  }

  private noteFailedEvent(id: string, auraCalloutId: number | null, n: Note): PlatformEvent {
    return {
      id,
      type: 'incident.note_failed',
      incidentId: this.incidentId,
      auraCalloutId,
      occurredAt: n.at,
      note: { text: n.text, direction: n.direction, ...(n.author ? { author: n.author } : {}) },
      ...(n.detail ? { detail: n.detail } : {}),
    };
  }

  /** Platform events for what changed since the last report (new timeline entries, notes, failed deliveries). */
  platformEvents(): PlatformEvent[] {
    const cv = this.callout;
    const out: PlatformEvent[] = [];
    if (cv) {
      const ratingRequested = cv.rating.state !== 'not_open';
      out.push(
        ...platformEventsForChange(
          this.incidentId,
          cv.auraCalloutId,
          {
            timeline: cv.timeline.slice(0, this.reported.timeline),
            notes: cv.notes.slice(0, this.reported.notes),
            ratingRequested: this.reported.ratingRequested,
          },
          {
            timeline: cv.timeline,
            notes: cv.notes,
            eta: cv.eta,
            ratingRequested,
            phaseOf: (st) => phaseOfStatus(st) ?? cv.phase,
          },
        ),
      );
      cv.notes.forEach((n, i) => {
        if (n.delivery !== 'failed' || this.reported.failedNotes.includes(i)) return;
        this.reported.failedNotes.push(i);
        out.push(this.noteFailedEvent(`${this.incidentId}:note:${i}:failed`, cv.auraCalloutId, n));
      });
      this.reported.timeline = Math.max(this.reported.timeline, cv.timeline.length);
      this.reported.notes = Math.max(this.reported.notes, cv.notes.length);
      this.reported.ratingRequested = ratingRequested;
    }
    for (let j = this.reported.localNotes; j < this.localNotes.length; j++) {
      out.push(
        this.noteFailedEvent(`${this.incidentId}:local-note:${j}:failed`, this.auraCalloutId, this.localNotes[j]!),
      );
    }
    this.reported.localNotes = this.localNotes.length;
    return out;
  }
}
