// The Panic API's callouts: create for a customer (their active callout again if there is one), list, read, location
// updates (285 once closed), the event stream, exception reasons, cancel (with the customer's safe code), the map of a
// closed callout; ratings and response types; and the tracking page each callout links to, on the host root.
import { Router, type Request, type Response } from 'express';
import { CalloutStatus } from '../../domain/status.js';
import { RESPONSE_TYPES, type SimCallout } from '../data.js';
import { OK_MESSAGE, nowIso, type SimContext } from '../context.js';

const EXCEPTION_REASONS = [
  { id: 1, reason: 'Customer unavailable at location' },
  { id: 2, reason: 'False alarm triggered' },
  { id: 3, reason: 'Technical malfunction detected' },
];

export function calloutsRouter({ state, emit, callouts }: SimContext): Router {
  const router = Router();

  router.post('/customers/:customerId/callouts', (req, res) => {
    const customerId = Number(req.params.customerId);
    const customer = state.customers.get(customerId);
    if (!customer || customer.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    const b = (req.body ?? {}) as Record<string, any>;
    const loc =
      b.location ??
      (b.latitude !== undefined || b.longitude !== undefined
        ? { latitude: b.latitude, longitude: b.longitude, accuracy: b.accuracy }
        : undefined);
    const predefined = b.predefinedLocationId;
    if (loc && predefined !== undefined)
      return void res.status(400).json({ message: 'Provide either location or predefinedLocationId, not both' });
    if (!loc && predefined === undefined)
      return void res.status(400).json({ message: 'location or predefinedLocationId is required' });
    if (!Number.isInteger(b.responseTypeId) || !RESPONSE_TYPES.some((r) => r.id === b.responseTypeId)) {
      return void res.status(400).json({ message: 'responseTypeId is required and must be a valid response type' });
    }
    if (
      loc &&
      (typeof loc.latitude !== 'number' ||
        typeof loc.longitude !== 'number' ||
        Math.abs(loc.latitude) > 90 ||
        Math.abs(loc.longitude) > 180)
    ) {
      return void res
        .status(400)
        .json({ message: 'location.latitude and location.longitude must be valid coordinates' });
    }
    const existing = state.activeCalloutOf(customerId);
    if (existing)
      return void res
        .status(200)
        .json({ message: 'Customer already has an active callout', callout: callouts.flat(existing) });
    if (loc && !state.hasActiveSubscription(customerId)) {
      return void res.status(403).json({ message: 'Customer does not have an active subscription' });
    }
    const c = callouts.create({
      customerId,
      responseTypeId: b.responseTypeId,
      calloutClassificationId: Number.isInteger(b.calloutClassificationId) ? b.calloutClassificationId : 1,
      internalTest: b.internalTest === true,
      latitude: loc ? loc.latitude : -26.10911,
      longitude: loc ? loc.longitude : 28.053037,
      accuracy: loc?.accuracy ?? 0,
      predefinedLocationId: predefined !== undefined ? Number(predefined) : null,
    });
    res.status(201).json({ message: 'Callout created', callout: callouts.flat(c) });
  });

  router.get('/customers/:customerId/callouts', (req, res) => {
    const customerId = Number(req.params.customerId);
    if (!state.customers.has(customerId)) return void res.status(404).json({ message: 'Customer not found' });
    res.json(
      [...state.callouts.values()]
        .filter((c) => c.customerId === customerId && c.status !== CalloutStatus.Closed)
        .map((c) => callouts.flat(c)),
    );
  });

  router.get('/callouts/activeCallouts', (_req, res) => {
    res.json(
      [...state.callouts.values()].filter((c) => c.status !== CalloutStatus.Closed).map((c) => callouts.flat(c)),
    );
  });

  function calloutOr404(req: Request, res: Response): SimCallout | undefined {
    const c = state.callouts.get(Number(req.params.calloutId));
    if (!c) res.status(404).json({ message: 'Callout not found' });
    return c;
  }

  router.get('/callouts/:calloutId', (req, res) => {
    const c = calloutOr404(req, res);
    if (c) res.json({ message: 'Callout retrieved', callout: callouts.read(c) });
  });

  function locationUpdate(withCallout: boolean) {
    return (req: Request, res: Response) => {
      const c = calloutOr404(req, res);
      if (!c) return;
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (
        typeof b.latitude !== 'number' ||
        typeof b.longitude !== 'number' ||
        Math.abs(b.latitude) > 90 ||
        Math.abs(b.longitude) > 180
      ) {
        return void res.status(400).json({ message: 'latitude and longitude are required numbers' });
      }
      if (c.status === CalloutStatus.Closed) {
        // AURA's custom status: the callout is closed, the latest state is still returned.
        return void res.status(285).json({ message: 'Callout is closed', callout: callouts.read(c) });
      }
      c.latitude = b.latitude;
      c.longitude = b.longitude;
      if (typeof b.accuracy === 'number') c.accuracy = b.accuracy;
      c.updatedAt = nowIso();
      if (withCallout) res.json({ message: 'Location updated', callout: callouts.read(c) });
      else res.json(OK_MESSAGE);
    };
  }
  router.post('/callouts/:calloutId/location', locationUpdate(false));
  router.post('/callouts/:calloutId/locationAndReturnCallout', locationUpdate(true));

  router.get('/callouts/:calloutId/events', (req, res) => {
    const c = calloutOr404(req, res);
    if (c)
      res.json(
        c.events.map((e) => ({
          id: e.id,
          calloutId: e.calloutId,
          message: e.message,
          createdBy: e.createdBy,
          createdAt: e.createdAt,
        })),
      );
  });

  router.post('/callouts/:calloutId/events', (req, res) => {
    const c = calloutOr404(req, res);
    if (!c) return;
    const b = (req.body ?? {}) as Record<string, unknown>;
    const message = typeof b.message === 'string' ? b.message : typeof b.event === 'string' ? b.event : undefined;
    if (!message || !message.trim()) return void res.status(400).json({ message: 'message is required' });
    const e = {
      id: state.nextId.event++,
      calloutId: c.id,
      message,
      createdBy: typeof b.source === 'string' ? b.source : 'integration',
      createdAt: nowIso(),
    };
    c.events.push(e);
    emit('CALLOUT_EVENTS_CHANGED', callouts.payload('CALLOUT_EVENTS_CHANGED', c), c.id);
    res.status(201).json({ id: e.id, calloutId: e.calloutId, message: e.message, createdAt: e.createdAt });
  });

  router.get('/callouts/:calloutId/exceptionReasons', (req, res) => {
    const c = calloutOr404(req, res);
    if (c) res.json(EXCEPTION_REASONS);
  });

  router.post('/callouts/:calloutId/exceptionReasons', (req, res) => {
    const c = calloutOr404(req, res);
    if (!c) return;
    const b = (req.body ?? {}) as Record<string, unknown>;
    const id = Number.isInteger(b.exceptionReasonId) ? (b.exceptionReasonId as number) : 3;
    const reason = EXCEPTION_REASONS.find((r) => r.id === id);
    if (!reason) return void res.status(400).json({ message: 'Unknown exceptionReasonId' });
    const linked = { id: reason.id, reason: reason.reason, notes: typeof b.notes === 'string' ? b.notes : null };
    state.exceptionReasons.push({ calloutId: c.id, ...linked });
    res.status(201).json({ id: reason.id, reason: reason.reason });
  });

  router.post('/callouts/:calloutId/cancel', (req, res) => {
    const c = calloutOr404(req, res);
    if (!c) return;
    if (c.status === CalloutStatus.Closed) return void res.status(400).json({ message: 'Callout is already closed' });
    const safeCode = (req.body ?? {}).safeCode as unknown;
    if (safeCode !== undefined) {
      const customer = c.customerId != null ? state.customers.get(c.customerId) : undefined;
      const expected = customer?.mobile.replace(/\D/g, '').slice(-4);
      if (typeof safeCode !== 'string' || !expected || safeCode !== expected) {
        return void res.status(400).json({ message: 'Invalid safe code' });
      }
      c.cancelledByCustomer = true;
    }
    callouts.cancel(c);
    res.json({ message: 'Callout cancelled', callout: callouts.flat(c) });
  });

  // "Get a callout map": documented for closed callouts only; an open one is our choice, 404 (a documented status).
  // The url is an address on this host that serves nothing: the simulator draws no map.
  router.get('/callouts/:calloutId/maps', (req, res) => {
    const c = calloutOr404(req, res);
    if (!c) return;
    if (c.status !== CalloutStatus.Closed)
      return void res.status(404).json({ message: 'The callout map is available once the callout has closed' });
    res.json({ url: `${req.protocol}://${req.get('host')}/maps/callouts/${c.id}/map.png`, image: null });
  });

  router.post('/ratings', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const calloutId = Number(b.calloutId);
    const rating = b.rating;
    if (!Number.isInteger(calloutId) || !Number.isInteger(rating) || (rating as number) < 1 || (rating as number) > 5) {
      return void res.status(400).json({ message: 'calloutId and rating (1-5) are required' });
    }
    if (!state.callouts.has(calloutId)) return void res.status(404).json({ message: 'Callout not found' });
    const comment =
      typeof b.comment === 'string' ? b.comment : typeof b.additionalDetails === 'string' ? b.additionalDetails : null;
    const r = { id: state.nextId.rating++, calloutId, rating: rating as number, comment, createdAt: nowIso() };
    state.ratings.push(r);
    res.status(201).json({ id: r.id, calloutId, rating: r.rating });
  });

  router.get(
    '/responseTypes',
    (_req, res) => void res.json({ message: 'Response types', responseTypes: RESPONSE_TYPES }),
  );

  return router;
}

/** AURA's tracking page (`/track/:calloutId`, the `url` of a callout), on the host root. */
export function trackingRouter({ state }: SimContext): Router {
  const router = Router();
  router.get('/track/:calloutId', (req, res) => {
    const c = state.callouts.get(Number(req.params.calloutId));
    if (!c) return void res.status(404).type('text/plain').send('Unknown callout');
    res
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>Callout ${c.id}</title><h1>AURA callout ` +
          `${c.id}</h1><p>Status: <strong>${c.status}</strong></p>` +
          `<p>Responder: ${c.responder ? c.responder.callsign : 'not yet assigned'}</p><p>(simulated ` +
          `tracking page)</p>`,
      );
  });
  return router;
}
