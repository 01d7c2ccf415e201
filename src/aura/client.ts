// The AURA Panic API client. Paths and bodies follow the Panic API reference (../shared/docs/aura-api.md); where the
// reference is silent or contradicts itself the choice is made once here and said in a comment.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  AuraAuthenticationError,
  AuraConnectionError,
  AuraCreateUnconfirmedError,
  AuraError,
  AuraQueueFullError,
  AuraRateLimitError,
  AuraResponseError,
  auraErrorText,
  errorForStatus,
} from './errors.js';
import * as S from './schemas.js';
import { Pacer, PacerSaturatedError } from './pacer.js';
import * as F from './fixed-location-schemas.js';

/** AURA's custom status for location updates on a closed callout; the body carries the latest callout. */
export const HTTP_CALLOUT_CLOSED = 285;

// The reference names the operation "Stream location and return callout" (updateLocationAndReturnCallout) but the
// stored pages do not show its path. This is our choice; verify it on AURA staging. Only this constant changes.
export const LOCATION_AND_RETURN_PATH = (calloutId: number) => `/v2/callouts/${calloutId}/locationAndReturnCallout`;

export interface AuraClientOptions {
  /** e.g. https://staging-panic.aura.services/panic-api */
  baseUrl: string;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  /** A static bearer token; when set, no token exchange happens. */
  staticToken?: string | undefined;
  timeoutMs?: number;
  /** Extra attempts for requests that are safe to repeat (GET, token exchange). Activities rely on Temporal instead. */
  maxRetries?: number;
  /** Refresh the token this long before it expires. */
  tokenRefreshMarginMs?: number;
  fetch?: typeof fetch;
  /** Pace this client's requests to at most this many per second (the Panic API cap); unpaced when absent. */
  maxRequestsPerSecond?: number | undefined;
  /**
   * The pacer's bound: a request that would wait longer than this for its turn fails at once (AuraQueueFullError,
   * retryable) instead of queueing without limit. Default 5 s.
   */
  maxQueueWaitMs?: number | undefined;
  /** Observability hook (metrics, logs): never receives bodies or secrets. */
  onResponse?: (info: { method: string; route: string; status: number | 'error'; durationMs: number; requestId?: string }) => void;
}

export type LocationResult =
  | { closed: false; callout: S.CalloutRead | null }
  | { closed: true; callout: S.CalloutRead };

export interface CreateCalloutInput {
  customerId: number;
  responseTypeId: number;
  location?: { latitude: number; longitude: number; accuracy?: number | undefined } | undefined;
  predefinedLocationId?: number | undefined;
  calloutClassificationId?: number | undefined;
  internalTest?: boolean | undefined;
}

export interface CreateCalloutResult {
  callout: S.CalloutCreated;
  /** AURA answered with the customer's existing active callout instead of a new one. */
  existing: boolean;
}

export interface CreateCustomerInput {
  customer: { name: string; surname: string; mobile: string; email?: string | undefined; externalReferenceId?: string | undefined };
  subscription?: { subscriptionTypeId: number; validFrom?: string | undefined; validTo?: string | undefined } | undefined;
}

export type CreateCustomerResult =
  | { status: 'created'; customerId: number; externalReferenceId: string | null; subscription: S.SubscriptionWire | null }
  | { status: 'exists'; customerId: number | null; auraMessage: string | null };

/** Per call: what lets a caller (an activity) abandon it. */
export interface CallOptions {
  /**
   * Abandon the call when this aborts (the activity's cancellation or its own deadline): a call still waiting for its
   * token, its pacer turn or a retry is never sent afterwards, and one in flight is aborted.
   */
  signal?: AbortSignal | undefined;
  /** Repeats of a safe request (GET) inside this call; default `maxRetries`. Activities pass 0: Temporal retries. */
  retries?: number | undefined;
}

interface RequestOptions extends CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** A stable label for metrics (no ids). */
  route: string;
  body?: unknown;
  auth?: boolean;
  /** Statuses other than 2xx that are answers, not errors. */
  accept?: number[];
  rootPath?: boolean;
  /** A multipart body (the CSV import); sent as is, fetch sets the boundary. */
  form?: FormData;
}

