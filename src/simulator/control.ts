// The simulator's control routes under /__sim (contract §5), for tests and demos only: reset, set a callout's status
// or write into its event stream as a controller would, the faults and the autopilot, and the logs and records for
// counting. Onboarding's and the Fixed Locations' own control routes are mounted with them, in the order they were.
import { Router } from 'express';
import { CalloutStatus } from '../domain/status.js';
import { setAutopilot } from './autopilot.js';
import { nowIso, type SimContext } from './context.js';
import { setFaults, type FaultSettings } from './faults.js';
import type { AutopilotConfig } from './state.js';

const NO_CALLOUT = { error: { code: 'CALLOUT_NOT_FOUND', message: 'No such callout in the simulator' } };
const invalid = (message: string) => ({ error: { code: 'VALIDATION_FAILED', message } });

/**
 * The router to mount at /__sim. `before` runs ahead of the simulator's own routes (onboarding's: its reset hook
 * calls next), `after` behind them (the Fixed Locations').
 */
export function controlRouter({ state, emit, callouts }: SimContext, parts: { before: Router; after: Router }): Router {
  const sim = Router();
  sim.use(parts.before);
  sim.post('/reset', (_req, res) => {
    state.reset();
    callouts.cancelledAt.clear();
    res.json({ status: 'reset' });
  });
  sim.post('/callouts/:id/status', (req, res) => {
    const c = state.callouts.get(Number(req.params.id));
    if (!c) return void res.status(404).json(NO_CALLOUT);
    const status = (req.body ?? {}).status;
    if (typeof status !== 'string' || !status) return void res.status(400).json(invalid('status is required'));
    callouts.setStatus(c, status, (req.body ?? {}).webhook === true);
    if (status === CalloutStatus.ResponderCancelled) callouts.cancelledAt.delete(c.id);
    res.json(callouts.read(c));
  });
  // A controller or responder writes into the callout's event stream (inbound notes for the service).
  sim.post('/callouts/:id/events', (req, res) => {
    const c = state.callouts.get(Number(req.params.id));
    if (!c) return void res.status(404).json(NO_CALLOUT);
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (typeof b.message !== 'string' || !b.message) return void res.status(400).json(invalid('message is required'));
    const e = {
      id: state.nextId.event++,
      calloutId: c.id,
      message: b.message,
      createdBy: typeof b.author === 'string' ? b.author : 'controller',
      createdAt: nowIso(),
    };
    c.events.push(e);
    if (b.webhook !== false) emit('CALLOUT_EVENTS_CHANGED', callouts.payload('CALLOUT_EVENTS_CHANGED', c), c.id);
    res.status(201).json(e);
  });
  sim.get('/exceptionReasons', (_req, res) => void res.json(state.exceptionReasons));
  sim.put('/faults', (req, res) => {
    const error = setFaults(state, (req.body ?? {}) as FaultSettings);
    if (error) return void res.status(400).json(invalid(error));
    res.json({ ...state.faults, routes: state.routeFaults.report() });
  });
  sim.get(
    '/faults',
    (_req, res) => void res.json({ ...state.faults, routes: state.routeFaults.report(), injected: state.faultCounts }),
  );
  sim.put('/autopilot', (req, res) => {
    setAutopilot(state, (req.body ?? {}) as Partial<AutopilotConfig>);
    res.json(state.autopilot);
  });
  sim.get('/autopilot', (_req, res) => void res.json(state.autopilot));
  sim.get('/callouts', (_req, res) => void res.json([...state.callouts.values()].map((c) => callouts.read(c))));
  sim.get('/requests', (_req, res) => void res.json(state.requests));
  sim.get('/deliveries', (_req, res) => void res.json(state.deliveries));
  sim.get('/webhook', (_req, res) => void res.json(state.webhook));
  sim.get('/ratings', (_req, res) => void res.json(state.ratings));
  sim.use(parts.after);
  return sim;
}
