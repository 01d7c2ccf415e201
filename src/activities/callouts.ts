// The callout's activities: create (or join) the AURA callout, attach incidents to its lifecycle, watch and poll it,
// send locations, notes, cancellations and the rating. Built by a factory from their dependencies
// (samples-typescript style) so tests and the worker wire real clients in; the worker composes them with the other
// features' activities (src/worker/activities.ts).
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import type { AuraClient, CallOptions } from '../aura/client.js';
import { AuraNotFoundError } from '../aura/errors.js';
import type { CalloutCreated, CalloutEventWire } from '../aura/schemas.js';
import { contentKey, observationFromCreate, observationFromRead } from '../aura/mapping.js';
import { type CalloutObservation, CALLOUT_MEMO, lifecycleWorkflowId } from '../domain/incident.js';
import { readFingerprint } from '../domain/callout.js';
import type { WorkflowConfig } from '../workflows/config.js';
import type { AttachIncident, CalloutView, LiveLocation } from '../workflows/messages.js';
import { lookUpBeforeGivingUp, lookupFailed, runCreateAttempt } from './create-attempt.js';
import { signalLifecycle } from '../temporal/lifecycle-client.js';
import { activityCall, guarded, toFailure } from './aura-call.js';

/** Failure types of watchCallout's attempts that are waits, not errors (metrics count them apart). */
export const WATCH_WAIT = 'CalloutWatchWait';
export const WATCH_UNCHANGED = 'CalloutUnchanged';

export interface CalloutActivityDeps {
  aura: AuraClient;
  temporal: Client;
  /** Task queue the lifecycle workflows run on. */
  taskQueue: string;
  workflowConfig: WorkflowConfig;
}

export interface InboundEvent {
  id: number;
  text: string;
  createdAt: string | null;
  author: string | null;
  /** Written by an integration (ours, echoed back), not by AURA's controllers or responders. */
  fromIntegration: boolean;
}

