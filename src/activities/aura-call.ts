// How every feature's activities call AURA: each call bound to the activity (its cancellation, its start-to-close),
// and AURA's errors turned into Temporal failures that say whether a retry can help.
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { CallOptions } from '../aura/client.js';
import { AuraError, AuraRateLimitError } from '../aura/errors.js';
import { CREATE_ATTEMPT_MARGIN_MS } from './create-attempt.js';

/** AURA errors become Temporal failures: retryable or not as AURA's answer says, AURA's text kept. */
export function toFailure(err: unknown): unknown {
  if (!(err instanceof AuraError)) return err;
  const details = {
    code: err.code,
    status: err.status ?? null,
    auraMessage: err.auraMessage ?? null,
    requestId: err.requestId ?? null,
  };
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: !err.retryable,
    details: [details],
    ...(err instanceof AuraRateLimitError && err.retryAfterMs != null ? { nextRetryDelay: err.retryAfterMs } : {}),
  });
}

/**
 * An activity's AURA calls end with it: on its cancellation, and just before its start-to-close, after which Temporal
 * may run it again. A note or a rating still waiting for its turn would otherwise be sent twice.
 */
export function activityCall(): CallOptions {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return {}; // not inside an activity
  }
  const ms = ctx.info.startToCloseTimeoutMs;
  return {
    signal:
      ms > 0
        ? AbortSignal.any([ctx.cancellationSignal, AbortSignal.timeout(Math.max(0, ms - CREATE_ATTEMPT_MARGIN_MS))])
        : ctx.cancellationSignal,
  };
}

export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err);
  }
}
