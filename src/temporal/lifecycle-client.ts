// The one way a callout's lifecycle is started or signalled from outside Temporal's workflows: the receiver (a
// webhook's observation) and the incident's attach activity both reach workflow `aura-callout-<id>` through it.
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { lifecycleWorkflowId, type CalloutObservation } from '../domain/incident.js';
import { calloutLifecycleWorkflow } from '../workflows/callout-lifecycle.js';
import { attachIncidentSignal, calloutObservedSignal, type AttachIncident } from '../workflows/messages.js';

export interface LifecycleTarget {
  auraCalloutId: number;
  taskQueue: string;
  /**
   * `failed-only`: a lifecycle that finished stays finished (a late webhook, a liveness check), one terminated or
   * failed is started again. `any`: a fresh run if the old one ended (the creator knows AURA holds it active).
   */
  restart: 'failed-only' | 'any';
}

/** What is sent: a webhook's observation, or an incident attaching. */
export type LifecycleMessage = { observed: CalloutObservation } | { attach: AttachIncident };

export async function signalLifecycle(client: Client, t: LifecycleTarget, m: LifecycleMessage): Promise<void> {
  const base = {
    workflowId: lifecycleWorkflowId(t.auraCalloutId),
    taskQueue: t.taskQueue,
    args: [{ auraCalloutId: t.auraCalloutId }] as [{ auraCalloutId: number }],
    workflowIdReusePolicy:
      t.restart === 'failed-only'
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
        : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  };
  if ('observed' in m)
    await client.workflow.signalWithStart(calloutLifecycleWorkflow, {
      ...base,
      signal: calloutObservedSignal,
      signalArgs: [m.observed],
    });
  else
    await client.workflow.signalWithStart(calloutLifecycleWorkflow, {
      ...base,
      signal: attachIncidentSignal,
      signalArgs: [m.attach],
    });
}
