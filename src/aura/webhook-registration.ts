// Registering the receiver with AURA (`POST /v2/notifiers/webhooks`): validated here first, so that a mistake is
// refused with a clear message before AURA would answer its opaque 400. Used by `npm run webhooks:register` and by
// the optional start-up step (WEBHOOK_REGISTER_ON_START).
import { DEPRECATED_EVENTS, NOT_REGISTERED_BY_DEFAULT, REGISTRABLE_EVENTS } from '../domain/events.js';
import type { AuraClient } from './client.js';

/** What the service registers by default: every documented event except deprecated names and the high-volume ones. */
export const DEFAULT_WEBHOOK_EVENTS: readonly string[] = REGISTRABLE_EVENTS.filter(
  (e) => !Object.hasOwn(DEPRECATED_EVENTS, e) && !NOT_REGISTERED_BY_DEFAULT.includes(e),
);

export interface WebhookRegistrationInput {
  url: string;
  events: readonly string[];
  /** Custom headers AURA sends with every delivery (the receiver's only authentication besides source IPs). */
  headers: Record<string, string>;
  /** Plain HTTP is accepted only for a loopback host, and only when this is set (development). */
  allowLoopbackHttp: boolean;
}

export type WebhookRegistrationCheck =
  | { ok: true; url: string; events: string[]; headers: Record<string, string>; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

export function checkWebhookRegistration(input: WebhookRegistrationInput): WebhookRegistrationCheck {
  const problems: string[] = [];
  const warnings: string[] = [];
  let url: URL | null = null;
  try {
    url = new URL(input.url);
  } catch {
    problems.push(`url: "${input.url}" is not a URL`);
  }
  if (url) {
    if (url.protocol === 'http:') {
      if (!isLoopbackHost(url.hostname))
        problems.push(`url: AURA delivers only to HTTPS; "${url.origin}" is plain HTTP on a public host`);
      else if (!input.allowLoopbackHttp) problems.push('url: plain HTTP is allowed only for loopback in development');
    } else if (url.protocol !== 'https:') {
      problems.push(`url: scheme "${url.protocol}" is not HTTPS`);
    }
    if (url.username || url.password) problems.push('url: credentials in the URL are not allowed; use a custom header');
  }
  const events = [...new Set(input.events.map((e) => e.trim()).filter(Boolean))];
  if (events.length === 0) problems.push('events: at least one event is required');
  for (const e of events) {
    if (!REGISTRABLE_EVENTS.includes(e)) {
      problems.push(`events: "${e}" is not an AURA webhook event (documented: ${REGISTRABLE_EVENTS.join(', ')})`);
    } else if (DEPRECATED_EVENTS[e]) {
      warnings.push(
        `events: "${e}" is deprecated; AURA delivers it as "${DEPRECATED_EVENTS[e]}" (register that name instead)`,
      );
    }
  }
  for (const [k, v] of Object.entries(input.headers)) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) problems.push(`headers: "${k}" is not a valid header name`);
    if (typeof v !== 'string' || /[\r\n]/.test(v))
      problems.push(`headers: the value of "${k}" is not a valid header value`);
  }
  if (Object.keys(input.headers).length === 0)
    problems.push('headers: a custom authentication header is required (deliveries are unsigned)');
  if (problems.length) return { ok: false, problems, warnings };
  return { ok: true, url: url!.toString(), events, headers: input.headers, warnings };
}

export class WebhookRegistrationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Webhook registration refused before calling AURA:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WebhookRegistrationError';
  }
}

/** Validate, then register. AURA keeps one active webhook per customer source: this replaces any earlier one. */
export async function registerReceiver(
  aura: AuraClient,
  input: WebhookRegistrationInput,
  warn: (msg: string) => void = () => undefined,
): Promise<{ url: string; events: string[]; warnings: string[] }> {
  const check = checkWebhookRegistration(input);
  for (const w of check.warnings) warn(w);
  if (!check.ok) throw new WebhookRegistrationError(check.problems);
  const res = await aura.registerWebhook({
    url: check.url,
    events: check.events,
    method: 'webhook',
    headers: check.headers,
  });
  const cfg = res.notifier.config[0];
  return { url: cfg?.url ?? check.url, events: cfg?.events ?? check.events, warnings: check.warnings };
}

/** The headers the receiver expects, as configured (WEBHOOK_AUTH_HEADER / WEBHOOK_TOKEN). */
export function receiverAuthHeaders(authHeader: string, token: string): Record<string, string> {
  return authHeader.toLowerCase() === 'authorization' ? { authorization: `Bearer ${token}` } : { [authHeader]: token };
}

/** The registration the configuration asks for (see scripts/register-webhooks.ts). */
export function webhookRegistrationFromEnv(env: {
  NODE_ENV: string;
  WEBHOOK_PUBLIC_URL?: string | undefined;
  PUBLIC_BASE_URL?: string | undefined;
  API_HOST: string;
  API_PORT: number;
  WEBHOOK_EVENTS?: string[] | undefined;
  WEBHOOK_AUTH_HEADER: string;
  WEBHOOK_TOKEN: string;
}): WebhookRegistrationInput {
  const base = env.PUBLIC_BASE_URL ?? `http://${env.API_HOST}:${env.API_PORT}`;
  return {
    url: env.WEBHOOK_PUBLIC_URL ?? `${base.replace(/\/+$/, '')}/webhooks/aura`,
    events: env.WEBHOOK_EVENTS ?? DEFAULT_WEBHOOK_EVENTS,
    headers: receiverAuthHeaders(env.WEBHOOK_AUTH_HEADER, env.WEBHOOK_TOKEN),
    allowLoopbackHttp: env.NODE_ENV !== 'production',
  };
}