interface RawResponse {
  status: number;
  body: unknown;
  requestId: string | undefined;
}

/** `p`, unless `signal` aborts first (then the abort reason). `p` itself carries on (it may be shared). */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const sleep = (ms: number, signal?: AbortSignal) => unlessAborted(new Promise((r) => setTimeout(r, ms)), signal);

const DEFAULT_MAX_QUEUE_WAIT_MS = 5_000;
/** The longest the client sleeps between repeats of a safe request (a 429's Retry-After included). */
const MAX_RETRY_SLEEP_MS = 10_000;

/** Capped exponential backoff with full jitter. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 5_000): number {
  return Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export class AuraClient {
  private readonly baseUrl: string;
  private readonly opts: Required<Pick<AuraClientOptions, 'timeoutMs' | 'maxRetries' | 'tokenRefreshMarginMs' | 'maxQueueWaitMs'>> & AuraClientOptions;
  private token: { value: string; expiresAt: number } | null = null;
  private tokenInFlight: Promise<string> | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly pacer: Pacer | null;

  constructor(opts: AuraClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.opts = { timeoutMs: 10_000, maxRetries: 1, tokenRefreshMarginMs: 60_000, ...opts, maxQueueWaitMs: opts.maxQueueWaitMs ?? DEFAULT_MAX_QUEUE_WAIT_MS };
    this.fetchImpl = opts.fetch ?? fetch;
    this.pacer = opts.maxRequestsPerSecond ? new Pacer(opts.maxRequestsPerSecond, undefined, undefined, { maxWaitMs: this.opts.maxQueueWaitMs }) : null;
    if (!opts.staticToken && !(opts.clientId && opts.clientSecret)) {
      throw new Error('AuraClient needs either staticToken or clientId and clientSecret');
    }
  }

  /** The longest one request takes to answer or fail once it is asked for: its pacer wait (bounded), then its timeout. */
  get callBoundMs(): number {
    return (this.pacer ? this.opts.maxQueueWaitMs : 0) + this.opts.timeoutMs;
  }

  /**
   * The worst case of `calls` sequential calls made with a signal and no repeats (an activity's attempt): a token
   * exchange (itself one request, bounded as a whole) when the token is due, then each call's pacer bound and
   * timeout. A 401 answered by a refresh and a resend is not counted: the caller's signal cuts that path short.
   */
  attemptBoundMs(calls: number): number {
    return (this.opts.staticToken ? 0 : this.callBoundMs) + calls * this.callBoundMs;
  }

  /** The host root, for the CSV import routes that live outside /panic-api. */
  get hostRoot(): string {
    return this.baseUrl.replace(/\/panic-api$/, '');
  }

  // ---- auth -------------------------------------------------------------------------------------------------

  private async bearer(forceRefresh = false): Promise<string> {
    if (this.opts.staticToken) return this.opts.staticToken;
    const now = Date.now();
    if (!forceRefresh && this.token && now < this.token.expiresAt - this.opts.tokenRefreshMarginMs) return this.token.value;
    // One exchange at a time: concurrent callers share it instead of minting a token each.
    if (!this.tokenInFlight) {
      this.tokenInFlight = this.exchangeToken().finally(() => {
        this.tokenInFlight = null;
      });
    }
    return this.tokenInFlight;
  }

  private async exchangeToken(): Promise<string> {
    // Bounded as a whole (its repeats included) by one request's bound, so that callers can count on it.
    const res = await this.send({
      method: 'POST',
      path: '/v2/oauth/token',
      route: 'POST /v2/oauth/token',
      body: { clientId: this.opts.clientId, clientSecret: this.opts.clientSecret },
      auth: false,
      signal: AbortSignal.timeout(this.callBoundMs),
    });
    const t = this.parse(S.TokenResponse, res, 'POST /v2/oauth/token');
    // Lifetime is seconds per the newer reference; the 2020 guide calls it an epoch timestamp. Accept both.
    const expiresAt = t.expiresIn > 1_000_000_000 ? t.expiresIn * 1000 : Date.now() + t.expiresIn * 1000;
    this.token = { value: t.accessToken, expiresAt };
    return t.accessToken;
  }

  // ---- transport --------------------------------------------------------------------------------------------

  private async send(req: RequestOptions): Promise<RawResponse> {
    const safe = req.method === 'GET' || req.path.endsWith('/oauth/token');
    const attempts = 1 + (safe ? (req.retries ?? this.opts.maxRetries) : 0);
    let lastErr: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        return await this.sendOnce(req, false);
      } catch (err) {
        lastErr = err;
        // A full queue is not repeated here: the caller backs off (repeating would only queue again).
        if (!(err instanceof AuraError) || !err.retryable || err instanceof AuraQueueFullError || req.signal?.aborted || attempt === attempts - 1) throw err;
        const wait = err instanceof AuraRateLimitError && err.retryAfterMs != null ? err.retryAfterMs : backoffMs(attempt);
        try {
          await sleep(Math.min(wait, MAX_RETRY_SLEEP_MS), req.signal);
        } catch (cause) {
          throw this.abandoned(req, false, cause);
        }
      }
    }
    throw lastErr;
  }

  /** The error for a call its caller abandoned (its signal aborted), before it was sent or while in flight. */
  private abandoned(req: RequestOptions, inFlight: boolean, cause: unknown): AuraError {
    const reason = req.signal?.reason as { name?: string; message?: string } | undefined;
    const timedOut = reason?.name === 'TimeoutError';
    const why = timedOut ? 'its deadline passed' : `it was cancelled${reason?.message ? ` (${reason.message})` : ''}`;
    return new AuraConnectionError({
      message: `${req.route} abandoned ${inFlight ? 'in flight (it may have reached AURA)' : 'before it was sent'}: ${why}`,
      code: timedOut ? 'AURA_TIMEOUT' : 'AURA_ABORTED',
      method: req.method,
      path: req.path,
      cause,
    });
  }

  private async sendOnce(req: RequestOptions, retriedAuth: boolean): Promise<RawResponse> {
    const url = (req.rootPath ? this.hostRoot : this.baseUrl) + req.path;
    const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': randomUUID() };
    if (req.body !== undefined && !req.form) headers['content-type'] = 'application/json';
    // Every wait before the request goes out (the token, the pacer's turn) ends when the caller abandons the call,
    // and the signal is checked once more right before sending: an abandoned call is never sent later.
    if (req.auth !== false) {
      try {
        headers.authorization = `Bearer ${await unlessAborted(this.bearer(), req.signal)}`;
      } catch (err) {
        if (req.signal?.aborted) throw this.abandoned(req, false, err);
        throw err;
      }
    }
    if (this.pacer) {
      try {
        await this.pacer.take(req.signal);
      } catch (err) {
        if (err instanceof PacerSaturatedError) {
          throw new AuraQueueFullError({ message: `Not sent: ${req.route} ${err.message}`, code: 'AURA_QUEUE_FULL', method: req.method, path: req.path, cause: err });
        }
        throw this.abandoned(req, false, err);
      }
    }
    if (req.signal?.aborted) throw this.abandoned(req, false, req.signal.reason);
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method: req.method,
        headers,
        body: req.form ?? (req.body === undefined ? undefined : JSON.stringify(req.body)),
        signal: req.signal ? AbortSignal.any([timeout, req.signal]) : timeout,
      });
      text = await response.text();
    } catch (cause) {
      this.opts.onResponse?.({ method: req.method, route: req.route, status: 'error', durationMs: performance.now() - started });
      if (req.signal?.aborted && !timeout.aborted) throw this.abandoned(req, true, cause);
      const timedOut = (cause as Error)?.name === 'TimeoutError' || timeout.aborted;
      throw new AuraConnectionError({
        message: timedOut ? `AURA did not answer ${req.route} within ${this.opts.timeoutMs} ms` : `Could not reach AURA for ${req.route}`,
        code: timedOut ? 'AURA_TIMEOUT' : 'AURA_UNREACHABLE',
        method: req.method,
        path: req.path,
        cause,
      });
    }
    const requestId = response.headers.get('x-request-id') ?? headers['x-request-id'];
    this.opts.onResponse?.({ method: req.method, route: req.route, status: response.status, durationMs: performance.now() - started, requestId });
    let body: unknown = text;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const ok = (response.status >= 200 && response.status < 300 && response.status !== HTTP_CALLOUT_CLOSED) || req.accept?.includes(response.status);
    if (ok) return { status: response.status, body, requestId };

    if (response.status === 401 && req.auth !== false && !retriedAuth && !this.opts.staticToken) {
      // The token may have been revoked or rotated early: refresh once, then give up.
      this.token = null;
      try {
        await unlessAborted(this.bearer(true), req.signal);
      } catch (err) {
        if (req.signal?.aborted) throw this.abandoned(req, false, err);
        throw err;
      }
      return this.sendOnce(req, true);
    }
    const auraMessage = auraErrorText(body);
    const retryAfter = response.headers.get('retry-after');
    let retryAfterMs: number | undefined;
    if (retryAfter) {
      const secs = Number(retryAfter);
      retryAfterMs = Number.isFinite(secs) ? secs * 1000 : Math.max(0, Date.parse(retryAfter) - Date.now()) || undefined;
    }
    const init = {
      status: response.status,
      message: `AURA answered ${response.status} to ${req.route}${auraMessage ? `: ${auraMessage}` : ''}`,
      method: req.method,
      path: req.path,
      requestId,
      ...(auraMessage !== undefined ? { auraMessage } : {}),
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
    if (response.status === HTTP_CALLOUT_CLOSED) {
      // 285 outside the location routes is not documented; surface it rather than guess.
      throw new AuraResponseError({ ...init, code: 'AURA_UNEXPECTED_285' });
    }
    if (response.status === 401) throw new AuraAuthenticationError({ ...init, code: 'AURA_UNAUTHORIZED' });
    throw errorForStatus(init);
  }

  private parse<T extends z.ZodType>(schema: T, res: RawResponse, route: string): z.output<T> {
    const r = schema.safeParse(res.body);
    if (!r.success) {
      throw new AuraResponseError({
        status: res.status,
        message: `AURA's answer to ${route} did not match the expected shape: ${r.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || '(root)'} ${i.message}`)
          .join('; ')}`,
        code: 'AURA_BAD_RESPONSE',
        ...(res.requestId !== undefined ? { requestId: res.requestId } : {}),
      });
    }
    return r.data;
  }

  /**
   * A create's 2xx answer: read it, or say that the callout probably exists (AuraCreateUnconfirmedError, retryable
   * only through a lookup). Failing the incident here would abandon a live callout; creating again blindly could make
   * a second one.
   */
  private parseCreated<T extends z.ZodType>(schema: T, res: RawResponse, route: string): z.output<T> {
    try {
      return this.parse(schema, res, route);
    } catch (err) {
      if (!(err instanceof AuraResponseError)) throw err;
      throw new AuraCreateUnconfirmedError({
        status: res.status,
        message: `AURA answered ${res.status} to ${route} in a shape we do not understand, so the callout probably exists: look it up before creating again (${err.message})`,
        code: 'AURA_CREATE_UNCONFIRMED',
        ...(res.requestId !== undefined ? { requestId: res.requestId } : {}),
        cause: err,
      });
    }
  }

  // ---- callouts ---------------------------------------------------------------------------------------------

  async createCustomerCallout(input: CreateCalloutInput, call: CallOptions = {}): Promise<CreateCalloutResult> {
    const hasLocation = input.location !== undefined;
    const hasPredefined = input.predefinedLocationId !== undefined;
    if (hasLocation === hasPredefined) {
      throw new AuraError({ message: 'A callout takes either live coordinates or a predefinedLocationId, not both', code: 'INVALID_CALLOUT_INPUT' });
    }
    const body: Record<string, unknown> = { responseTypeId: input.responseTypeId };
    if (input.location) body.location = input.location;
    if (hasPredefined) body.predefinedLocationId = input.predefinedLocationId;
    if (input.calloutClassificationId !== undefined) body.calloutClassificationId = input.calloutClassificationId;
    if (input.internalTest !== undefined) body.internalTest = input.internalTest;
    const route = 'POST /v2/customers/:customerId/callouts';
    const res = await this.send({ method: 'POST', path: `/v2/customers/${input.customerId}/callouts`, route, body, ...call });
    const callout = this.parseCreated(S.CreateCalloutResponse, res, route);
    // AURA documents that an existing active callout comes back instead of a second one but not with which status;
    // a 200 (rather than 201) is taken as "existing" here, and the workflow also compares ids with what it knows.
    return { callout, existing: res.status === 200 };
  }

  async listCustomerActiveCallouts(customerId: number, call: CallOptions = {}): Promise<S.CalloutCreated[]> {
    // Path inferred by analogy with the create route (the reference lists the operation but not its path).
    const route = 'GET /v2/customers/:customerId/callouts';
    const res = await this.send({ method: 'GET', path: `/v2/customers/${customerId}/callouts`, route, ...call });
    return this.parse(S.CalloutList, res, route);
  }

  /** Every active callout of the customer source (used to make a retried Fixed Location callout create safe). */
  async listActiveCallouts(call: CallOptions = {}): Promise<S.CalloutCreated[]> {
    const route = 'GET /v2/callouts/activeCallouts';
    const res = await this.send({ method: 'GET', path: '/v2/callouts/activeCallouts', route, ...call });
    return this.parse(S.CalloutList, res, route);
  }

  async getCallout(calloutId: number, call: CallOptions = {}): Promise<S.CalloutRead> {
    const route = 'GET /v2/callouts/:calloutId';
    const res = await this.send({ method: 'GET', path: `/v2/callouts/${calloutId}`, route, ...call });
    return this.parse(S.ReadCalloutResponse, res, route);
  }

  /** "Stream location and return callout": doubles as a poll. 285 once closed is an answer, not an error. */
  async updateLocationAndReturn(calloutId: number, loc: { latitude: number; longitude: number; accuracy?: number | undefined }, call: CallOptions = {}): Promise<LocationResult> {
    const route = 'POST /v2/callouts/:calloutId/locationAndReturnCallout';
    const res = await this.send({ method: 'POST', path: LOCATION_AND_RETURN_PATH(calloutId), route, body: loc, accept: [HTTP_CALLOUT_CLOSED], ...call });
    const callout = this.parse(S.ReadCalloutResponse, res, route);
    return res.status === HTTP_CALLOUT_CLOSED ? { closed: true, callout } : { closed: false, callout };
  }

  /** "Stream a location update": answers `{message}`, or 285 with the latest callout once closed. */
  async updateLocation(calloutId: number, loc: { latitude: number; longitude: number; accuracy?: number | undefined }): Promise<LocationResult> {
    const route = 'POST /v2/callouts/:calloutId/location';
    const res = await this.send({ method: 'POST', path: `/v2/callouts/${calloutId}/location`, route, body: loc, accept: [HTTP_CALLOUT_CLOSED] });
    if (res.status === HTTP_CALLOUT_CLOSED) return { closed: true, callout: this.parse(S.ReadCalloutResponse, res, route) };
    return { closed: false, callout: null };
  }

  async listCalloutEvents(calloutId: number, call: CallOptions = {}): Promise<S.CalloutEventWire[]> {
    const route = 'GET /v2/callouts/:calloutId/events';
    const res = await this.send({ method: 'GET', path: `/v2/callouts/${calloutId}/events`, route, ...call });
    return this.parse(S.CalloutEventList, res, route);
  }

  async sendCalloutEvent(calloutId: number, message: string, call: CallOptions = {}): Promise<S.CalloutEventWire | null> {
    // [A] body `{message}`; [B] names it `{source, event}`. We send [A]'s form; the simulator accepts both.
    const route = 'POST /v2/callouts/:calloutId/events';
    const res = await this.send({ method: 'POST', path: `/v2/callouts/${calloutId}/events`, route, body: { message }, ...call });
    const parsed = S.CalloutEventWire.safeParse((res.body as { calloutEvent?: unknown })?.calloutEvent ?? res.body);
    return parsed.success ? parsed.data : null;
  }

  async cancelCallout(calloutId: number, opts: { safeCode?: string | undefined }, call: CallOptions = {}): Promise<S.CalloutCreated | null> {
    const route = 'POST /v2/callouts/:calloutId/cancel';
    const body = opts.safeCode !== undefined ? { safeCode: opts.safeCode } : {};
    const res = await this.send({ method: 'POST', path: `/v2/callouts/${calloutId}/cancel`, route, body, ...call });
    const parsed = S.CreateCalloutResponse.safeParse(res.body);
    return parsed.success ? parsed.data : null;
  }

  /** Link a cancellation ("exception") reason to a callout for the dispatch record. */
  async linkExceptionReason(calloutId: number, input: { exceptionReasonId?: number | undefined; notes?: string | undefined }, call: CallOptions = {}): Promise<void> {
    const route = 'POST /v2/callouts/:calloutId/exceptionReasons';
    await this.send({ method: 'POST', path: `/v2/callouts/${calloutId}/exceptionReasons`, route, body: input, ...call });
  }

  async submitRating(input: { calloutId: number; rating: number; comment?: string | undefined }, call: CallOptions = {}): Promise<{ id?: number }> {
    const route = 'POST /v2/ratings';
    const res = await this.send({ method: 'POST', path: '/v2/ratings', route, body: input, ...call });
    return (res.body && typeof res.body === 'object' ? res.body : {}) as { id?: number };
  }

  // ---- customers and subscriptions (onboarding) ----------------------------------------------------------------

  /**
   * Create a customer, activating a subscription in the same call when `subscription` is given (the [B] nested body
   * of the quickstart). The mobile number is AURA's unique customer key: a second create answers 409, which is an
   * answer here (`exists`), not an error, because the first create may have succeeded and lost its answer. AURA does
   * not document the 409 body; a customer id in it is used when present.
   */
  async createCustomer(input: CreateCustomerInput): Promise<CreateCustomerResult> {
    const route = 'POST /v2/customers';
    const body: Record<string, unknown> = { customer: input.customer };
    if (input.subscription) body.subscription = input.subscription;
    const res = await this.send({ method: 'POST', path: '/v2/customers', route, body, accept: [409] });
    if (res.status === 409) {
      const b = (res.body ?? {}) as Record<string, any>;
      const id = [b.customerId, b.customer?.id, b.id].find((x) => Number.isInteger(x)) as number | undefined;
      return { status: 'exists', customerId: id ?? null, auraMessage: auraErrorText(res.body) ?? null };
    }
    const c = this.parse(S.CreateCustomerResponse, res, route);
    const nested = [...(c.subscriptions ?? []), ...(c.topSubscription !== undefined ? [c.topSubscription] : [])]
      .map((x) => S.SubscriptionWire.safeParse(x))
      .find((p) => p.success);
    return { status: 'created', customerId: c.id, externalReferenceId: c.externalReferenceId ?? null, subscription: nested?.success ? nested.data : null };
  }

  /** The read-back. Rate-limited by AURA (about 50 per 10 s per customer source): 429 carries Retry-After. */
  async listCustomerSubscriptions(customerId: number): Promise<S.SubscriptionWire[]> {
    const route = 'GET /v2/customers/:customerId/subscriptions';
    const res = await this.send({ method: 'GET', path: `/v2/customers/${customerId}/subscriptions`, route });
    return this.parse(S.SubscriptionList, res, route);
  }

  /** Activate a subscription; 409 (already active) is an answer. */
  async createSubscription(input: { customerId: number; subscriptionTypeId: number; validFrom?: string; validTo?: string }): Promise<{ status: 'created'; subscription: S.SubscriptionWire } | { status: 'exists' }> {
    const route = 'POST /v2/subscriptions';
    const res = await this.send({ method: 'POST', path: '/v2/subscriptions', route, body: input, accept: [409] });
    if (res.status === 409) return { status: 'exists' };
    return { status: 'created', subscription: this.parse(S.SubscriptionResponse, res, route) };
  }

  /** Cancel a subscription ([B] requires a reason; [A] takes no body, so sending one is harmless). */
  async cancelSubscription(subscriptionId: number, reason: string): Promise<void> {
    const route = 'DELETE /v2/subscriptions/:subscriptionId';
    await this.send({ method: 'DELETE', path: `/v2/subscriptions/${subscriptionId}`, route, body: { reason } });
  }

  // ---- webhooks ---------------------------------------------------------------------------------------------

  async registerWebhook(reg: S.WebhookRegistration): Promise<z.output<typeof S.WebhookRegistrationResponse>> {
    const route = 'POST /v2/notifiers/webhooks';
    const res = await this.send({ method: 'POST', path: '/v2/notifiers/webhooks', route, body: S.WebhookRegistration.parse(reg) });
    return this.parse(S.WebhookRegistrationResponse, res, route);
  }

  // ---- Fixed Locations (predefinedLocations) --------------------------------------------------------------------

  /**
   * One page of the customer source's Fixed Locations (1-based `page`). Path and paging inferred (§9.3). An answer
   * without the `predefinedLocations` array is an AuraResponseError (code AURA_LISTING_INVALID), never an empty page.
   */
  async listFixedLocations(page: number, limit: number): Promise<F.FixedLocationPage> {
    const route = 'GET /v2/predefinedLocations';
    const res = await this.send({ method: 'GET', path: `/v2/predefinedLocations?page=${page}&limit=${limit}`, route });
    const body = res.body as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body) || !Array.isArray(body[F.FIXED_LOCATION_LIST_KEY])) {
      throw new AuraResponseError({
        status: res.status,
        code: 'AURA_LISTING_INVALID',
        message: `AURA's answer to ${route} (page ${page}) has no "${F.FIXED_LOCATION_LIST_KEY}" array but ${F.describeListAnswer(res.body)}: the list cannot be read`,
        ...(res.requestId !== undefined ? { requestId: res.requestId } : {}),
      });
    }
    return this.parse(F.FixedLocationPage, res, route);
  }

  async createFixedLocation(body: Record<string, unknown>): Promise<F.FixedLocationWire> {
    const route = 'POST /v2/predefinedLocations';
    const res = await this.send({ method: 'POST', path: '/v2/predefinedLocations', route, body });
    return this.parse(F.FixedLocationResponse, res, route);
  }

  /** [B]'s body (the create fields); [A] documents name/address instead, the simulator accepts both. */
  async updateFixedLocation(id: number, body: Record<string, unknown>): Promise<void> {
    const route = 'PUT /v2/predefinedLocations/:id';
    await this.send({ method: 'PUT', path: `/v2/predefinedLocations/${id}`, route, body });
  }

  async deleteFixedLocation(id: number): Promise<void> {
    const route = 'DELETE /v2/predefinedLocations/:id';
    await this.send({ method: 'DELETE', path: `/v2/predefinedLocations/${id}`, route });
  }

  /**
   * "Create a Fixed Location callout" by external reference. AURA answers an unknown reference with 400 (not 404)
   * and the detail in `message`. A 200 is read as an existing active callout for the location (as for customers).
   */
  async createFixedLocationCallout(
    externalReferenceId: string,
    body: { responseTypeId?: number; internalTest?: boolean; calloutClassificationId?: number; installerIdentifier?: string },
    call: CallOptions = {},
  ): Promise<CreateCalloutResult> {
    const route = 'POST /v2/predefinedLocations/externalRef/:externalReferenceId/callouts';
    const res = await this.send({ method: 'POST', path: `/v2/predefinedLocations/externalRef/${encodeURIComponent(externalReferenceId)}/callouts`, route, body, ...call });
    return { callout: this.parseCreated(F.FixedLocationCalloutResponse, res, route), existing: res.status === 200 };
  }

  /** Bulk CSV import (a full sync), on the host root: `POST /v1/predefinedlocations/upload`, multipart. */
  async uploadFixedLocationsCsv(input: { csv: string; callbackUrl: string; delimiter?: string; source?: string; userEmail?: string }): Promise<{ message: string | null }> {
    const route = 'POST /v1/predefinedlocations/upload';
    const form = new FormData();
    form.set('locations', new Blob([input.csv], { type: 'text/csv' }), 'locations.csv');
    form.set('callbackUrl', input.callbackUrl);
    if (input.delimiter) form.set('delimiter', input.delimiter);
    if (input.source) form.set('source', input.source);
    if (input.userEmail) form.set('userEmail', input.userEmail);
    const res = await this.send({ method: 'POST', path: '/v1/predefinedlocations/upload', route, body: null, form, rootPath: true });
    const message = (res.body as { message?: unknown } | null)?.message;
    return { message: typeof message === 'string' ? message : null };
  }
}
