// What a route adds to the request's one access-log line (pino-http's "request completed" line, see app.ts): a busy
// route says what it did on that line instead of writing a second one per request.
import type { Response } from 'express';

export interface AccessLogNote {
  /** Fields merged into the access-log line. */
  fields: Record<string, unknown>;
  /** The line's message instead of "request completed". */
  msg: string;
}

const NOTE = Symbol('accessLogNote');

/** Put `fields` and `msg` on the request's access-log line. */
export function noteOnAccessLog(res: Response, fields: Record<string, unknown>, msg: string): void {
  (res.locals as Record<symbol, AccessLogNote>)[NOTE] = { fields, msg };
}

export function accessLogNote(res: { locals?: unknown }): AccessLogNote | undefined {
  return (res.locals as Record<symbol, AccessLogNote | undefined> | undefined)?.[NOTE];
}
