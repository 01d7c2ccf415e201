// The worker's side of metrics: the `metrics` sink the workflow interceptor calls, and an activity interceptor that
// counts polls (both run outside the workflow sandbox, so they may use prom-client).
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { WATCH_UNCHANGED, WATCH_WAIT } from '../activities/callouts.js';
import { polls, recordIncidentTransitions } from '../metrics.js';
import type { MetricsSinks } from '../workflows/metrics-interceptor.js';

export function metricsSinks(): InjectedSinks<MetricsSinks> {
  return {
    metrics: {
      incidentTransitions: {
        fn: (_info, report) => recordIncidentTransitions(report.createdAt, report.entries, report.firsts),
        // Replays (cache eviction, worker restart) must not count the same transition twice.
        callDuringReplay: false,
      },
    },
  };
}

const POLL_ACTIVITIES: Record<string, string> = {
  pollCallout: 'poll',
  pollCalloutWithEvents: 'poll',
  watchCallout: 'poll',
  sendLocation: 'location',
};

export const pollMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => {
  const kind = POLL_ACTIVITIES[ctx.info.activityType];
  if (!kind) return {};
  return {
    inbound: {
      async execute(input, next) {
        try {
          const out = await next(input);
          polls.inc({ kind, outcome: 'ok' });
          return out;
        } catch (err) {
          // A watch's attempt that read the callout and found nothing new is a poll that worked; a wait is no poll.
          const type = err instanceof ApplicationFailure ? err.type : undefined;
          if (type === WATCH_UNCHANGED) polls.inc({ kind, outcome: 'ok' });
          else if (type !== WATCH_WAIT) polls.inc({ kind, outcome: 'error' });
          throw err;
        }
      },
    },
  };
};