/** AURA's callout events in either reference generation, reduced to what a note needs. */
export function inboundEvent(e: CalloutEventWire): InboundEvent {
  const ev = e.event as Record<string, unknown> | string | undefined;
  const text =
    e.message ??
    (typeof ev === 'string'
      ? ev
      : typeof ev?.message === 'string'
        ? ev.message
        : typeof ev?.body === 'string'
          ? ev.body
          : JSON.stringify(ev ?? ''));
  const author = e.createdBy ?? (typeof ev === 'object' && typeof ev?.senderRole === 'string' ? ev.senderRole : null);
  return { id: e.id, text, createdAt: e.createdAt ?? null, author, fromIntegration: author === 'integration' };
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

export function createCalloutActivities(deps: CalloutActivityDeps) {
  const { aura, temporal } = deps;
  /** The callout's events beside a poll: a failing events route does not fail the poll (they are read again later). */
  const eventsOrNull = (auraCalloutId: number, call: CallOptions) =>
    aura.listCalloutEvents(auraCalloutId, call).then(
      (es) => es.map(inboundEvent),
      () => null,
    );
  return {
    async getWorkflowConfig(): Promise<WorkflowConfig> {
      return deps.workflowConfig;
    },

    /**
     * What a fresh lifecycle run chain starts from (v3): the config, and the view of the newest run of this callout
     * that died (terminated, failed, timed out), so that a restart by a webhook keeps the timeline and notes. A
     * visibility read that fails only means no base: the run starts from AURA's answers.
     */
    async lifecycleStart(input: {
      auraCalloutId: number;
    }): Promise<{ config: WorkflowConfig; previous: CalloutView | null }> {
      let previous: CalloutView | null = null;
      try {
        const query = `WorkflowId = '${lifecycleWorkflowId(input.auraCalloutId)}' AND ExecutionStatus IN ('Terminated', 'Failed', 'TimedOut')`;
        for await (const wf of temporal.workflow.list({ query, pageSize: 1 })) {
          previous = (wf.memo?.[CALLOUT_MEMO] as CalloutView | undefined) ?? null;
          break;
        }
      } catch {
        previous = null;
      }
      return { config: deps.workflowConfig, previous };
    },

    /**
     * Whether the callout's lifecycle is running with this incident attached (v3 liveness, read from its memo): an
     * incident that is told only final views checks this instead of waiting for views.
     */
    async lifecycleFollows(input: {
      auraCalloutId: number;
      incidentId: string;
    }): Promise<'attached' | 'detached' | 'completed' | 'gone'> {
      try {
        const d = await temporal.workflow.getHandle(lifecycleWorkflowId(input.auraCalloutId)).describe();
        if (d.status.name === 'COMPLETED') return 'completed';
        if (d.status.name !== 'RUNNING') return 'gone';
        const view = d.memo?.[CALLOUT_MEMO] as CalloutView | undefined;
        // A run that has not written its memo yet (just started) is given the benefit of the doubt.
        return !view || view.incidents.includes(input.incidentId) ? 'attached' : 'detached';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'gone';
        throw err;
      }
    },

    /**
     * Create the AURA callout, in one bounded, cancellable attempt (./create-attempt.ts). Safe to retry: a retry first
     * looks for the customer's active callout, because the previous attempt may have created it and lost the answer;
     * a create that went wrong is looked up before the attempt gives up. When neither list answers, the create goes
     * ahead: AURA answers a create for a customer with an active callout with that callout (documented), so the
     * create is itself the lookup and two attempts never make two callouts.
     */
    async createCallout(input: CreateCalloutActivityInput): Promise<CreateCalloutActivityResult> {
      return guarded(() =>
        runCreateAttempt(aura.callBoundMs, async (attempt) => {
          const wanted = (c: CalloutCreated) =>
            input.predefinedLocationId !== undefined
              ? c.predefinedLocationId === input.predefinedLocationId
              : c.predefinedLocationId == null;
          // The per-customer route is inferred (not in the reference); when it fails, the documented list of the
          // source's active callouts, and that one for the rest of the attempt.
          let customerRoute = true;
          const lookup = async (signal: AbortSignal): Promise<CalloutCreated | null> => {
            if (customerRoute) {
              try {
                return (
                  (await aura.listCustomerActiveCallouts(input.customerId, { signal, retries: 0 })).find(wanted) ?? null
                );
              } catch (err) {
                if (signal.aborted) throw err;
                customerRoute = false;
              }
            }
            try {
              return (
                (await aura.listActiveCallouts({ signal, retries: 0 })).find(
                  (c) => c.customerId === input.customerId && wanted(c),
                ) ?? null
              );
            } catch (err) {
              throw lookupFailed(err, `the active callouts of customer ${input.customerId}`);
            }
          };
          const joined = (c: CalloutCreated): CreateCalloutActivityResult => ({
            auraCalloutId: c.id,
            existing: true,
            observation: observationFromCreate(c),
          });
          if (attempt.number > 1) {
            try {
              const match = await lookup(attempt.signal);
              if (match) return joined(match);
            } catch (err) {
              if (attempt.signal.aborted) throw err;
              // Neither list answered: go ahead, AURA's own answer to the create is the lookup (see above).
            }
          }
          try {
            const { callout, existing } = await aura.createCustomerCallout(
              {
                customerId: input.customerId,
                responseTypeId: input.responseTypeId,
                location: input.location,
                predefinedLocationId: input.predefinedLocationId,
                ...(input.test ? { internalTest: true } : {}),
              },
              { signal: attempt.signal },
            );
            return { auraCalloutId: callout.id, existing, observation: observationFromCreate(callout) };
          } catch (err) {
            return lookUpBeforeGivingUp(attempt, err, lookup, joined);
          }
        }),
      );
    },

    /**
     * Attach an incident to its callout's lifecycle, starting the lifecycle if no webhook has yet. `attached` is
     * false only for `restart: 'if-failed'` (the incident's liveness check) when the lifecycle completed normally.
     */
    async attachToLifecycle(
      input: { auraCalloutId: number; incidentWorkflowId: string; restart?: 'if-failed' } & Omit<
        AttachIncident,
        'workflowId'
      >,
    ): Promise<{ attached: boolean }> {
      const { auraCalloutId, incidentWorkflowId, restart, ...attach } = input;
      try {
        // The creator knows AURA just returned this callout as active, so a fresh run is right if an old one
        // ended. A liveness check restarts only a run that was terminated or failed, never one that finished.
        await signalLifecycle(
          temporal,
          { auraCalloutId, taskQueue: deps.taskQueue, restart: restart === 'if-failed' ? 'failed-only' : 'any' },
          { attach: { ...attach, workflowId: incidentWorkflowId } },
        );
      } catch (err) {
        if (restart === 'if-failed' && err instanceof WorkflowExecutionAlreadyStartedError) return { attached: false };
        throw err;
      }
      return { attached: true };
    },

    /** One poll: read the callout and reduce it to an observation. */
    async pollCallout(input: { auraCalloutId: number }): Promise<CalloutObservation> {
      return guarded(async () =>
        observationFromRead(await aura.getCallout(input.auraCalloutId, activityCall()), 'poll'),
      );
    },

    /** Send the newest position with "update location and return callout": it doubles as a poll. 285 = closed. */
    async sendLocation(input: { auraCalloutId: number; location: LiveLocation }): Promise<CalloutObservation> {
      return guarded(async () => {
        const r = await aura.updateLocationAndReturn(input.auraCalloutId, input.location, activityCall());
        if (r.callout) return observationFromRead(r.callout, 'poll');
        return {
          key: contentKey(['location', input.auraCalloutId]),
          source: 'poll',
          status: r.closed ? 'closed' : null,
        };
      });
    },

    /**
     * Polls the callout every `intervalMs` until a read differs from `lastRead` (or brings events not in
     * `knownEventIds`, read every `eventsEveryPolls` reads), and returns that read (v3). The waiting is Temporal's
     * retry: a read that shows nothing new fails as CalloutUnchanged with the interval as its next retry delay, and
     * failed attempts are not recorded in history, so a quiet callout costs its lifecycle no events between changes.
     * With `firstDelayMs` the first attempt only waits. A callout AURA does not know is returned as `notFound`.
     */
    async watchCallout(input: {
      auraCalloutId: number;
      lastRead: string | null;
      intervalMs: number;
      /** The first attempt only waits this long (the next read falls due then), when above 0. */
      firstDelayMs: number;
      eventsEveryPolls: number;
      knownEventIds: number[];
    }): Promise<{
      observation: CalloutObservation | null;
      events: InboundEvent[] | null;
      notFound: boolean;
      reads: number;
    }> {
      const attempt = Context.current().info.attempt;
      const again = (type: string, message: string, delay = input.intervalMs) =>
        ApplicationFailure.create({ type, message, nextRetryDelay: delay });
      const waits = input.firstDelayMs > 0;
      if (waits && attempt === 1) throw again(WATCH_WAIT, 'Waiting until the next read is due.', input.firstDelayMs);
      const reads = waits ? attempt - 1 : attempt;
      const call = activityCall();
      let observation: CalloutObservation;
      try {
        observation = observationFromRead(await aura.getCallout(input.auraCalloutId, call), 'poll');
      } catch (err) {
        if (err instanceof AuraNotFoundError) return { observation: null, events: null, notFound: true, reads };
        const f = toFailure(err);
        // A failed read is tried again at the interval (or when AURA's Retry-After says), like the next poll.
        if (f instanceof ApplicationFailure && !f.nonRetryable && f.nextRetryDelay == null)
          throw again(f.type ?? 'AuraError', f.message);
        throw f;
      }
      let events: InboundEvent[] | null = null;
      if (input.eventsEveryPolls > 0 && reads % input.eventsEveryPolls === 0) {
        const known = new Set(input.knownEventIds);
        events = await eventsOrNull(input.auraCalloutId, call);
        if (events && !events.some((e) => !known.has(e.id))) events = null;
      }
      if (events === null && readFingerprint(observation) === input.lastRead)
        throw again(WATCH_UNCHANGED, 'No change since the last read.');
      return { observation, events, notFound: false, reads };
    },

    /** A poll that also reads the callout's events (every few polls): one activity, one round of history. */
    async pollCalloutWithEvents(input: {
      auraCalloutId: number;
    }): Promise<{ observation: CalloutObservation; events: InboundEvent[] | null }> {
      return guarded(async () => {
        const call = activityCall();
        const observation = observationFromRead(await aura.getCallout(input.auraCalloutId, call), 'poll');
        // The events route failing does not lose the poll: the workflow reads them again later.
        const events = await eventsOrNull(input.auraCalloutId, call);
        return { observation, events };
      });
    },

    async listCalloutEvents(input: { auraCalloutId: number }): Promise<InboundEvent[]> {
      return guarded(async () => (await aura.listCalloutEvents(input.auraCalloutId, activityCall())).map(inboundEvent));
    },

    async sendCalloutEvent(input: { auraCalloutId: number; message: string }): Promise<{ id: number | null }> {
      return guarded(async () => ({
        id: (await aura.sendCalloutEvent(input.auraCalloutId, input.message, activityCall()))?.id ?? null,
      }));
    },

    /** Customer cancellation with the safe code, or integration cancellation without it. */
    async cancelCallout(input: { auraCalloutId: number; safeCode?: string | undefined }): Promise<CalloutObservation> {
      return guarded(async () => {
        const call = activityCall();
        const flat = await aura.cancelCallout(input.auraCalloutId, { safeCode: input.safeCode }, call);
        if (flat) return { ...observationFromCreate(flat), key: contentKey(['cancel', flat.id, flat.status]) };
        return observationFromRead(await aura.getCallout(input.auraCalloutId, call), 'api');
      });
    },

    async linkExceptionReason(input: { auraCalloutId: number; notes: string }): Promise<void> {
      return guarded(() => aura.linkExceptionReason(input.auraCalloutId, { notes: input.notes }, activityCall()));
    },

    async submitRating(input: { auraCalloutId: number; rating: number; comment?: string | undefined }): Promise<void> {
      await guarded(() =>
        aura.submitRating(
          {
            calloutId: input.auraCalloutId,
            rating: input.rating,
            ...(input.comment ? { comment: input.comment } : {}),
          },
          activityCall(),
        ),
      );
    },
  };
}

export type CalloutActivities = ReturnType<typeof createCalloutActivities>;
