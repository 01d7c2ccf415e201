// Activity log lines with the ids an operator searches by: every line about a callout carries the incident id and
// the AURA callout id (from the activity's input or its workflow id), never the input itself.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Logger } from '../logger.js';

/** incident-<id> → id; aura-callout-<n> → n. */
export function idsOf(workflowId: string, input: unknown): { incidentId?: string; auraCalloutId?: number } {
  const arg = (input ?? {}) as { incidentId?: unknown; auraCalloutId?: unknown };
  const out: { incidentId?: string; auraCalloutId?: number } = {};
  if (typeof arg.incidentId === 'string') out.incidentId = arg.incidentId;
  else if (workflowId.startsWith('incident-')) out.incidentId = workflowId.slice('incident-'.length);
  if (typeof arg.auraCalloutId === 'number') out.auraCalloutId = arg.auraCalloutId;
  else {
    const m = /^aura-callout-(\d+)$/.exec(workflowId);
    if (m) out.auraCalloutId = Number(m[1]);
  }
  return out;
}

export function activityLogInterceptor(log: Logger): ActivityInterceptorsFactory {
  return (ctx) => {
    const info = ctx.info;
    return {
      inbound: {
        async execute(input, next) {
          const workflowId = info.workflowExecution?.workflowId ?? '';
          const fields = {
            activity: info.activityType,
            attempt: info.attempt,
            workflowId,
            ...idsOf(workflowId, input.args[0]),
          };
          const started = Date.now();
          try {
            const out = await next(input);
            log.debug({ ...fields, ms: Date.now() - started }, 'activity completed');
            return out;
          } catch (err) {
            log.warn(
              {
                ...fields,
                ms: Date.now() - started,
                err: { type: (err as Error)?.name, message: (err as Error)?.message },
              },
              'activity failed',
            );
            throw err;
          }
        },
      },
    };
  };
}
