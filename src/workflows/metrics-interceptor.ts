// Workflow interceptor (bundled with the workflows) that reports each incident's new timeline entries through the
// `metrics` sink, so the worker can count transitions by phase and time request → dispatch / arrival / close.
// Sinks add nothing to history (replay-safe, not called during replay) and the workflows themselves are unchanged.
import { proxySinks, workflowInfo, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { phaseOfStatus } from '../domain/status.js';
import type { CalloutView } from './messages.js';
import { incidentWorkflow } from './incident.js';

export interface IncidentTransitionsReport {
  createdAt?: string | undefined;
  entries: { phase: string; status: string; at: string }[];
  /** Set once per incident: the moment of the first dispatch, the arrival and the close. */
  firsts: { dispatched?: string; arrived?: string; closed?: string };
}

export interface MetricsSinks extends Sinks {
  metrics: {
    incidentTransitions(report: IncidentTransitionsReport): void;
  };
}

const { metrics } = proxySinks<MetricsSinks>();

interface Carried {
  createdAt?: string;
  carried?: { callout?: { timeline?: { status: string }[] } | null } | null;
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  if (workflowInfo().workflowType !== incidentWorkflow.name) return {};
  let createdAt: string | undefined;
  let seen = 0;
  const done = { dispatched: false, arrived: false, closed: false };
  const mark = (status: string) => {
    const phase = phaseOfStatus(status);
    if (phase === 'dispatched') done.dispatched = true;
    if (phase === 'on_scene') done.arrived = true;
    if (status === 'closed') done.closed = true;
  };
  return {
    inbound: [
      {
        async execute(input, next) {
          const arg = input.args[0] as Carried | undefined;
          createdAt = arg?.createdAt;
          // After continue-as-new, what the previous run reported is already counted.
          const carriedTimeline = arg?.carried?.callout?.timeline ?? [];
          seen = carriedTimeline.length;
          for (const e of carriedTimeline) mark(e.status);
          return next(input);
        },
        async handleSignal(input, next) {
          await next(input);
          if (input.signalName !== 'calloutUpdated') return;
          const view = input.args[0] as CalloutView | undefined;
          const timeline = view?.timeline ?? [];
          if (timeline.length <= seen) return;
          const fresh = timeline.slice(seen);
          seen = timeline.length;
          const firsts: IncidentTransitionsReport['firsts'] = {};
          for (const e of fresh) {
            const phase = phaseOfStatus(e.status);
            if (phase === 'dispatched' && !done.dispatched) firsts.dispatched = e.at;
            if (phase === 'on_scene' && !done.arrived) firsts.arrived = e.at;
            if (e.status === 'closed' && !done.closed) firsts.closed = e.at;
            mark(e.status);
          }
          metrics.incidentTransitions({
            createdAt,
            entries: fresh.map((e) => ({ phase: phaseOfStatus(e.status) ?? 'unmapped', status: e.status, at: e.at })),
            firsts,
          });
        },
      },
    ],
  };
};
