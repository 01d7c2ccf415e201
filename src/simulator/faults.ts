// The simulator's Panic API faults (PUT /__sim/faults): the global ones (an error rate over 500, 502, 503, 429 and
// the connection faults, added latency, lost answers) and the route faults of route-faults.ts, applied by one
// middleware ahead of the Panic API. Webhook faults (drop, duplicate, reorder) are the emitter's (webhooks.ts).
import type { RequestHandler } from 'express';
import { prng } from '../util/prng.js';
import { DEFAULT_ROUTE_FAULT_BODY, parseRouteFaults } from './route-faults.js';
import { NO_FAULTS, type FaultConfig, type SimulatorState } from './state.js';

/**
 * Injected Panic API faults (not on control routes or the tracking page), drawn from the seeded generator so a run
 * can be repeated. Kinds: 500, 502, 503, 429 (Retry-After: 1), a connection reset before processing, a timeout
 * (held, then dropped, unprocessed), and a lost answer (processed, then the connection drops: the case that tempts
 * a duplicate).
 */
export function apiFaults(state: SimulatorState): RequestHandler {
  return async (req, res, next) => {
    if (req.path.startsWith('/__sim') || req.path.startsWith('/track')) return next();
    const f = state.faults;
    if (f.apiLatencyMs > 0) await new Promise((r) => setTimeout(r, f.apiLatencyMs));
    const loseAnswer = () => {
      const at = new Date().toISOString();
      res.end = (() => {
        state.requests.push({ at, method: req.method, path: req.originalUrl.split('?')[0]!, status: 0 });
        req.socket.destroy();
        return res;
      }) as typeof res.end;
    };
    const count = (kind: string | number) => void (state.faultCounts[kind] = (state.faultCounts[kind] ?? 0) + 1);
    const rule = state.routeFaults.match(req.method, req.path, state.random);
    if (rule) {
      count(rule.kind ?? rule.status!);
      if (rule.kind === 'reset') return void req.socket.destroy();
      if (rule.kind === 'timeout') {
        const timer = setTimeout(() => req.socket.destroy(), f.apiTimeoutMs);
        req.socket.once('close', () => clearTimeout(timer));
        return;
      }
      if (rule.kind === 'lost') {
        loseAnswer();
        return next();
      }
      return void res.status(rule.status!).json(rule.body ?? DEFAULT_ROUTE_FAULT_BODY);
    }
    // The token exchange is not a business mutation: losing its answer would only make the client ask again.
    if (f.loseNextResponses > 0 && req.method !== 'GET' && !req.path.endsWith('/oauth/token')) {
      f.loseNextResponses--;
      count('lost');
      loseAnswer();
      return next();
    }
    if (f.apiErrorRate > 0 && state.random() < f.apiErrorRate) {
      const kinds = [500, 502, 503, 429, 'reset', 'timeout', 'lost'] as const;
      const kind = kinds[Math.floor(state.random() * kinds.length)]!;
      count(kind);
      if (kind === 'reset') return void req.socket.destroy();
      if (kind === 'timeout') {
        const timer = setTimeout(() => req.socket.destroy(), f.apiTimeoutMs);
        req.socket.once('close', () => clearTimeout(timer));
        return;
      }
      if (kind === 'lost') {
        loseAnswer();
        return next();
      }
      if (kind === 429) res.setHeader('retry-after', '1');
      return void res.status(kind).json({ message: `Injected fault ${kind}` });
    }
    next();
  };
}

/** A `PUT /__sim/faults` body. */
export type FaultSettings = Partial<FaultConfig> & { routes?: unknown };

/**
 * Replace every fault setting with those of a `PUT /__sim/faults` body (absent or invalid values: none), and
 * restart the seeded generator. A malformed `routes` changes nothing: its message is returned.
 */
export function setFaults(state: SimulatorState, b: FaultSettings): string | null {
  let routes;
  try {
    routes = parseRouteFaults(b.routes);
  } catch (err) {
    return (err as Error).message;
  }
  state.routeFaults.set(routes);
  const rate = (v: unknown, d: number) => (typeof v === 'number' && v >= 0 && v <= 1 ? v : d);
  const nonNeg = (v: unknown, d: number) => (typeof v === 'number' && v >= 0 ? v : d);
  state.faults = {
    webhookDropRate: rate(b.webhookDropRate, 0),
    webhookDuplicateRate: rate(b.webhookDuplicateRate, 0),
    webhookReorderWindowMs: nonNeg(b.webhookReorderWindowMs, 0),
    apiErrorRate: rate(b.apiErrorRate, 0),
    apiLatencyMs: nonNeg(b.apiLatencyMs, 0),
    apiTimeoutMs: nonNeg(b.apiTimeoutMs, NO_FAULTS.apiTimeoutMs),
    loseNextResponses:
      Number.isInteger(b.loseNextResponses) && (b.loseNextResponses as number) >= 0
        ? (b.loseNextResponses as number)
        : 0,
    seed: Number.isInteger(b.seed) ? (b.seed as number) : 1,
  };
  state.random = prng(state.faults.seed);
  return null;
}
