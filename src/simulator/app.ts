// The AURA simulator: AURA's Panic API on the same paths and with the same shapes as the reference, for development,
// tests, demos and benchmarks (contract §5). Runnable alone (`npm run sim`) or embedded (`startSimulator`).
// This file only composes: the store (state.ts), the faults (faults.ts), the webhook emitter (webhooks.ts), the
// callouts' lifecycle and clock (lifecycle.ts, autopilot.ts), one router per resource (routers/) and the control
// routes (control.ts).
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { startAutopilot } from './autopilot.js';
import { nowIso, type SimContext } from './context.js';
import { controlRouter } from './control.js';
import { apiFaults } from './faults.js';
import { CalloutLifecycle } from './lifecycle.js';
import { createOnboardingSim } from './onboarding.js';
import { simConfig, type SimulatorOptions } from './options.js';
import { requireToken, tokenRouter } from './routers/auth.js';
import { calloutsRouter, trackingRouter } from './routers/callouts.js';
import { customersRouter } from './routers/customers.js';
import { mountFixedLocations } from './routers/fixed-locations.js';
import { webhooksRouter } from './routers/webhooks.js';
import { SimulatorState } from './state.js';
import { createEmitter } from './webhooks.js';

export { SimulatorState } from './state.js';
export type { SimulatorOptions } from './options.js';
export type { AutopilotConfig, DeliveryLogEntry, FaultConfig, RequestLogEntry } from './state.js';

export interface RunningSimulator {
  url: string;
  /** Base URL of the Panic API, i.e. `${url}/panic-api`. */
  panicApiUrl: string;
  state: SimulatorState;
  close(): Promise<void>;
}

export function createSimulatorApp(opts: SimulatorOptions = {}) {
  const config = simConfig(opts);
  const state = new SimulatorState(config.autopilot, config.firstCalloutId);
  const emit = createEmitter(state);
  const callouts = new CalloutLifecycle(state, emit);
  const ctx: SimContext = { state, config, emit, callouts };
  const stopAutopilot = startAutopilot(state, callouts, config.cancelCloseMs);

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

  // The Panic API: the token exchange, then everything behind a bearer token.
  const onboarding = createOnboardingSim(state);
  const v2 = Router();
  v2.use(tokenRouter(ctx));
  v2.use(requireToken(ctx));
  v2.use(onboarding.api);
  v2.use(customersRouter(ctx));
  v2.use(calloutsRouter(ctx));
  v2.use(webhooksRouter(ctx));
  // Fixed Locations, their callouts, and the CSV import / export on the host root.
  const fixed = mountFixedLocations(v2, app, {
    state: state.fixedLocations,
    staticToken: config.staticToken,
    tokens: state.tokens,
    allowLoopbackHttp: config.allowLoopbackHttp,
    importDelayMs: config.fixedLocationImportDelayMs,
    calloutDedupe: config.fixedLocationCalloutDedupe,
    newCallout: (init) => callouts.create(init),
    callouts: () => state.callouts.values(),
    flat: (c) => callouts.flat(c),
  });
  app.use('/panic-api/v2', v2);

  app.use('/__sim', controlRouter(ctx, { before: onboarding.control, after: fixed.control }));
  app.use(trackingRouter(ctx));

  // Unknown routes and malformed bodies answer like an API, not with Express's HTML.
  app.use((_req, res) => void res.status(404).json({ message: 'Not found' }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number })?.status ?? 500;
    res
      .status(status >= 400 && status < 600 ? status : 500)
      .json({ message: status === 400 ? 'Malformed JSON body' : 'Simulator error' });
  });

  return { app, state, stop: stopAutopilot };
}

export async function startSimulator(
  opts: SimulatorOptions & { port?: number; host?: string } = {},
): Promise<RunningSimulator> {
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
