// The contract's error body everywhere: {"error": {"code", "message", "details"?}}.
import type { NextFunction, Request, Response } from 'express';
import type { z } from 'zod';

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(code: string, message: string, details?: ErrorDetail[]) {
  return { error: { code, message, ...(details && details.length ? { details } : {}) } };
}

/** At most this many details in one error: a body with an invalid element per array entry must not get one each. */
export const MAX_ERROR_DETAILS = 20;

export function validationError(err: z.ZodError, prefix?: string): ApiError {
  const details = err.issues.slice(0, MAX_ERROR_DETAILS).map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: i.message,
  }));
  const more = err.issues.length - details.length;
  const message =
    more > 0
      ? `The request is not valid: see details for the first ${details.length} of ${err.issues.length} problems.`
      : 'The request is not valid: see details for each field.';
  return new ApiError(400, 'VALIDATION_FAILED', message, details);
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, prefix?: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, prefix);
  return r.data;
}

export function notFoundHandler(req: Request, res: Response): void {
  res.status(404).json(errorBody('NOT_FOUND', `No route for ${req.method} ${req.path}`));
}

/** Last middleware: known errors keep their status; body-parser errors become 400/413; anything else is 500. */
export function errorHandler(log: { error: (obj: object, msg: string) => void }) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) return;
    if (err instanceof ApiError) {
      res.status(err.status).json(errorBody(err.code, err.message, err.details));
      return;
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e?.type === 'entity.parse.failed') {
      res.status(400).json(errorBody('MALFORMED_JSON', 'The body is not valid JSON.'));
      return;
    }
    if (e?.type === 'entity.too.large') {
      res.status(413).json(errorBody('PAYLOAD_TOO_LARGE', 'The body is larger than the limit.'));
      return;
    }
    if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
      res.status(415).json(errorBody('UNSUPPORTED_ENCODING', 'The body encoding is not supported.'));
      return;
    }
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json(errorBody('BAD_REQUEST', 'The request could not be read.'));
      return;
    }
    log.error({ err, path: req.path, method: req.method }, 'unhandled error');
    res.status(500).json(errorBody('INTERNAL', 'Something went wrong on our side; the request can be retried.'));
  };
}
