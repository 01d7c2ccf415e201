// What every go-live item shares: the service's configuration (src/config.ts, as the service itself reads it), a
// Panic API client with those credentials, the service's API, and whether the AURA on the other end is the
// simulator (its `/__sim` control routes answer). Only the simulator may be driven through `/__sim`.
import type { AuraClient } from '../aura/client.js';
import { auraClientFromEnv } from '../aura/from-env.js';
import { AuraError } from '../aura/errors.js';
import type { Env } from '../config.js';
import type { Step } from './types.js';

export interface GoLiveOptions {
  /** The service's API (default $AURA_CALLOUTS_API or http://API_HOST:API_PORT). */
  api: string;
  /** The worker's /metrics, when it runs in another process (SERVICE_ROLE=worker). */
  workerMetricsUrl?: string | undefined;
  /** An AURA customer with an active subscription for the test dispatch (GO_LIVE_CUSTOMER_ID). */
  customerId?: number | undefined;
  /** How long one step waits for AURA or the service (ms). */
  stepTimeoutMs: number;
  /** Where alerts.yml and the dashboard are (the project root). */
  projectRoot: string;
  /** Never drive the simulator through `/__sim`, even when it answers: rehearse the staging run against it. */
  noSimulatorControl?: boolean | undefined;
}

export interface HttpAnswer {
  status: number;
  body: any;
  text: string;
}

export interface GoLiveContext {
  env: Env;
  opts: GoLiveOptions;
  aura: AuraClient;
  /** Panic API calls the kit's client made: method + templated route → statuses seen. */
  auraCalls: { route: string; status: number | 'error' }[];
  simulator: boolean;
  /** The simulator's root (for `/__sim`), when it is one. */
  simRoot: string | null;
  /** The receiver's accepted deliveries when the run started (aura_webhook_deliveries_total, the API's /metrics). */
  acceptedAtStart: number | null;
  acceptedDeliveries(): Promise<number | null>;
  /** Every configured secret: the writers redact them. */
  secrets: string[];
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  http(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  sim(method: string, path: string, body?: unknown): Promise<HttpAnswer>;
}

export async function httpJson(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* text */
  }
  return { status: res.status, body: parsed, text };
}

/** The simulator's root is the AURA base URL without `/panic-api`; it is the simulator when `/__sim/autopilot` answers. */
async function detectSimulator(baseUrl: string): Promise<string | null> {
  const root = baseUrl.replace(/\/+$/, '').replace(/\/panic-api$/, '');
  try {
    const r = await httpJson('GET', `${root}/__sim/autopilot`, undefined, {}, 3_000);
    return r.status === 200 && r.body && typeof r.body === 'object' && 'enabled' in r.body ? root : null;
  } catch {
    return null;
  }
}

export function secretsOf(env: Env): string[] {
  return [
    env.AURA_CLIENT_SECRET,
    env.AURA_STATIC_TOKEN,
    env.WEBHOOK_TOKEN,
    env.FIXED_LOCATION_CALLBACK_SECRET,
    env.PLATFORM_EVENTS_SECRET,
    env.CODEC_AUTH_TOKEN,
    env.TEMPORAL_API_KEY,
    env.TEMPORAL_PAYLOAD_KEY,
    // Documented development credentials are secrets in their own right in the report: never printed either.
    'dev-secret',
    'dev-token',
    'dev-webhook-token',
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

export async function createContext(env: Env, opts: GoLiveOptions): Promise<GoLiveContext> {
  const auraCalls: GoLiveContext['auraCalls'] = [];
  const aura = auraClientFromEnv(env, {
    maxRetries: 0,
    onResponse: (r) => void auraCalls.push({ route: r.route, status: r.status }),
  });
  const simRoot = opts.noSimulatorControl ? null : await detectSimulator(env.AURA_BASE_URL);
  const api = opts.api.replace(/\/+$/, '');
  const acceptedDeliveries = async () => {
    try {
      const r = await httpJson('GET', `${api}/metrics`);
      return r.status === 200 ? acceptedIn(r.text) : null;
    } catch {
      return null;
    }
  };
  return {
    acceptedAtStart: await acceptedDeliveries(),
    acceptedDeliveries,
    env,
    opts: { ...opts, api },
    aura,
    auraCalls,
    simulator: simRoot !== null,
    simRoot,
    secrets: secretsOf(env),
    api: (method, path, body, headers) => httpJson(method, api + path, body, headers),
    http: (method, url, body, headers) => httpJson(method, url, body, headers),
    sim: (method, path, body) => {
      if (!simRoot) throw new Error('not the simulator: /__sim is not available');
      return httpJson(method, simRoot + path, body);
    },
  };
}

/** Pure: the sum of aura_webhook_deliveries_total{outcome="accepted"} in a Prometheus text. */
export function acceptedIn(text: string): number {
  let sum = 0;
  for (const m of text.matchAll(/^aura_webhook_deliveries_total\{[^}]*outcome="accepted"[^}]*\} (\S+)$/gm))
    sum += Number(m[1]);
  return sum;
}

// ---- helpers the items share ------------------------------------------------------------------------------------

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a value (not null/undefined/false) or `timeoutMs` passes; null on timeout. */
export async function waitFor<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  stepMs = 250,
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v !== null && v !== undefined && v !== false) return v;
    } catch {
      /* try again */
    }
    if (Date.now() >= deadline) return null;
    await sleep(stepMs);
  }
}

/** The path as AURA received it: the base URL's path (`/panic-api`) and the request path. */
export function sentPath(ctx: GoLiveContext, path: string | undefined): string {
  if (!path) return '(unknown path)';
  const base = new URL(ctx.env.AURA_BASE_URL).pathname.replace(/\/+$/, '');
  return path.startsWith('/v1/') ? path : `${base}${path}`;
}

/** An AURA error in the report's words: method, path as sent, status, AURA's message. */
export function describeAuraError(ctx: GoLiveContext, err: unknown): string {
  if (err instanceof AuraError) {
    const where = err.method ? `${err.method} ${sentPath(ctx, err.path)}` : '';
    const status = err.status !== undefined ? `answered ${err.status}` : `failed (${err.code})`;
    return `${where ? `${where} ` : ''}${status}: ${err.message}`;
  }
  return (err as Error)?.message ?? String(err);
}

/** A JSON body, short, for a step's request or answer. */
export function brief(v: unknown, max = 300): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s === undefined ? '' : s.length > max ? `${s.slice(0, max)}…` : s;
}

export function step(name: string, request: string, answer: string, ok: boolean): Step {
  return { name, request, answer, ok };
}
