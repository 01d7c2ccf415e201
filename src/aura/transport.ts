// The one request sender of the Panic API client, after stripe-node's: base URL, token exchange and refresh, pacing,
// timeouts and the caller's AbortSignal, retry of safe requests only, and AURA's answers turned into one error tree
// (./errors.ts). It knows no route: the resources (./resources/*) declare theirs with ./endpoint.ts.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  AuraAuthenticationError,
  AuraConnectionError,
  AuraError,
  AuraQueueFullError,
  AuraRateLimitError,
  AuraResponseError,
  auraErrorText,
  errorForStatus,
} from './errors.js';
import { Pacer, PacerSaturatedError } from './pacer.js';
import { TokenResponse } from './schemas.js';
import { unlessAborted } from '../lib/abort.js';

export interface AuraTransportOptions {
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
  onResponse?: (info: {
    method: string;
    route: string;
    status: number | 'error';
    durationMs: number;
    requestId?: string;
  }) => void;
}

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

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface TransportRequest extends CallOptions {
  method: HttpMethod;
  /** The path as sent (ids filled in, query included), under the base URL or, with `root`, the host root. */
  path: string;
  /** A stable label for metrics and messages (no ids). */
  route: string;
  body?: unknown;
  /** A multipart body (the CSV import); sent as is, fetch sets the boundary. */
  form?: FormData | undefined;
  /** Ahead of ordinary requests in the pacer's queue (the endpoint's `urgent`). */
  urgent?: boolean | undefined;
  auth?: boolean;
  /** Statuses, besides the 2xx that HTTP defines, that are answers for this request rather than errors. */
  accept?: readonly number[] | undefined;
  /** On the host root, outside /panic-api (the CSV import routes). */
  root?: boolean | undefined;
  /** Safe to repeat inside the call; default: GET only. */
  safe?: boolean;
}

export interface RawResponse {
  status: number;
  body: unknown;
  requestId: string | undefined;
}

/**
 * The successful statuses HTTP defines. Any other 2xx (AURA's custom 285 on the location routes) is an answer only
 * for a request that declares it in `accept`; elsewhere it is undocumented, and surfaced rather than guessed at.
 */
const HTTP_SUCCESS: ReadonlySet<number> = new Set([200, 201, 202, 203, 204, 205, 206, 207, 208, 226]);

const sleep = (ms: number, signal?: AbortSignal) => unlessAborted(new Promise((r) => setTimeout(r, ms)), signal);

const DEFAULT_MAX_QUEUE_WAIT_MS = 5_000;
/** The longest the client sleeps between repeats of a safe request (a 429's Retry-After included). */
const MAX_RETRY_SLEEP_MS = 10_000;

