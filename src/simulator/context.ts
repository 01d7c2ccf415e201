// What the simulator's routers share: the store, the settings, the webhook emitter and the callouts' lifecycle.
// Built once by app.ts; a router takes it and returns an express Router.
import type { CalloutLifecycle } from './lifecycle.js';
import type { SimConfig } from './options.js';
import type { SimulatorState } from './state.js';
import type { Emit } from './webhooks.js';

export interface SimContext {
  state: SimulatorState;
  config: SimConfig;
  emit: Emit;
  callouts: CalloutLifecycle;
}

export const nowIso = () => new Date().toISOString();

/** AURA's answer to a mutation that returns nothing else. */
export const OK_MESSAGE = { message: 'Request completed successfully.' };
