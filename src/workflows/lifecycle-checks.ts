// The lifecycle's pure checks: what an activity failure says (its ApplicationFailure, AURA's own message), and
// whether a cancellation or a rating may be taken now (the update validators of src/workflows/callout-lifecycle.ts).
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { LifecycleState } from './lifecycle-state.js';
import type { CancelRequest } from './messages.js';

export function failureOf(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

export function auraMessageOf(f: ApplicationFailure | undefined): string | undefined {
  return (f?.details?.[0] as { auraMessage?: string | null } | undefined)?.auraMessage ?? undefined;
}

export function checkCancel(s: LifecycleState, req: CancelRequest): void {
  if (s.closed()) throw ApplicationFailure.nonRetryable('The callout is closed.', 'CALLOUT_CLOSED');
  if (s.cancelling)
    throw ApplicationFailure.nonRetryable('A cancellation is already on its way to AURA.', 'CANCEL_IN_PROGRESS');
  if (s.cancelled)
    throw ApplicationFailure.nonRetryable('The callout has already been cancelled.', 'ALREADY_CANCELLED');
  if (req.safeCode !== undefined && req.reasons !== undefined)
    throw ApplicationFailure.nonRetryable('Give safeCode or reasons, not both.', 'VALIDATION_FAILED');
}

export function checkRating(s: LifecycleState): void {
  if (s.snapshot.rating.state !== 'requested' || s.rating) {
    const state = s.rating ? 'being submitted' : s.snapshot.rating.state;
    throw ApplicationFailure.nonRetryable(`The rating is not open (it is ${state}).`, 'RATING_NOT_OPEN');
  }
}
