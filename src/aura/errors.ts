// One error class tree for the Panic API, after stripe-node: every error carries the HTTP status (if any), a stable
// code, AURA's own error text, the request id and whether retrying the same request can help.

export interface AuraErrorInit {
  message: string;
  status?: number;
  code?: string;
  auraMessage?: string;
  requestId?: string;
  method?: string;
  path?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

export class AuraError extends Error {
  override readonly name: string = 'AuraError';
  readonly status: number | undefined;
  readonly code: string;
  /** AURA's error text, as AURA sent it (`message`, `error` or `errors`). */
  readonly auraMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly retryable: boolean = false;

  constructor(init: AuraErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code ?? 'AURA_ERROR';
    this.auraMessage = init.auraMessage;
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = init.path;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      code: this.code,
      auraMessage: this.auraMessage,
      requestId: this.requestId,
      method: this.method,
      path: this.path,
      retryable: this.retryable,
    };
  }
}

/** Network failure or timeout: the request may or may not have reached AURA. */
export class AuraConnectionError extends AuraError {
  override readonly name = 'AuraConnectionError';
  override readonly retryable = true;
}
export class AuraInvalidRequestError extends AuraError {
  override readonly name = 'AuraInvalidRequestError';
}
export class AuraAuthenticationError extends AuraError {
  override readonly name = 'AuraAuthenticationError';
}
export class AuraPermissionError extends AuraError {
  override readonly name = 'AuraPermissionError';
}
export class AuraNotFoundError extends AuraError {
  override readonly name = 'AuraNotFoundError';
}
export class AuraConflictError extends AuraError {
  override readonly name = 'AuraConflictError';
}
export class AuraRateLimitError extends AuraError {
  override readonly name = 'AuraRateLimitError';
  override readonly retryable = true;
  readonly retryAfterMs: number | undefined;
  constructor(init: AuraErrorInit) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
  }
}
export class AuraServerError extends AuraError {
  override readonly name = 'AuraServerError';
  override readonly retryable = true;
}
/** AURA answered, but not in a shape we understand. Retrying the same call will not help. */
export class AuraResponseError extends AuraError {
  override readonly name = 'AuraResponseError';
}
/**
 * A create answered 2xx in a shape we do not understand: the callout probably exists. Retryable, but only through a
 * lookup: the caller must look for the callout before it creates again.
 */
export class AuraCreateUnconfirmedError extends AuraError {
  override readonly name = 'AuraCreateUnconfirmedError';
  override readonly retryable = true;
}
/**
 * The client's own queue toward AURA is full (the pacer's bound): nothing was sent. Retryable after a backoff,
 * rather than queueing so long that the caller's deadline passes with its request still waiting to go out.
 */
export class AuraQueueFullError extends AuraError {
  override readonly name = 'AuraQueueFullError';
  override readonly retryable = true;
}
/**
 * Looking for a callout that may exist failed (any status, any shape). Always retryable: giving up here could
 * abandon a live callout, and creating instead could make a second one.
 */
export class AuraLookupError extends AuraError {
  override readonly name = 'AuraLookupError';
  override readonly retryable = true;
}

export function errorForStatus(init: AuraErrorInit & { status: number }): AuraError {
  const s = init.status;
  if (s === 400 || s === 422) return new AuraInvalidRequestError({ code: 'AURA_INVALID_REQUEST', ...init });
  if (s === 401) return new AuraAuthenticationError({ code: 'AURA_UNAUTHORIZED', ...init });
  if (s === 403) return new AuraPermissionError({ code: 'AURA_FORBIDDEN', ...init });
  if (s === 404) return new AuraNotFoundError({ code: 'AURA_NOT_FOUND', ...init });
  if (s === 409) return new AuraConflictError({ code: 'AURA_CONFLICT', ...init });
  if (s === 429) return new AuraRateLimitError({ code: 'AURA_RATE_LIMITED', ...init });
  if (s >= 500) return new AuraServerError({ code: 'AURA_SERVER_ERROR', ...init });
  return new AuraError({ code: 'AURA_UNEXPECTED_STATUS', ...init });
}

/** Pull AURA's error text out of any of its error bodies: `{message}`, `{error}`, `{errors}`. */
export function auraErrorText(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 500) || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  for (const k of ['message', 'error', 'errors']) {
    const v = b[k];
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('; ');
  }
  return undefined;
}
