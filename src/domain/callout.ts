// The reducer of a callout snapshot: applies one observation (webhook, poll, API answer) to the lifecycle's view.
// Pure and idempotent, so duplicated or reordered deliveries have the effect of one.
import type { CalloutObservation, CalloutSnapshot } from './incident.js';
import { applyStatus, initialStatusState } from './status.js';

export function initialSnapshot(auraCalloutId: number): CalloutSnapshot {
  return {
    auraCalloutId,
    version: 0,
    ...initialStatusState(),
    trackingUrl: null,
    responder: null,
    eta: null,
    notes: [],
    rating: { state: 'not_open', value: null },
    done: false,
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Returns the next snapshot and whether anything changed (the version is bumped only on change). */
export function applyObservation(
  snap: CalloutSnapshot,
  obs: CalloutObservation,
  at: string,
): { snapshot: CalloutSnapshot; changed: boolean; transitioned: boolean } {
  let next: CalloutSnapshot = snap;
  let transitioned = false;
  if (obs.status) {
    const o = applyStatus(snap, {
      status: obs.status,
      source: obs.source,
      at,
      ...(obs.event ? { event: obs.event } : {}),
    });
    if (o.applied) {
      next = { ...next, ...o.state };
      transitioned = true;
    }
  }
  // Details only ever fill in or update; a payload without a responder (AURA sends null on some events) keeps
  // what we knew. Nothing changes after closed except what a late read adds.
  if (obs.responder && !sameJson(obs.responder, next.responder)) next = { ...next, responder: obs.responder };
  if (obs.eta && obs.eta !== next.eta) next = { ...next, eta: obs.eta };
  if (obs.trackingUrl && obs.trackingUrl !== next.trackingUrl) next = { ...next, trackingUrl: obs.trackingUrl };
  const changed = next !== snap;
  if (changed) next = { ...next, version: snap.version + 1 };
  return { snapshot: next, changed, transitioned };
}

/**
 * What a read of the callout says that could change the lifecycle's view (status, responder, ETA, tracking link):
 * two reads with the same fingerprint are the same to it. The watch activity polls until this changes.
 */
export function readFingerprint(o: Pick<CalloutObservation, 'status' | 'responder' | 'eta' | 'trackingUrl'>): string {
  return JSON.stringify([o.status, o.responder ?? null, o.eta ?? null, o.trackingUrl ?? null]);
}
