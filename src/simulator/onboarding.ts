// Simulator parts for customer onboarding: AURA's documented rate limit on the subscription read-back (about 50
// requests per 10 s per customer source, then 429 with Retry-After), a fault that loses the answer of a customer
// create after AURA has processed it, and control routes to inspect customers. Mounted from app.ts.
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { SimulatorState } from './state.js';

export interface OnboardingFaults {
  /** Subscription read-backs allowed per window per customer source (AURA: about 50 per 10 s). */
  subscriptionReadLimit: number;
  subscriptionReadWindowMs: number;
  /** The next this-many `POST /v2/customers` are processed, then their connection is dropped before the answer. */
  loseCustomerCreateAnswers: number;
}

const DEFAULTS: OnboardingFaults = {
  subscriptionReadLimit: 50,
  subscriptionReadWindowMs: 10_000,
  loseCustomerCreateAnswers: 0,
};

export function createOnboardingSim(state: SimulatorState) {
  let faults: OnboardingFaults = { ...DEFAULTS };
  let reads: number[] = [];
  const lost: { at: string; path: string }[] = [];

  /** Panic API middleware (after authentication). */
  const api = Router();
  api.get('/customers/:customerId/subscriptions', (_req: Request, res: Response, next: NextFunction) => {
    const now = Date.now();
    reads = reads.filter((t) => now - t < faults.subscriptionReadWindowMs);
    if (reads.length >= faults.subscriptionReadLimit) {
      const waitMs = faults.subscriptionReadWindowMs - (now - reads[0]!);
      res.setHeader('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
      return void res
        .status(429)
        .json({ message: 'Too many requests: the subscription read-back is rate limited per customer source' });
    }
    reads.push(now);
    next();
  });
  api.post('/customers', (req: Request, res: Response, next: NextFunction) => {
    if (faults.loseCustomerCreateAnswers > 0) {
      faults.loseCustomerCreateAnswers--;
      // AURA processes the create; the answer never reaches the caller (a timeout or reset, as it looks to them).
      const json = res.json.bind(res);
      res.json = ((_body: unknown) => {
        lost.push({ at: new Date().toISOString(), path: req.originalUrl });
        state.requests.push({
          at: new Date().toISOString(),
          method: 'POST',
          path: req.originalUrl.split('?')[0]!,
          status: 0,
        });
        req.socket.destroy();
        return res;
      }) as typeof res.json;
      void json;
    }
    next();
  });

  /** Control routes under /__sim (mounted before the simulator's own). */
  const control = Router();
  control.use(express.json());
  control.post('/reset', (_req, _res, next) => {
    faults = { ...DEFAULTS };
    reads = [];
    lost.length = 0;
    next();
  });
  control.put('/onboarding-faults', (req, res) => {
    const b = (req.body ?? {}) as Partial<OnboardingFaults>;
    const pos = (v: unknown, d: number) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : d);
    faults = {
      subscriptionReadLimit: pos(b.subscriptionReadLimit, DEFAULTS.subscriptionReadLimit),
      subscriptionReadWindowMs: pos(b.subscriptionReadWindowMs, DEFAULTS.subscriptionReadWindowMs),
      loseCustomerCreateAnswers:
        typeof b.loseCustomerCreateAnswers === 'number' && b.loseCustomerCreateAnswers >= 0
          ? Math.floor(b.loseCustomerCreateAnswers)
          : 0,
    };
    res.json(faults);
  });
  control.get('/onboarding-faults', (_req, res) => void res.json({ ...faults, lostAnswers: lost }));
  // Customers as the simulator holds them (for counting in tests), with their subscriptions.
  control.get('/customers', (req, res) => {
    const ref = typeof req.query.externalReferenceId === 'string' ? req.query.externalReferenceId : undefined;
    const out = [...state.customers.values()]
      .filter((c) => !c.deletedAt && (ref === undefined || c.externalReferenceId === ref))
      .map((c) => ({
        id: c.id,
        externalReferenceId: c.externalReferenceId,
        mobile: c.mobile,
        subscriptions: [...state.subscriptions.values()]
          .filter((s) => s.customerId === c.id || s.dependantCustomerIds.includes(c.id))
          .map(({ dependantCustomerIds, ...s }) => ({ ...s, dependantCustomerIds })),
      }));
    res.json(out);
  });

  return { api, control };
}
