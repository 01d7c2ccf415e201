// The whole state of one callout lifecycle, in one class (samples-typescript's safe-message-handlers keeps a
// ClusterManager the same way): signal and update handlers and the main loop change it only through its methods,
// and `carry()` is what continues as new, so nothing the workflow holds can be left out of the carry.
// Pure (no Temporal calls, time passed in): unit-tested alone in test/unit/workflow-state.test.ts.
import { applyObservation, initialSnapshot, readFingerprint } from '../domain/callout.js';
import type { CalloutObservation, CalloutSnapshot, Note } from '../domain/incident.js';
import { CalloutStatus, isTerminalStatus } from '../domain/status.js';
import type { WorkflowConfig } from './config.js';
import type { AttachIncident, CalloutView, LiveLocation, OutboundNote } from './messages.js';

/** A note queued for AURA, with the index of its (pending) entry in the snapshot's notes. */
export interface QueuedNote {
  note: OutboundNote;
  index: number;
}

export interface LifecycleCarry {
  config: WorkflowConfig;
  snapshot: CalloutSnapshot;
  incidents: AttachedIncident[];
  /** Everything that arrived and was not yet handled, so nothing is dropped across continue-as-new. */
  pending: CalloutObservation[];
  pendingLocation: LiveLocation | null;
  /** v1 carried bare notes (not yet on the snapshot); v2 carries them with their snapshot entry. */
  outbox: (OutboundNote | QueuedNote)[];
  noteKeys: string[];
  auraEventIds: number[];
  eventsDue: boolean;
  test: boolean;
  lastCallAtMs: number;
  webhooksTrusted: boolean;
  polls: number;
  notifiedVersion: number;
  /** Incidents that attached and have not been sent the view yet (v2). */
  newlyAttached?: string[];
  /** The position route refused positions for good (v2): its error, said once on the incident. */
  locationRefused?: string | null;
  /** v2: a cancellation was accepted by AURA (a second one is refused). */
  cancelled?: boolean;
  /** v2: this run chain already took a dead run's view as its base. */
  resumed?: boolean;
  notFoundPolls?: number;
  /** v3: the fingerprint of the last read (domain/callout readFingerprint): the watch polls until a read differs. */
  lastRead?: string | null;
}

/**
 * An incident following this callout. `final` (v3 incidents): it reads the callout from this lifecycle's memo and is
 * told only the view that closes the callout and those after; otherwise it is told every change.
 */
export interface AttachedIncident {
  incidentId: string;
  workflowId: string;
  updates?: 'final';
}

export interface DrainResult {
  transitions: { status: string; source: string }[];
}

/** Why a note is marked failed when the callout closed first (lifecycle and incident alike). */
export const CLOSED_NOTE = 'The callout closed before the note could be sent.';

const noteOf = (n: OutboundNote): Note => ({
  at: n.at,
  text: n.text,
  direction: 'outbound',
  ...(n.author ? { author: n.author } : {}),
});

export class LifecycleState {
  readonly config: WorkflowConfig;
  readonly auraCalloutId: number;
  snapshot: CalloutSnapshot;
  readonly incidents: AttachedIncident[];
  private readonly pending: CalloutObservation[];
  pendingLocation: LiveLocation | null;
  private readonly outbox: QueuedNote[];
  private readonly noteKeys: Set<string>;
  readonly auraEventIds: Set<number>;
  eventsDue: boolean;
  test: boolean;
  lastCallAtMs: number;
  /**
   * Webhooks earn trust by reporting a transition before a poll does, and lose it when a poll finds one they
   * missed: poll slowly while trusted, fast otherwise.
   */
  webhooksTrusted: boolean;
  polls: number;
  notifiedVersion: number;
  newlyAttached: string[];
  locationRefused: string | null;
  /** Set by every change; the main loop clears it when it starts a pass, so nothing arriving later is missed. */
  wake = false;
  /** A cancellation or rating is on its way to AURA: later callers are refused (409), AURA is asked once. */
  cancelling = false;
  cancelled: boolean;
  rating = false;
  notFoundPolls: number;
  lastRead: string | null;
  private resumed: boolean;

