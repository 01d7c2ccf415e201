// Activities: the only place workflows touch the outside world. Built by a factory from their dependencies
// (samples-typescript style) so tests and the worker wire real clients in.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { AuraClient } from '../aura/client.js';
import { AuraError, AuraRateLimitError } from '../aura/errors.js';
import { observationFromCreate, observationFromRead } from '../aura/mapping.js';
import type { CalloutObservation } from '../domain/incident.js';
import { lifecycleWorkflowId } from '../domain/incident.js';
import type { WorkflowConfig } from '../workflows/config.js';
import { attachIncidentSignal } from '../workflows/messages.js';

export interface ActivityDeps {
  aura: AuraClient;
  temporal: Client;
  /** Task queue the lifecycle workflows run on. */
  taskQueue: string;
  workflowConfig: WorkflowConfig;
}

/** AURA errors become Temporal failures: retryable or not as AURA's answer says, AURA's text kept. */
export function toFailure(err: unknown): unknown {
  if (!(err instanceof AuraError)) return err;
  const details = { code: err.code, status: err.status ?? null, auraMessage: err.auraMessage ?? null, requestId: err.requestId ?? null };
  return ApplicationFailure.create({
    type: err.name,
    message: err.message,
    nonRetryable: !err.retryable,
    details: [details],
    ...(err instanceof AuraRateLimitError && err.retryAfterMs != null ? { nextRetryDelay: err.retryAfterMs } : {}),
  });
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err);
  }
}

export interface CreateCalloutActivityInput {
  incidentId: string;
  customerId: number;
  responseTypeId: number;
  location?: { latitude: number; longitude: number; accuracy?: number | undefined } | undefined;
  predefinedLocationId?: number | undefined;
  test?: boolean | undefined;
}

export interface CreateCalloutActivityResult {
  auraCalloutId: number;
  existing: boolean;
  observation: CalloutObservation;
}

export function createActivities(deps: ActivityDeps) {
  const { aura, temporal } = deps;
  return {
    async getWorkflowConfig(): Promise<WorkflowConfig> {
      return deps.workflowConfig;
    },

    /**
     * Create the AURA callout. Safe to retry: a retry first looks for the customer's active callout, because the
     * previous attempt may have created it and lost the answer. AURA also answers a create for a customer with an
     * active callout with that callout, so two attempts never make two callouts.
     */
    async createCallout(input: CreateCalloutActivityInput): Promise<CreateCalloutActivityResult> {
      return guarded(async () => {
        const attempt = Context.current().info.attempt;
        if (attempt > 1) {
          const active = await aura.listCustomerActiveCallouts(input.customerId);
          const match = active.find((c) =>
            input.predefinedLocationId !== undefined ? c.predefinedLocationId === input.predefinedLocationId : c.predefinedLocationId == null,
          );
          if (match) return { auraCalloutId: match.id, existing: true, observation: observationFromCreate(match) };
        }
        const { callout, existing } = await aura.createCustomerCallout({
          customerId: input.customerId,
          responseTypeId: input.responseTypeId,
          location: input.location,
          predefinedLocationId: input.predefinedLocationId,
          ...(input.test ? { internalTest: true } : {}),
        });
        return { auraCalloutId: callout.id, existing, observation: observationFromCreate(callout) };
      });
    },

    /** Attach an incident to its callout's lifecycle, starting the lifecycle if no webhook has yet. */
    async attachToLifecycle(input: { auraCalloutId: number; incidentId: string; incidentWorkflowId: string; observation: CalloutObservation }): Promise<void> {
      await temporal.workflow.signalWithStart('calloutLifecycleWorkflow', {
        workflowId: lifecycleWorkflowId(input.auraCalloutId),
        taskQueue: deps.taskQueue,
        args: [{ auraCalloutId: input.auraCalloutId }],
        // The creator knows AURA just returned this callout as active, so a fresh run is right if an old one ended.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        signal: attachIncidentSignal,
        signalArgs: [{ incidentId: input.incidentId, workflowId: input.incidentWorkflowId, observation: input.observation }],
      });
    },

    /** One poll: read the callout and reduce it to an observation. */
    async pollCallout(input: { auraCalloutId: number }): Promise<CalloutObservation> {
      return guarded(async () => observationFromRead(await aura.getCallout(input.auraCalloutId), 'poll'));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
