// The AURA simulator: AURA's Panic API on the same paths and with the same shapes as the reference, for development,
// tests, demos and benchmarks (contract §5). Runnable alone (`npm run sim`) or embedded (`startSimulator`).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { CalloutStatus } from '../domain/status.js';
import {
  CUSTOMER_SOURCE_ID,
  RESPONSE_TYPES,
  SUBSCRIPTION_TYPES,
  customerRecord,
  flatCallout,
  type SimCallout,
  type SimCustomer,
  type SimSubscription,
} from './data.js';
import { createOnboardingSim } from './onboarding.js';
import { mountFixedLocations } from './routers/fixed-locations.js';
import { apiFaults, setFaults, type FaultSettings } from './faults.js';
import { simConfig, type SimulatorOptions } from './options.js';
import { createEmitter } from './webhooks.js';
import { CalloutLifecycle, type NewCallout } from './lifecycle.js';
import { setAutopilot, startAutopilot } from './autopilot.js';
import { webhooksRouter } from './routers/webhooks.js';
import { SimulatorState, type AutopilotConfig } from './state.js';

export { SimulatorState } from './state.js';
export type { SimulatorOptions } from './options.js';
export type { AutopilotConfig, DeliveryLogEntry, FaultConfig, RequestLogEntry } from './state.js';

const EXCEPTION_REASONS = [
  { id: 1, reason: 'Customer unavailable at location' },
  { id: 2, reason: 'False alarm triggered' },
  { id: 3, reason: 'Technical malfunction detected' },
];

const NO_TOKEN = { errors: 'No authorization token was found' };
const OK_MESSAGE = { message: 'Request completed successfully.' };


export interface RunningSimulator {
  url: string;
  /** Base URL of the Panic API, i.e. `${url}/panic-api`. */
  panicApiUrl: string;
  state: SimulatorState;
  close(): Promise<void>;
}

