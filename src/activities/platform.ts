// Write-back to the platform: POST each event as JSON, signed (HMAC-SHA256 over `timestamp.body`, Stripe-style) and
// with a stable idempotency id, so the receiving side can verify, dedupe and reorder.
import { createHmac } from 'node:crypto';
import type { PlatformEvent } from '../domain/platform.js';

export const SIGNATURE_HEADER = 'x-aura-callouts-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function signPlatformBody(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export async function postPlatformEvent(
  url: string,
  secret: string | undefined,
  event: PlatformEvent,
  timeoutMs = 10_000,
): Promise<void> {
  const body = JSON.stringify(event);
  const ts = Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/json', [IDEMPOTENCY_HEADER]: event.id };
  if (secret) headers[SIGNATURE_HEADER] = signPlatformBody(secret, ts, body);
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer().catch(() => undefined);
  // Anything but 2xx is retried (with backoff, by Temporal) until the platform accepts the event.
  if (!res.ok) throw new Error(`platform answered ${res.status} to event ${event.id}`);
}

export interface PlatformActivityDeps {
  platformEventsUrl?: string | undefined;
  platformEventsSecret?: string | undefined;
}

/** The write-back activity: a no-op while PLATFORM_EVENTS_URL is unset. */
export function createPlatformActivities(deps: PlatformActivityDeps) {
  return {
    async postPlatformEvent(event: PlatformEvent): Promise<void> {
      if (!deps.platformEventsUrl) return;
      await postPlatformEvent(deps.platformEventsUrl, deps.platformEventsSecret, event);
    },
  };
}

export type PlatformActivities = ReturnType<typeof createPlatformActivities>;
