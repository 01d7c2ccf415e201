// The simulator's clock: every 100 ms it closes callouts cancelled `cancelCloseMs` ago (AURA stands the responder
// down, then closes), and, when the autopilot is on (PUT /__sim/autopilot), walks each open callout one status along
// created → Responder Dispatched → Responder Arrived → Responder Completed → closed every `stepMs`.
import { CalloutStatus } from '../domain/status.js';
import type { CalloutLifecycle } from './lifecycle.js';
import type { AutopilotConfig, SimulatorState } from './state.js';

const AUTOPILOT_PATH = [
  CalloutStatus.Created,
  CalloutStatus.ResponderDispatched,
  CalloutStatus.ResponderArrived,
  CalloutStatus.ResponderCompleted,
  CalloutStatus.Closed,
];

/** Start the clock; the function returned stops it. */
export function startAutopilot(state: SimulatorState, callouts: CalloutLifecycle, cancelCloseMs: number): () => void {
  const tick = setInterval(() => {
    const now = Date.now();
    for (const c of state.callouts.values()) {
      if (c.status === CalloutStatus.Closed) continue;
      const cancelled = callouts.cancelledAt.get(c.id);
      if (cancelled !== undefined) {
        // AURA stands the responder down, then closes the callout.
        if (now - cancelled >= cancelCloseMs) {
          callouts.cancelledAt.delete(c.id);
          callouts.setStatus(c, CalloutStatus.Closed, true);
        }
        continue;
      }
      if (!state.autopilot.enabled || now - c.lastChangeMs < state.autopilot.stepMs) continue;
      const i = AUTOPILOT_PATH.indexOf(c.status as (typeof AUTOPILOT_PATH)[number]);
      const next = AUTOPILOT_PATH[i + 1];
      // Unknown statuses set by a test are left alone; the autopilot walks only its own path.
      if (i >= 0 && next) callouts.setStatus(c, next, state.autopilot.emitWebhooks);
    }
  }, 100);
  tick.unref();
  return () => clearInterval(tick);
}

/** Apply a `PUT /__sim/autopilot` body: each valid field replaces the current setting, the rest stay. */
export function setAutopilot(state: SimulatorState, b: Partial<AutopilotConfig>): void {
  state.autopilot = {
    enabled: typeof b.enabled === 'boolean' ? b.enabled : state.autopilot.enabled,
    stepMs: typeof b.stepMs === 'number' && b.stepMs > 0 ? b.stepMs : state.autopilot.stepMs,
    emitWebhooks: typeof b.emitWebhooks === 'boolean' ? b.emitWebhooks : state.autopilot.emitWebhooks,
  };
}