export function createSimulatorApp(opts: SimulatorOptions = {}) {
  const config = simConfig(opts);
  const { clientId, clientSecret, staticToken, cancelCloseMs, allowLoopbackHttp } = config;
  const tokenTtl = config.tokenTtlSeconds;
  const state = new SimulatorState(config.autopilot, config.firstCalloutId);

  const nowIso = () => new Date().toISOString();
  const emit = createEmitter(state);

  const callouts = new CalloutLifecycle(state, emit);
  const calloutPayload = (event: string, c: SimCallout) => callouts.payload(event, c);
  const setStatus = (c: SimCallout, status: string, webhook: boolean) => callouts.setStatus(c, status, webhook);
  const newCallout = (init: NewCallout) => callouts.create(init);
  const cancelledAt = callouts.cancelledAt;
  const stopAutopilot = startAutopilot(state, callouts, cancelCloseMs);

  // ---- app ----------------------------------------------------------------------------------------------------

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    callouts.publicBase = `${req.protocol}://${req.get('host') ?? '127.0.0.1:4010'}`;
    if (!req.path.startsWith('/__sim')) {
      // Logged when the request arrives (the rate AURA sees), written once the status is known.
      const at = nowIso();
      res.on('finish', () => {
        state.requests.push({ at, method: req.method, path: req.originalUrl.split('?')[0]!, status: res.statusCode });
        if (state.requests.length > 200_000) state.requests.splice(0, 100_000);
      });
    }
    next();
  });
  app.use(express.json({ limit: '5mb' }));

  app.use(apiFaults(state));

  const v2 = express.Router();

  v2.post('/oauth/token', (req, res) => {
    const { clientId: id, clientSecret: secret } = (req.body ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || typeof secret !== 'string') return void res.status(400).json({ message: 'clientId and clientSecret are required' });
    if (id !== clientId || secret !== clientSecret) return void res.status(401).json({ errors: 'Invalid client credentials' });
    const token = `sim_${randomBytes(18).toString('base64url')}`;
    state.tokens.set(token, Date.now() + tokenTtl * 1000);
    res.json({ accessToken: token, tokenType: 'Bearer', expiresIn: tokenTtl });
  });

  v2.use((req, res, next) => {
    const header = req.get('authorization');
    if (!header || !/^Bearer\s+\S+/i.test(header)) return void res.status(401).json(NO_TOKEN);
    const token = header.replace(/^Bearer\s+/i, '').trim();
    if (token === staticToken) return next();
    const exp = state.tokens.get(token);
    if (exp === undefined) return void res.status(401).json({ errors: 'invalid token' });
    if (exp < Date.now()) return void res.status(401).json({ errors: 'jwt expired' });
    next();
  });
  const onboardingSim = createOnboardingSim(state);
  v2.use(onboardingSim.api);

  // -- customers
  v2.post('/customers', (req, res) => {
    const body = (req.body ?? {}) as Record<string, any>;
    const c = (body.customer ?? body) as Record<string, any>;
    const name = c.name ?? c.firstName;
    const surname = c.surname ?? c.lastName;
    const mobile = c.mobile ?? c.mobileNumber;
    if (!name || !surname || !mobile) return void res.status(400).json({ message: 'name, surname and mobile are required' });
    if (body.subscription && body.subscriptionId) return void res.status(400).json({ message: 'subscription and subscriptionId are mutually exclusive' });
    for (const existing of state.customers.values()) {
      if (existing.mobile === mobile && !existing.deletedAt) return void res.status(409).json({ message: 'A customer with this mobile number already exists' });
    }
    const now = nowIso();
    const customer: SimCustomer = {
      id: state.nextId.customer++,
      name,
      surname,
      mobile,
      email: c.email ?? null,
      gender: c.gender ?? '',
      dateOfBirth: c.dateOfBirth ?? null,
      vehicleMake: c.vehicleMake ?? '',
      vehicleModel: c.vehicleModel ?? '',
      vehicleColour: c.vehicleColour ?? '',
      vehicleLicensePlate: c.vehicleLicensePlate ?? '',
      businessName: c.businessName ?? null,
      hasMedicalAid: c.hasMedicalAid ?? null,
      medicalConditions: c.medicalConditions ?? null,
      medications: c.medications ?? null,
      allergies: c.allergies ?? null,
      medicalAidNumber: c.medicalAidNumber ?? null,
      medicalAidScheme: c.medicalAidScheme ?? null,
      medicalAidPlan: c.medicalAidPlan ?? null,
      bloodType: c.bloodType ?? null,
      nextOfKinName: c.nextOfKinName ?? null,
      nextOfKinNumber: c.nextOfKinNumber ?? null,
      familyDoctorPhoneNumber: c.familyDoctorPhoneNumber ?? null,
      medicalOther: c.medicalOther ?? null,
      externalReferenceId: c.externalReferenceId ?? null,
      customerSourceId: CUSTOMER_SOURCE_ID,
      auth0UserId: randomBytes(12).toString('hex'),
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    state.customers.set(customer.id, customer);
    emit('CREATED_CUSTOMER', { message: 'CREATED_CUSTOMER', customer: { ...customerRecord(customer), subscriptions: [] } }, null);
    let subscription: SimSubscription | undefined;
    if (body.subscription) {
      subscription = createSubscription(customer.id, body.subscription);
    } else if (body.subscriptionId) {
      const s = state.subscriptions.get(Number(body.subscriptionId));
      if (s) s.dependantCustomerIds.push(customer.id);
    }
    res.status(201).json({ message: 'Customer created', customer: { ...customerRecord(customer), subscriptions: subscription ? [subscription] : [] } });
  });

  v2.get('/customers/:customerId', (req, res) => {
    const c = state.customers.get(Number(req.params.customerId));
    if (!c || c.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    res.json({ message: 'Customer retrieved', customer: customerRecord(c) });
  });

  v2.put('/customers/:customerId', (req, res) => {
    const c = state.customers.get(Number(req.params.customerId));
    if (!c || c.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    const patch = ((req.body ?? {}).customer ?? req.body ?? {}) as Partial<SimCustomer>;
    for (const [k, v] of Object.entries(patch)) {
      if (k !== 'id' && k in c) (c as unknown as Record<string, unknown>)[k] = v;
    }
    c.updatedAt = nowIso();
    emit('UPDATED_CUSTOMER', { message: 'UPDATED_CUSTOMER', customer: customerRecord(c) }, null);
    res.json({ message: 'Customer updated', customer: customerRecord(c) });
  });

  v2.post('/customers/:customerId/delete', (req, res) => {
    const c = state.customers.get(Number(req.params.customerId));
    if (!c || c.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    c.deletedAt = nowIso();
    res.json(OK_MESSAGE);
  });

  // -- subscriptions
  function createSubscription(customerId: number, input: Record<string, any>): SimSubscription {
    const now = Date.now();
    const s: SimSubscription = {
      id: state.nextId.subscription++,
      customerId,
      subscriptionTypeId: Number(input.subscriptionTypeId ?? SUBSCRIPTION_TYPES[0]!.id),
      validFrom: input.validFrom ?? new Date(now).toISOString(),
      validTo: input.validTo ?? new Date(now + 365 * 86_400_000).toISOString(),
      CancelledDate: null,
      CancelledReason: null,
      subscriptionToken: null,
      dependantCustomerIds: Array.isArray(input.dependantCustomerIds) ? input.dependantCustomerIds.map(Number) : [],
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
    };
    state.subscriptions.set(s.id, s);
    const { dependantCustomerIds: _d, ...wire } = s;
    emit('SUBSCRIPTION_CREATED', { message: 'Successfully activated customer subscription', subscription: wire, dependantLinks: [] }, null);
    return s;
  }

  v2.get('/subscriptions/subscriptionTypes', (_req, res) => void res.json({ message: 'Subscription types', subscriptionTypes: SUBSCRIPTION_TYPES }));

  v2.post('/subscriptions', (req, res) => {
    const body = (req.body ?? {}) as Record<string, any>;
    const customerId = Number(body.customerId);
    if (!state.customers.has(customerId)) return void res.status(400).json({ message: 'Unknown customerId' });
    if (state.hasActiveSubscription(customerId)) return void res.status(409).json({ message: 'Customer already has an active subscription' });
    const s = createSubscription(customerId, body);
    res.status(201).json({ message: 'Subscription activated', subscription: s });
  });

  v2.get('/subscriptions/:subscriptionId', (req, res) => {
    const s = state.subscriptions.get(Number(req.params.subscriptionId));
    if (!s) return void res.status(404).json({ message: 'Subscription not found' });
    res.json({ message: 'Subscription retrieved', subscription: { ...s, dependents: s.dependantCustomerIds.map((id) => ({ customerId: id })) } });
  });

  v2.get('/customers/:customerId/subscriptions', (req, res) => {
    const customerId = Number(req.params.customerId);
    if (!state.customers.has(customerId)) return void res.status(404).json({ message: 'Customer not found' });
    res.json([...state.subscriptions.values()].filter((s) => s.customerId === customerId));
  });

  v2.delete('/subscriptions/:subscriptionId', (req, res) => {
    const s = state.subscriptions.get(Number(req.params.subscriptionId));
    if (!s) return void res.status(404).json({ message: 'Subscription not found' });
    s.CancelledDate = nowIso();
    s.CancelledReason = (req.body?.reason as string | undefined) ?? 'Cancelled by integration';
    s.updatedAt = s.CancelledDate;
    const { dependantCustomerIds: _d, ...wire } = s;
    emit('SUBSCRIPTION_CANCELLED', { message: 'SUBSCRIPTION_CANCELLED', subscription: wire }, null);
    res.json({ message: 'Request completed successfully.', subscriptionToken: null });
  });

  // -- callouts
  v2.post('/customers/:customerId/callouts', (req, res) => {
    const customerId = Number(req.params.customerId);
    const customer = state.customers.get(customerId);
    if (!customer || customer.deletedAt) return void res.status(404).json({ message: 'Customer not found' });
    const b = (req.body ?? {}) as Record<string, any>;
    const loc = b.location ?? (b.latitude !== undefined || b.longitude !== undefined ? { latitude: b.latitude, longitude: b.longitude, accuracy: b.accuracy } : undefined);
    const predefined = b.predefinedLocationId;
    if (loc && predefined !== undefined) return void res.status(400).json({ message: 'Provide either location or predefinedLocationId, not both' });
    if (!loc && predefined === undefined) return void res.status(400).json({ message: 'location or predefinedLocationId is required' });
    if (!Number.isInteger(b.responseTypeId) || !RESPONSE_TYPES.some((r) => r.id === b.responseTypeId)) {
      return void res.status(400).json({ message: 'responseTypeId is required and must be a valid response type' });
    }
    if (loc && (typeof loc.latitude !== 'number' || typeof loc.longitude !== 'number' || Math.abs(loc.latitude) > 90 || Math.abs(loc.longitude) > 180)) {
      return void res.status(400).json({ message: 'location.latitude and location.longitude must be valid coordinates' });
    }
    const existing = state.activeCalloutOf(customerId);
    if (existing) return void res.status(200).json({ message: 'Customer already has an active callout', callout: flatCallout(existing, callouts.publicBase) });
    if (loc && !state.hasActiveSubscription(customerId)) {
      return void res.status(403).json({ message: 'Customer does not have an active subscription' });
    }
    const c = newCallout({
      customerId,
      responseTypeId: b.responseTypeId,
      calloutClassificationId: Number.isInteger(b.calloutClassificationId) ? b.calloutClassificationId : 1,
      internalTest: b.internalTest === true,
      latitude: loc ? loc.latitude : -26.10911,
      longitude: loc ? loc.longitude : 28.053037,
      accuracy: loc?.accuracy ?? 0,
      predefinedLocationId: predefined !== undefined ? Number(predefined) : null,
    });
    res.status(201).json({ message: 'Callout created', callout: flatCallout(c, callouts.publicBase) });
  });

  v2.get('/customers/:customerId/callouts', (req, res) => {
    const customerId = Number(req.params.customerId);
    if (!state.customers.has(customerId)) return void res.status(404).json({ message: 'Customer not found' });
    res.json([...state.callouts.values()].filter((c) => c.customerId === customerId && c.status !== CalloutStatus.Closed).map((c) => flatCallout(c, callouts.publicBase)));
  });

  v2.get('/callouts/activeCallouts', (_req, res) => {
    res.json([...state.callouts.values()].filter((c) => c.status !== CalloutStatus.Closed).map((c) => flatCallout(c, callouts.publicBase)));
  });

  function calloutOr404(req: Request, res: Response): SimCallout | undefined {
    const c = state.callouts.get(Number(req.params.calloutId));
    if (!c) res.status(404).json({ message: 'Callout not found' });
    return c;
  }

  const readOf = (c: SimCallout) => callouts.read(c);

  v2.get('/callouts/:calloutId', (req, res) => {
    const c = calloutOr404(req, res);
    if (c) res.json({ message: 'Callout retrieved', callout: readOf(c) });
  });

  function locationUpdate(withCallout: boolean) {
    return (req: Request, res: Response) => {
      const c = calloutOr404(req, res);
      if (!c) return;
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (typeof b.latitude !== 'number' || typeof b.longitude !== 'number' || Math.abs(b.latitude) > 90 || Math.abs(b.longitude) > 180) {
        return void res.status(400).json({ message: 'latitude and longitude are required numbers' });
      }
      if (c.status === CalloutStatus.Closed) {
        // AURA's custom status: the callout is closed, the latest state is still returned.
        return void res.status(285).json({ message: 'Callout is closed', callout: readOf(c) });
      }
      c.latitude = b.latitude;
      c.longitude = b.longitude;
      if (typeof b.accuracy === 'number') c.accuracy = b.accuracy;
      c.updatedAt = nowIso();
      if (withCallout) res.json({ message: 'Location updated', callout: readOf(c) });
      else res.json(OK_MESSAGE);
    };
  }
  v2.post('/callouts/:calloutId/location', locationUpdate(false));
  v2.post('/callouts/:calloutId/locationAndReturnCallout', locationUpdate(true));

  v2.get('/callouts/:calloutId/events', (req, res) => {
    const c = calloutOr404(req, res);
    if (c) res.json(c.events.map((e) => ({ id: e.id, calloutId: e.calloutId, message: e.message, createdBy: e.createdBy, createdAt: e.createdAt })));
  });

  v2.post('/callouts/:calloutId/events', (req, res) => {
    const c = calloutOr404(req, res);
    if (!c) return;
    const b = (req.body ?? {}) as Record<string, unknown>;
    const message = typeof b.message === 'string' ? b.message : typeof b.event === 'string' ? b.event : undefined;
    if (!message || !message.trim()) return void res.status(400).json({ message: 'message is required' });
    const e = { id: state.nextId.event++, calloutId: c.id, message, createdBy: typeof b.source === 'string' ? b.source : 'integration', createdAt: nowIso() };
    c.events.push(e);
    emit('CALLOUT_EVENTS_CHANGED', calloutPayload('CALLOUT_EVENTS_CHANGED', c), c.id);
    res.status(201).json({ id: e.id, calloutId: e.calloutId, message: e.message, createdAt: e.createdAt });
  });

  v2.get('/callouts/:calloutId/exceptionReasons', (req, res) => {
    const c = calloutOr404(req, res);
    if (c) res.json(EXCEPTION_REASONS);
  });

  v2.post('/callouts/:calloutId/exceptionReasons', (req, res) => {
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

  v2.post('/callouts/:calloutId/cancel', (req, res) => {
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
    if (c.status !== CalloutStatus.ResponderCancelled) {
      setStatus(c, CalloutStatus.ResponderCancelled, true);
      cancelledAt.set(c.id, Date.now());
    }
    res.json({ message: 'Callout cancelled', callout: flatCallout(c, callouts.publicBase) });
  });

  v2.post('/ratings', (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const calloutId = Number(b.calloutId);
    const rating = b.rating;
    if (!Number.isInteger(calloutId) || !Number.isInteger(rating) || (rating as number) < 1 || (rating as number) > 5) {
      return void res.status(400).json({ message: 'calloutId and rating (1-5) are required' });
    }
    if (!state.callouts.has(calloutId)) return void res.status(404).json({ message: 'Callout not found' });
    const comment = typeof b.comment === 'string' ? b.comment : typeof b.additionalDetails === 'string' ? b.additionalDetails : null;
    const r = { id: state.nextId.rating++, calloutId, rating: rating as number, comment, createdAt: nowIso() };
    state.ratings.push(r);
    res.status(201).json({ id: r.id, calloutId, rating: r.rating });
  });

  v2.get('/responseTypes', (_req, res) => void res.json({ message: 'Response types', responseTypes: RESPONSE_TYPES }));

  v2.use(webhooksRouter(state, allowLoopbackHttp));

  // Fixed Locations, their callouts, and the CSV import / export on the host root.
  const fixed = mountFixedLocations(v2, app, {
    state: state.fixedLocations,
    staticToken,
    tokens: state.tokens,
    allowLoopbackHttp: allowLoopbackHttp,
    importDelayMs: config.fixedLocationImportDelayMs,
    calloutDedupe: config.fixedLocationCalloutDedupe,
    newCallout,
    callouts: () => state.callouts.values(),
    flat: (c) => flatCallout(c, callouts.publicBase),
  });

  app.use('/panic-api/v2', v2);

  // ---- control routes (tests and demos only) -------------------------------------------------------------------

  const sim = express.Router();
  sim.post('/reset', (_req, res) => {
    state.reset();
    cancelledAt.clear();
    res.json({ status: 'reset' });
  });
  sim.post('/callouts/:id/status', (req, res) => {
    const c = state.callouts.get(Number(req.params.id));
    if (!c) return void res.status(404).json({ error: { code: 'CALLOUT_NOT_FOUND', message: 'No such callout in the simulator' } });
    const status = (req.body ?? {}).status;
    if (typeof status !== 'string' || !status) return void res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: 'status is required' } });
    setStatus(c, status, (req.body ?? {}).webhook === true);
    if (status === CalloutStatus.ResponderCancelled) cancelledAt.delete(c.id);
    res.json(readOf(c));
  });
  // A controller or responder writes into the callout's event stream (inbound notes for the service).
  sim.post('/callouts/:id/events', (req, res) => {
    const c = state.callouts.get(Number(req.params.id));
    if (!c) return void res.status(404).json({ error: { code: 'CALLOUT_NOT_FOUND', message: 'No such callout in the simulator' } });
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.message !== 'string' || !b.message) return void res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: 'message is required' } });
    const e = { id: state.nextId.event++, calloutId: c.id, message: b.message, createdBy: typeof b.author === 'string' ? b.author : 'controller', createdAt: nowIso() };
    c.events.push(e);
    if (b.webhook !== false) emit('CALLOUT_EVENTS_CHANGED', calloutPayload('CALLOUT_EVENTS_CHANGED', c), c.id);
    res.status(201).json(e);
  });
  sim.get('/exceptionReasons', (_req, res) => void res.json(state.exceptionReasons));
  sim.put('/faults', (req, res) => {
    const error = setFaults(state, (req.body ?? {}) as FaultSettings);
    if (error) return void res.status(400).json({ error: { code: 'VALIDATION_FAILED', message: error } });
    res.json({ ...state.faults, routes: state.routeFaults.report() });
  });
  sim.get('/faults', (_req, res) => void res.json({ ...state.faults, routes: state.routeFaults.report(), injected: state.faultCounts }));
  sim.put('/autopilot', (req, res) => {
    setAutopilot(state, (req.body ?? {}) as Partial<AutopilotConfig>);
    res.json(state.autopilot);
  });
  sim.get('/autopilot', (_req, res) => void res.json(state.autopilot));
  sim.get('/callouts', (_req, res) => void res.json([...state.callouts.values()].map(readOf)));
  sim.get('/requests', (_req, res) => void res.json(state.requests));
  sim.get('/deliveries', (_req, res) => void res.json(state.deliveries));
  sim.get('/webhook', (_req, res) => void res.json(state.webhook));
  sim.get('/ratings', (_req, res) => void res.json(state.ratings));
  app.use('/__sim', onboardingSim.control);
  sim.use(fixed.control);
  app.use('/__sim', sim);

  app.get('/track/:calloutId', (req, res) => {
    const c = state.callouts.get(Number(req.params.calloutId));
    if (!c) return void res.status(404).type('text/plain').send('Unknown callout');
    res.type('html').send(
      `<!doctype html><meta charset="utf-8"><title>Callout ${c.id}</title><h1>AURA callout ${c.id}</h1><p>Status: <strong>${c.status}</strong></p>` +
        `<p>Responder: ${c.responder ? c.responder.callsign : 'not yet assigned'}</p><p>(simulated tracking page)</p>`,
    );
  });

  // Unknown routes and malformed bodies answer like an API, not with Express's HTML.
  app.use((_req, res) => void res.status(404).json({ message: 'Not found' }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number })?.status ?? 500;
    res.status(status >= 400 && status < 600 ? status : 500).json({ message: status === 400 ? 'Malformed JSON body' : 'Simulator error' });
  });

  return { app, state, stop: stopAutopilot };
}

export async function startSimulator(opts: SimulatorOptions & { port?: number; host?: string } = {}): Promise<RunningSimulator> {
  const { app, state, stop } = createSimulatorApp(opts);
  const host = opts.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, host, () => resolve(s));
    s.on('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    panicApiUrl: `${url}/panic-api`,
    state,
    close: async () => {
      stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

