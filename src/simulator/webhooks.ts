// The simulator's webhook emitter: the one registration per customer source (validated as AURA does), and delivery
// of each event to it with the registered headers (AURA's only authentication of a webhook), attempted once, never
// retried, with the drop, duplicate and reorder faults of PUT /__sim/faults. Every attempt lands in the delivery log.
import { isLoopbackHost } from '../aura/webhook-registration.js';
import { DEPRECATED_EVENTS, REGISTRABLE_EVENTS } from '../domain/events.js';
import type { SimulatorState, WebhookConfig } from './state.js';

/** Deliver `event` to the registered webhook, if it is registered for it. */
export type Emit = (event: string, payload: Record<string, unknown>, calloutId: number | null) => void;

/** The registration in a `POST /notifiers/webhooks` body, or null when AURA would refuse it (400). */
export function webhookRegistration(b: Record<string, unknown>, allowLoopbackHttp: boolean): WebhookConfig | null {
  const events = b.events;
  const headers = b.headers ?? {};
  let url: URL | null;
  try {
    url = typeof b.url === 'string' ? new URL(b.url) : null;
  } catch {
    url = null;
  }
  const httpsOk =
    url &&
    (url.protocol === 'https:' || (allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname)));
  const eventsOk =
    Array.isArray(events) &&
    events.length > 0 &&
    events.every((e) => typeof e === 'string' && REGISTRABLE_EVENTS.includes(e));
  const headersOk =
    headers &&
    typeof headers === 'object' &&
    !Array.isArray(headers) &&
    Object.values(headers).every((v) => typeof v === 'string');
  if (!url || !httpsOk || !eventsOk || !headersOk || (b.method !== undefined && b.method !== 'webhook')) return null;
  return {
    url: url.toString(),
    events: events as string[],
    method: 'webhook',
    headers: headers as Record<string, string>,
    ignorePath: true,
  };
}

function deliveredName(event: string, registered: string[]): string | null {
  if (registered.includes(event)) return event;
  // A registration of the deprecated _WITH_ETA name still receives auto-dispatch events, named without the suffix.
  for (const [deprecated, current] of Object.entries(DEPRECATED_EVENTS)) {
    if (current === event && registered.includes(deprecated)) return event;
  }
  return null;
}

export function createEmitter(state: SimulatorState): Emit {
  const nowIso = () => new Date().toISOString();
  return (event, payload, calloutId) => {
    const hook = state.webhook;
    if (!hook) return;
    const name = deliveredName(event, hook.events);
    if (!name) return;
    const f = state.faults;
    if (state.random() < f.webhookDropRate) {
      state.deliveries.push({ at: nowIso(), event, calloutId, outcome: 'dropped' });
      return;
    }
    const copies = state.random() < f.webhookDuplicateRate ? 2 : 1;
    const delay = f.webhookReorderWindowMs > 0 ? Math.floor(state.random() * f.webhookReorderWindowMs) : 0;
    const body = JSON.stringify(payload);
    const send = async (outcome: 'delivered' | 'duplicated') => {
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...hook.headers },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        state.deliveries.push({
          at: nowIso(),
          event,
          calloutId,
          outcome: res.ok ? outcome : 'failed',
          httpStatus: res.status,
        });
      } catch {
        // Attempted once, never retried: that is how AURA delivers.
        state.deliveries.push({ at: nowIso(), event, calloutId, outcome: 'failed' });
      }
    };
    const go = () => {
      void send('delivered');
      if (copies === 2) void send('duplicated');
    };
    if (delay > 0) setTimeout(go, delay).unref();
    else go();
  };
}
