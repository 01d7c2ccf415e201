// RELEASED CODE, FROZEN with callout-lifecycle-v1.ts (moved out of it unchanged): the ApplicationFailure an activity
// failure carries. Never edit it; the current lifecycle has its own (src/workflows/lifecycle-checks.ts).
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

export function failureOf(err: unknown): ApplicationFailure | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause : undefined;
}
