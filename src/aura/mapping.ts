// From AURA's wire shapes to the compact observations workflows keep. Only what the lifecycle needs crosses this
// line: status, responder call sign and vehicle, ETA, tracking link. Customer records (names, mobiles, medical
// details) stay out of workflow state and history.
import { createHash } from 'node:crypto';
import type { CalloutObservation, Responder } from '../domain/incident.js';
import { EVENT_STATUS } from '../domain/events.js';
import type { CalloutCreated, CalloutRead, CalloutWebhook } from './schemas.js';
import { z } from 'zod';
import { ResponderWire, DispatchInformation } from './schemas.js';

type ResponderWire = z.output<typeof ResponderWire>;
type DispatchInformation = z.output<typeof DispatchInformation>;

export function responderFromWire(r: ResponderWire | null | undefined): Responder | null {
  if (!r) return null;
  const vehicle = [r.vehicleColour, r.vehicleMake, r.vehicleModel].filter((s) => s && s.trim()).join(' ');
  const plate = r.vehicleLicensePlate?.trim();
  const lat = r.responderLocation?.latitude;
  const lon = r.responderLocation?.longitude;
  return {
    callsign: r.callsign ?? null,
    vehicle: vehicle ? (plate ? `${vehicle} (${plate})` : vehicle) : plate || null,
    location: lat != null && lon != null ? { latitude: lat, longitude: lon } : null,
  };
}

function etaFrom(d: DispatchInformation | null | undefined): string | null {
  const eta = d?.calloutResponseEta;
  if (eta == null) return null;
  if (typeof eta === 'string' || typeof eta === 'number') return String(eta);
  return JSON.stringify(eta);
}

/** A content key: the same content gives the same key, so repeats collapse while real changes do not. */
export function contentKey(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

export function observationFromRead(c: CalloutRead, source: 'poll' | 'api'): CalloutObservation {
  const info = c.incidentInformation[0];
  const d = info?.dispatchInformation;
  return {
    key: contentKey([source, c.id, c.status, d?.responderDispatchedAt, d?.responderArrivedAt, d?.responderCompletedAt]),
    source,
    status: c.status,
    responder: responderFromWire(d?.responder),
    eta: etaFrom(d),
    trackingUrl: c.url ?? null,
  };
}

export function observationFromCreate(c: CalloutCreated): CalloutObservation {
  return { key: contentKey(['create', c.id, c.status]), source: 'api', status: c.status, trackingUrl: c.url ?? null };
}

export function observationFromWebhook(w: CalloutWebhook, event: string): CalloutObservation {
  const info = w.callout.incidentInformation?.[0];
  const d = info?.dispatchInformation;
  const status =
    w.callout.status ?? info?.status ?? (Object.hasOwn(EVENT_STATUS, event) ? EVENT_STATUS[event] : undefined) ?? null;
  const obs: CalloutObservation = {
    // Keyed on the content that changes, not on message + id: CALLOUT_EVENTS_CHANGED legitimately repeats.
    key: contentKey([
      'webhook',
      event,
      w.callout.id,
      status,
      d?.responderDispatchedAt,
      d?.responderArrivedAt,
      d?.responderCompletedAt,
      d?.responder?.responderLocation,
    ]),
    source: 'webhook',
    event,
    status,
  };
  if (d) {
    obs.responder = responderFromWire(d.responder);
    obs.eta = etaFrom(d);
  }
  if (w.callout.url) obs.trackingUrl = w.callout.url;
  return obs;
}