  constructor(auraCalloutId: number, config: WorkflowConfig, nowMs: number, c?: LifecycleCarry) {
    this.auraCalloutId = auraCalloutId;
    this.config = c?.config ?? config;
    // A fresh run chain gets a new epoch, so an incident takes its views even though the version starts again.
    this.snapshot = c?.snapshot ?? { ...initialSnapshot(auraCalloutId), epoch: nowMs };
    this.incidents = c?.incidents ?? [];
    this.pending = [...(c?.pending ?? [])];
    this.pendingLocation = c?.pendingLocation ?? null;
    this.noteKeys = new Set(c?.noteKeys ?? []);
    this.auraEventIds = new Set(c?.auraEventIds ?? []);
    this.eventsDue = c?.eventsDue ?? false;
    this.test = c?.test ?? false;
    this.lastCallAtMs = c?.lastCallAtMs ?? nowMs;
    this.webhooksTrusted = c?.webhooksTrusted ?? false;
    this.polls = c?.polls ?? 0;
    this.notifiedVersion = c?.notifiedVersion ?? -1;
    this.newlyAttached = [...(c?.newlyAttached ?? [])];
    this.locationRefused = c?.locationRefused ?? null;
    this.cancelled = c?.cancelled ?? false;
    this.resumed = c?.resumed ?? false;
    this.notFoundPolls = c?.notFoundPolls ?? 0;
    this.lastRead = c?.lastRead ?? null;
    this.outbox = [];
    for (const q of c?.outbox ?? []) {
      if ('index' in q) this.outbox.push(q);
      else this.outbox.push(this.addPendingNote(q)); // a v1 carry: the note was not on the snapshot yet
    }
  }

  carry(): LifecycleCarry {
    return {
      config: this.config,
      snapshot: this.snapshot,
      incidents: this.incidents,
      pending: [...this.pending],
      pendingLocation: this.pendingLocation,
      outbox: [...this.outbox],
      noteKeys: [...this.noteKeys],
      auraEventIds: [...this.auraEventIds],
      eventsDue: this.eventsDue,
      test: this.test,
      lastCallAtMs: this.lastCallAtMs,
      webhooksTrusted: this.webhooksTrusted,
      polls: this.polls,
      notifiedVersion: this.notifiedVersion,
      newlyAttached: [...this.newlyAttached],
      locationRefused: this.locationRefused,
      cancelled: this.cancelled,
      resumed: this.resumed,
      notFoundPolls: this.notFoundPolls,
      lastRead: this.lastRead,
    };
  }

  view(): CalloutView {
    return { ...this.snapshot, incidents: this.incidents.map((i) => i.incidentId) };
  }

  closed(): boolean {
    return isTerminalStatus(this.snapshot.status);
  }