/** Capped exponential backoff with full jitter. */
function backoffMs(attempt: number, baseMs = 250, capMs = 5_000): number {
  return Math.round(Math.random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/** Read an answer's body with its schema; a body of another shape is an AuraResponseError (retrying will not help). */
export function readAnswer<T extends z.ZodType>(schema: T, res: RawResponse, route: string): z.output<T> {
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

export class AuraTransport {
  private readonly baseUrl: string;
  private readonly opts: Required<
    Pick<AuraTransportOptions, 'timeoutMs' | 'maxRetries' | 'tokenRefreshMarginMs' | 'maxQueueWaitMs'>
  > &
    AuraTransportOptions;
  private token: { value: string; expiresAt: number } | null = null;
  private tokenInFlight: Promise<string> | null = null;
  private readonly fetchImpl: typeof fetch;
  private readonly pacer: Pacer | null;

  constructor(opts: AuraTransportOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.opts = {
      timeoutMs: 10_000,
      maxRetries: 1,
      tokenRefreshMarginMs: 60_000,
      ...opts,
      maxQueueWaitMs: opts.maxQueueWaitMs ?? DEFAULT_MAX_QUEUE_WAIT_MS,
    };
    this.fetchImpl = opts.fetch ?? fetch;
    this.pacer = opts.maxRequestsPerSecond
      ? new Pacer(opts.maxRequestsPerSecond, undefined, undefined, { maxWaitMs: this.opts.maxQueueWaitMs })
      : null;
    if (!opts.staticToken && !(opts.clientId && opts.clientSecret)) {
      throw new Error('AuraClient needs either staticToken or clientId and clientSecret');
    }
  }

  /**
   * The longest one request takes to answer or fail once it is asked for: its pacer wait (bounded), then its timeout.
   */
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
  private get hostRoot(): string {
    return this.baseUrl.replace(/\/panic-api$/, '');
  }

  // ---- auth -------------------------------------------------------------------------------------------------

  private async bearer(forceRefresh = false): Promise<string> {
    if (this.opts.staticToken) return this.opts.staticToken;
    const now = Date.now();
    if (!forceRefresh && this.token && now < this.token.expiresAt - this.opts.tokenRefreshMarginMs)
      return this.token.value;
    // One exchange at a time: concurrent callers share it instead of minting a token each.
    if (!this.tokenInFlight) {
      this.tokenInFlight = this.exchangeToken().finally(() => {
        this.tokenInFlight = null;
      });
    }
    return this.tokenInFlight;
  }

  private async exchangeToken(): Promise<string> {
    const route = 'POST /v2/oauth/token';
    // Bounded as a whole (its repeats included) by one request's bound, so that callers can count on it.
    const res = await this.send({
      method: 'POST',
      path: '/v2/oauth/token',
      route,
      body: { clientId: this.opts.clientId, clientSecret: this.opts.clientSecret },
      auth: false,
      safe: true,
      signal: AbortSignal.timeout(this.callBoundMs),
    });
    const t = readAnswer(TokenResponse, res, route);
    // Lifetime is seconds per the newer reference; the 2020 guide calls it an epoch timestamp. Accept both.
    const expiresAt = t.expiresIn > 1_000_000_000 ? t.expiresIn * 1000 : Date.now() + t.expiresIn * 1000;
    this.token = { value: t.accessToken, expiresAt };
    return t.accessToken;
  }

  // ---- sending ----------------------------------------------------------------------------------------------

  /** Send one request: repeated (with backoff) only when safe, and never after its caller abandoned it. */
  async send(req: TransportRequest): Promise<RawResponse> {
    const safe = req.safe ?? req.method === 'GET';
    const attempts = 1 + (safe ? (req.retries ?? this.opts.maxRetries) : 0);
    let lastErr: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        return await this.sendOnce(req, false);
      } catch (err) {
        lastErr = err;
        // A full queue is not repeated here: the caller backs off (repeating would only queue again).
        if (
          !(err instanceof AuraError) ||
          !err.retryable ||
          err instanceof AuraQueueFullError ||
          req.signal?.aborted ||
          attempt === attempts - 1
        )
          throw err;
        const wait =
          err instanceof AuraRateLimitError && err.retryAfterMs != null ? err.retryAfterMs : backoffMs(attempt);
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
  private abandoned(req: TransportRequest, inFlight: boolean, cause: unknown): AuraError {
    const reason = req.signal?.reason as { name?: string; message?: string } | undefined;
    const timedOut = reason?.name === 'TimeoutError';
    const why = timedOut ? 'its deadline passed' : `it was cancelled${reason?.message ? ` (${reason.message})` : ''}`;
    return new AuraConnectionError({
      message:
        `${req.route} abandoned ` +
        `${inFlight ? 'in flight (it may have reached AURA)' : 'before it was sent'}: ${why}`,
      code: timedOut ? 'AURA_TIMEOUT' : 'AURA_ABORTED',
      method: req.method,
      path: req.path,
      cause,
    });
  }

  private async sendOnce(req: TransportRequest, retriedAuth: boolean): Promise<RawResponse> {
    const url = (req.root ? this.hostRoot : this.baseUrl) + req.path;
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
        await this.pacer.take(req.signal, { urgent: req.urgent });
      } catch (err) {
        if (err instanceof PacerSaturatedError) {
          throw new AuraQueueFullError({
            message: `Not sent: ${req.route} ${err.message}`,
            code: 'AURA_QUEUE_FULL',
            method: req.method,
            path: req.path,
            cause: err,
          });
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
      this.opts.onResponse?.({
        method: req.method,
        route: req.route,
        status: 'error',
        durationMs: performance.now() - started,
      });
      if (req.signal?.aborted && !timeout.aborted) throw this.abandoned(req, true, cause);
      const timedOut = (cause as Error)?.name === 'TimeoutError' || timeout.aborted;
      throw new AuraConnectionError({
        message: timedOut
          ? `AURA did not answer ${req.route} within ${this.opts.timeoutMs} ms`
          : `Could not reach AURA for ${req.route}`,
        code: timedOut ? 'AURA_TIMEOUT' : 'AURA_UNREACHABLE',
        method: req.method,
        path: req.path,
        cause,
      });
    }
    const requestId = response.headers.get('x-request-id') ?? headers['x-request-id'];
    this.opts.onResponse?.({
      method: req.method,
      route: req.route,
      status: response.status,
      durationMs: performance.now() - started,
      requestId,
    });
    let body: unknown = text;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (HTTP_SUCCESS.has(response.status) || req.accept?.includes(response.status))
      return { status: response.status, body, requestId };

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
    throw this.errorFor(req, response, body, requestId);
  }

  private errorFor(req: TransportRequest, response: Response, body: unknown, requestId: string | undefined): AuraError {
    const auraMessage = auraErrorText(body);
    const retryAfter = response.headers.get('retry-after');
    let retryAfterMs: number | undefined;
    if (retryAfter) {
      const secs = Number(retryAfter);
      retryAfterMs = Number.isFinite(secs)
        ? secs * 1000
        : Math.max(0, Date.parse(retryAfter) - Date.now()) || undefined;
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
    // A 2xx that neither HTTP nor this request declares (AURA's 285 outside the location routes) is undocumented.
    if (response.status >= 200 && response.status < 300)
      return new AuraResponseError({ ...init, code: `AURA_UNEXPECTED_${response.status}` });
    if (response.status === 401) return new AuraAuthenticationError({ ...init, code: 'AURA_UNAUTHORIZED' });
    return errorForStatus(init);
  }
}
