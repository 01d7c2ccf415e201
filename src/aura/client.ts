// The AURA Panic API client. Paths and bodies follow the Panic API reference (../shared/docs/aura-api.md); where the
// reference is silent or contradicts itself the choice is made once here and said in a comment.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  AuraAuthenticationError,
  AuraConnectionError,
  AuraError,
  AuraRateLimitError,
  AuraResponseError,
  auraErrorText,
  errorForStatus,
} from './errors.js';
import * as S from './schemas.js';
import { Pacer } from './pacer.js';
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

interface RequestOptions {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Capped exponential backoff with full jitter. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 5_000): number {
  return Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export class AuraClient {
  private readonly baseUrl: string;
  private readonly opts: Required<Pick<AuraClientOptions, 'timeoutMs' | 'maxRetries' | 'tokenRefreshMarginMs'>> & AuraClientOptions;
  private token: { value: string; expiresAt: number } | null = null;
  private tokenInFlight: Promise<string> | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly pacer: Pacer | null;

  constructor(opts: AuraClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.opts = { timeoutMs: 10_000, maxRetries: 1, tokenRefreshMarginMs: 60_000, ...opts };
    this.fetchImpl = opts.fetch ?? fetch;
    this.pacer = opts.maxRequestsPerSecond ? new Pacer(opts.maxRequestsPerSecond) : null;
    if (!opts.staticToken && !(opts.clientId && opts.clientSecret)) {
      throw new Error('AuraClient needs either staticToken or clientId and clientSecret');
    }
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
    const res = await this.send({
      method: 'POST',
      path: '/v2/oauth/token',
      route: 'POST /v2/oauth/token',
      body: { clientId: this.opts.clientId, clientSecret: this.opts.clientSecret },
      auth: false,
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
    const attempts = 1 + (safe ? this.opts.maxRetries : 0);
    let lastErr: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        return await this.sendOnce(req, false);
      } catch (err) {
        lastErr = err;
        if (!(err instanceof AuraError) || !err.retryable || attempt === attempts - 1) throw err;
        const wait = err instanceof AuraRateLimitError && err.retryAfterMs != null ? err.retryAfterMs : backoffMs(attempt);
        await sleep(Math.min(wait, 10_000));
      }
    }
    throw lastErr;
  }

  private async sendOnce(req: RequestOptions, retriedAuth: boolean): Promise<RawResponse> {
    const url = (req.rootPath ? this.hostRoot : this.baseUrl) + req.path;
    const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': randomUUID() };
    if (req.body !== undefined && !req.form) headers['content-type'] = 'application/json';
    if (req.auth !== false) headers.authorization = `Bearer ${await this.bearer()}`;
    await this.pacer?.take();
    const started = performance.now();
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: req.method,
        headers,
        body: req.form ?? (req.body === undefined ? undefined : JSON.stringify(req.body)),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (cause) {
      this.opts.onResponse?.({ method: req.method, route: req.route, status: 'error', durationMs: performance.now() - started });
      const timedOut = (cause as Error)?.name === 'TimeoutError';
      throw new AuraConnectionError({
        message: timedOut ? `AURA did not answer ${req.route} within ${this.opts.timeoutMs} ms` : `Could not reach AURA for ${req.route}`,
        code: timedOut ? 'AURA_TIMEOUT' : 'AURA_UNREACHABLE',
        method: req.method,
        path: req.path,
        cause,
      });
    }
    const requestId = response.headers.get('x-request-id') ?? headers['x-request-id'];
    const text = await response.text();
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
      await this.bearer(true);
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

  // ---- callouts ---------------------------------------------------------------------------------------------

  async createCustomerCallout(input: CreateCalloutInput): Promise<CreateCalloutResult> {
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
    const res = await this.send({ method: 'POST', path: `/v2/customers/${input.customerId}/callouts`, route, body });
    const callout = this.parse(S.CreateCalloutResponse, res, route);
    // AURA documents that an existing active callout comes back instead of a second one but not with which status;
    // a 200 (rather than 201) is taken as "existing" here, and the workflow also compares ids with what it knows.
    return { callout, existing: res.status === 200 };
  }

  async listCustomerActiveCallouts(customerId: number): Promise<S.CalloutCreated[]> {
    // Path inferred by analogy with the create route (the reference lists the operation but not its path).
    const route = 'GET /v2/customers/:customerId/callouts';
    const res = await this.send({ method: 'GET', path: `/v2/customers/${customerId}/callouts`, route });
    return this.parse(S.CalloutList, res, route);
  }

  /** Every active callout of the customer source (used to make a retried Fixed Location callout create safe). */
  async listActiveCallouts(): Promise<S.CalloutCreated[]> {
    const route = 'GET /v2/callouts/activeCallouts';
    const res = await this.send({ method: 'GET', path: '/v2/callouts/activeCallouts', route });
    return this.parse(S.CalloutList, res, route);
  }

  async getCallout(calloutId: number): Promise<S.CalloutRead> {
    const route = 'GET /v2/callouts/:calloutId';
    const res = await this.send({ method: 'GET', path: `/v2/callouts/${calloutId}`, route });
    return this.parse(S.ReadCalloutResponse, res, route);
  }

  /** "Stream location and return callout": doubles as a poll. 285 once closed is an answer, not an error. */
  async updateLocationAndReturn(calloutId: number, loc: { latitude: number; longitude: number; accuracy?: number | undefined }): Promise<LocationResult> {
    const route = 'POST /v2/callouts/:calloutId/locationAndReturnCallout';
    const res = await this.send({ method: 'POST', path: LOCATION_AND_RETURN_PATH(calloutId), route, body: loc, accept: [HTTP_CALLOUT_CLOSED] });
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

  async listCalloutEvents(calloutId: number): Promise<S.CalloutEventWire[]> {
    const route = 'GET /v2/callouts/:calloutId/events';
    const res = await this.send({ method: 'GET', path: `/v2/callouts/${calloutId}/events`, route });
    return this.parse(S.CalloutEventList, res, route);
  }

  async sendCalloutEvent(calloutId: number, message: string): Promise<S.CalloutEventWire | null> {
    // [A] body `{message}`; [B] names it `{source, event}`. We send [A]'s form; the simulator accepts both.
    const route = 'POST /v2/callouts/:calloutId/events';
    const res = await this.send({ method: 'POST', path: `/v2/callouts/${calloutId}/events`, route, body: { message } });
    const parsed = S.CalloutEventWire.safeParse((res.body as { calloutEvent?: unknown })?.calloutEvent ?? res.body);
    return parsed.success ? parsed.data : null;
  }

  async cancelCallout(calloutId: number, opts: { safeCode?: string | undefined }): Promise<S.CalloutCreated | null> {
    const route = 'POST /v2/callouts/:calloutId/cancel';
    const body = opts.safeCode !== undefined ? { safeCode: opts.safeCode } : {};
    const res = await this.send({ method: 'POST', path: `/v2/callouts/${calloutId}/cancel`, route, body });
    const parsed = S.CreateCalloutResponse.safeParse(res.body);
    return parsed.success ? parsed.data : null;
  }

  /** Link a cancellation ("exception") reason to a callout for the dispatch record. */
  async linkExceptionReason(calloutId: number, input: { exceptionReasonId?: number | undefined; notes?: string | undefined }): Promise<void> {
    const route = 'POST /v2/callouts/:calloutId/exceptionReasons';
    await this.send({ method: 'POST', path: `/v2/callouts/${calloutId}/exceptionReasons`, route, body: input });
  }

  async submitRating(input: { calloutId: number; rating: number; comment?: string | undefined }): Promise<{ id?: number }> {
    const route = 'POST /v2/ratings';
    const res = await this.send({ method: 'POST', path: '/v2/ratings', route, body: input });
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
  ): Promise<CreateCalloutResult> {
    const route = 'POST /v2/predefinedLocations/externalRef/:externalReferenceId/callouts';
    const res = await this.send({ method: 'POST', path: `/v2/predefinedLocations/externalRef/${encodeURIComponent(externalReferenceId)}/callouts`, route, body });
    return { callout: this.parse(F.FixedLocationCalloutResponse, res, route), existing: res.status === 200 };
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