  bump(patch: Partial<CalloutSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch, version: this.snapshot.version + 1 };
    this.wake = true;
  }

  addNote(note: Note): number {
    this.bump({ notes: [...this.snapshot.notes, note] });
    return this.snapshot.notes.length - 1;
  }

  private setNote(index: number, note: Note): void {
    const notes = [...this.snapshot.notes];
    notes[index] = note;
    this.bump({ notes });
  }

  // ---- what arrives (signal handlers) -----------------------------------------------------------------------

  /** A read of the callout (a poll, a watch, a position's answer): observed, and the watch's next baseline. */
  observeRead(obs: CalloutObservation): void {
    this.lastRead = readFingerprint(obs);
    this.observe(obs);
  }

  observe(obs: CalloutObservation): void {
    this.pending.push(obs);
    this.wake = true;
  }

  attach(a: AttachIncident): void {
    if (!this.incidents.some((i) => i.incidentId === a.incidentId))
      this.incidents.push({
        incidentId: a.incidentId,
        workflowId: a.workflowId,
        ...(a.updates ? { updates: a.updates } : {}),
      });
    // Always (re)send the current view to the attaching incident, also on a retried attach.
    this.newlyAttached.push(a.workflowId);
    if (a.test) this.test = true;
    if (a.resume && !this.resumed && this.snapshot.timeline.length <= a.resume.timeline.length)
      this.resumeFrom(a.resume);
    if (a.observation) this.pending.push(a.observation);
    if (a.location) this.location(a.location);
    for (const n of a.notes ?? []) this.queueNote(n);
    this.wake = true;
  }

  /**
   * A restarted lifecycle (the previous run was terminated or failed while the callout was active) takes the
   * incident's last view as its base: timeline, notes and rating survive, under this run's epoch. Notes that the
   * dead run still had queued may or may not have reached AURA: they are marked failed rather than sent twice.
   */
  private resumeFrom(prev: CalloutSnapshot): void {
    this.resumed = true;
    const own = this.snapshot;
    const carried = prev.notes.map((n) =>
      n.delivery === 'pending'
        ? {
            ...n,
            delivery: 'failed' as const,
            detail: 'The lifecycle following the callout stopped before the note was confirmed.',
          }
        : n,
    );
    // This run's own notes go after the carried ones (queued notes keep pointing at theirs), and what this run has
    // already observed is applied again on top, so nothing it saw before the attach is lost.
    for (const q of this.outbox) q.index += carried.length;
    this.snapshot = {
      ...prev,
      notes: [...carried, ...own.notes],
      done: false,
      epoch: own.epoch,
      version: Math.max(prev.version, own.version) + 1,
    };
    this.pending.unshift(
      ...own.timeline.map((t, i) => ({
        key: `resume:${i}`,
        source: t.source,
        status: t.status,
        ...(t.event ? { event: t.event } : {}),
      })),
    );
    this.wake = true;
  }

  location(loc: LiveLocation): void {
    if (this.closed()) return; // AURA refuses positions after closed; the API answers 409 before this.
    // Bursts coalesce (only the newest is sent), and only the first of a burst wakes the loop: each wake-up costs
    // the loop a new timer.
    if (!this.pendingLocation) this.wake = true;
    this.pendingLocation = loc;
  }

  /** A note to relay: shown at once as pending; after closed it can only be marked failed, never dropped. */
  queueNote(n: OutboundNote): void {
    if (this.noteKeys.has(n.key)) return; // a retried signal
    this.noteKeys.add(n.key);
    if (this.closed()) {
      this.addNote({ ...noteOf(n), delivery: 'failed', detail: CLOSED_NOTE });
      return;
    }
    this.outbox.push(this.addPendingNote(n));
  }

  private addPendingNote(n: OutboundNote): QueuedNote {
    return { note: n, index: this.addNote({ ...noteOf(n), delivery: 'pending' }) };
  }

  // ---- notes to AURA ------------------------------------------------------------------------------------------

  nextNote(): QueuedNote | undefined {
    return this.closed() ? undefined : this.outbox[0];
  }

  noteSent(q: QueuedNote, auraEventId: number | null): void {
    if (auraEventId != null) this.auraEventIds.add(auraEventId);
    this.outbox.splice(this.outbox.indexOf(q), 1);
    this.setNote(q.index, noteOf(q.note));
  }

  noteFailed(q: QueuedNote, detail: string): void {
    const i = this.outbox.indexOf(q);
    if (i >= 0) this.outbox.splice(i, 1);
    this.setNote(q.index, { ...noteOf(q.note), delivery: 'failed', detail });
  }

  /** At close: every note still queued is marked failed (and so written back), never dropped silently. */
  failQueuedNotes(detail: string, inFlight?: QueuedNote): void {
    for (const q of [...this.outbox]) if (q !== inFlight) this.noteFailed(q, detail);
  }

  hasQueuedNotes(): boolean {
    return this.outbox.length > 0;
  }

  // ---- applying observations ----------------------------------------------------------------------------------

  drain(atIso: string): DrainResult {
    const transitions: DrainResult['transitions'] = [];
    while (this.pending.length) {
      const obs = this.pending.shift()!;
      if (obs.source === 'webhook' && obs.event === 'CALLOUT_EVENTS_CHANGED') this.eventsDue = true;
      const r = applyObservation(this.snapshot, obs, atIso);
      if (r.transitioned && obs.source === 'poll') this.webhooksTrusted = false;
      // NEW_CALLOUT answers our own create call; it says nothing about whether AURA's later events will come.
      if (r.transitioned && obs.source === 'webhook' && obs.event !== 'NEW_CALLOUT') this.webhooksTrusted = true;
      if (r.transitioned) transitions.push({ status: r.snapshot.status!, source: obs.source });
      if (r.changed) this.wake = true;
      this.snapshot = r.snapshot;
    }
    if (this.closed()) this.pendingLocation = null;
    return { transitions };
  }

  /** Whom to send the view to now, and whether the view changed since the last send. */
  takeTargets(honourFinalOnly = false): { changed: boolean; targets: string[] } {
    const changed = this.snapshot.version !== this.notifiedVersion;
    // v3 (honourFinalOnly): an incident attached with `updates: 'final'` is sent only views of a closed callout
    // (closed, the rating window, done): the rest it reads from the lifecycle's memo.
    const final = !honourFinalOnly || this.closed() || this.snapshot.done;
    const wants = (workflowId: string) =>
      final || this.incidents.find((i) => i.workflowId === workflowId)?.updates !== 'final';
    const targets = (changed ? this.incidents.map((i) => i.workflowId) : [...new Set(this.newlyAttached)]).filter(
      wants,
    );
    this.newlyAttached = [];
    if (changed) this.notifiedVersion = this.snapshot.version;
    return { changed, targets };
  }

  /** v3: a fresh run chain found the view of a run that died (terminated or failed) with the callout active. */
  resumeFromDead(prev: CalloutSnapshot): void {
    if (!this.resumed && !prev.done && prev.status !== CalloutStatus.Closed) this.resumeFrom(prev);
  }

  // ---- polling and positions ----------------------------------------------------------------------------------

  /** When the next call to AURA is due. */
  dueAtMs(): number {
    const interval = this.webhooksTrusted ? this.config.pollIntervalSlowMs : this.config.pollIntervalMs;
    return this.lastCallAtMs + (this.pendingLocation ? Math.min(interval, this.config.pollIntervalMs) : interval);
  }

  startCall(nowMs: number): LiveLocation | null {
    this.lastCallAtMs = nowMs;
    this.polls++;
    if (this.polls % this.config.eventsEveryPolls === 0) this.eventsDue = true;
    const loc = this.pendingLocation;
    this.pendingLocation = null;
    return loc;
  }

  /** A position AURA could not take now: keep it for the next call, unless a newer one came meanwhile. */
  keepLocation(loc: LiveLocation): void {
    if (!this.pendingLocation && !this.closed()) this.pendingLocation = loc;
  }

  /** AURA refused a position for good (404, 400…): it is dropped, and the incident is told once per error. */
  locationRefusedBy(detail: string, atIso: string): void {
    if (this.locationRefused === detail) return;
    this.locationRefused = detail;
    this.addNote({
      at: atIso,
      text: `A position could not be sent to AURA and was dropped: ${detail}`,
      direction: 'outbound',
      delivery: 'failed',
      detail,
    });
  }

  locationAccepted(): void {
    this.locationRefused = null;
  }

  wasCancelled(): boolean {
    return this.snapshot.timeline.some((t) => t.status === CalloutStatus.ResponderCancelled);
  }
}
