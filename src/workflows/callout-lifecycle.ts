// One lifecycle per AURA callout (workflow id `aura-callout-<id>`). Started by whichever comes first: the incident
// that created the callout (attach) or AURA's first webhook about it (so an early webhook is kept). A second incident
// that AURA answers with the same active callout attaches here too: one AURA callout, one lifecycle.
//
// Webhooks are hints, polling is the ledger: the loop polls on an interval whatever the webhooks say, and stops at
// `closed`.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { applyObservation, initialSnapshot } from '../domain/callout.js';
import type { CalloutObservation, CalloutSnapshot } from '../domain/incident.js';
import { isTerminalStatus } from '../domain/status.js';
import { AuraCalloutIdKey, CalloutPhaseKey, CalloutStatusKey, IncidentIdKey } from '../temporal/search-attributes.js';
import type { WorkflowConfig } from './config.js';
import { attachIncidentSignal, calloutObservedSignal, calloutUpdatedSignal, getCalloutQuery, type AttachIncident } from './messages.js';

export interface LifecycleInput {
  auraCalloutId: number;
  /** Present after continue-as-new: the whole state of the previous run. */
  carried?: LifecycleCarry;
}

export interface LifecycleCarry {
  config: WorkflowConfig;
  snapshot: CalloutSnapshot;
  incidents: { incidentId: string; workflowId: string }[];
  /** Observations that arrived after the last drain, so none is dropped across continue-as-new. */
  pending: CalloutObservation[];
  lastPollAtMs: number;
  notifiedVersion: number;
}

/** Consecutive 404 polls after which a lifecycle no incident attached to gives up. */
const NOT_FOUND_LIMIT = 5;

const { getWorkflowConfig } = proxyLocalActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '5s',
});

export async function calloutLifecycleWorkflow(input: LifecycleInput): Promise<CalloutSnapshot> {
  const carried = input.carried;
  const config: WorkflowConfig = carried?.config ?? (await getWorkflowConfig());
  const aura = proxyActivities<ReturnType<typeof activities.createActivities>>({
    taskQueue: config.auraTaskQueue,
    startToCloseTimeout: '30s',
    // A failed poll is not fatal: the next poll (or a webhook) brings the state.
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
  });

  let snapshot = carried?.snapshot ?? initialSnapshot(input.auraCalloutId);
  const incidents = carried?.incidents ?? [];
  const pending: CalloutObservation[] = [...(carried?.pending ?? [])];
  let lastPollAtMs = carried?.lastPollAtMs ?? Date.now();
  let notifiedVersion = carried?.notifiedVersion ?? -1;
  let newlyAttached: string[] = [];
  let notFoundPolls = 0;

  const view = () => ({ ...snapshot, incidents: incidents.map((i) => i.incidentId) });

  setHandler(getCalloutQuery, view);
  // Handlers only queue; the main loop applies, so the order of application is the order of arrival.
  setHandler(calloutObservedSignal, (obs) => {
    pending.push(obs);
  });
  setHandler(attachIncidentSignal, (a: AttachIncident) => {
    if (!incidents.some((i) => i.incidentId === a.incidentId)) {
      incidents.push({ incidentId: a.incidentId, workflowId: a.workflowId });
      newlyAttached.push(a.workflowId);
    } else {
      // A retried attach: make sure that incident gets the current state again.
      newlyAttached.push(a.workflowId);
    }
    if (a.observation) pending.push(a.observation);
  });

  const drain = (): void => {
    while (pending.length) {
      const obs = pending.shift()!;
      const r = applyObservation(snapshot, obs, new Date().toISOString());
      if (r.transitioned) log.info('callout status changed', { auraCalloutId: input.auraCalloutId, status: r.snapshot.status, source: obs.source });
      snapshot = r.snapshot;
    }
  };

  const publish = async (): Promise<void> => {
    const changed = snapshot.version !== notifiedVersion;
    const targets = changed ? incidents.map((i) => i.workflowId) : [...new Set(newlyAttached)];
    newlyAttached = [];
    if (changed) {
      upsertSearchAttributes([
        { key: AuraCalloutIdKey, value: input.auraCalloutId },
        { key: CalloutStatusKey, value: snapshot.status ?? 'pending' },
        { key: CalloutPhaseKey, value: snapshot.phase },
        ...(incidents[0] ? [{ key: IncidentIdKey, value: incidents[0].incidentId }] : []),
      ]);
      notifiedVersion = snapshot.version;
    }
    const payload = view();
    await Promise.all(
      targets.map(async (workflowId) => {
        try {
          await getExternalWorkflowHandle(workflowId).signal(calloutUpdatedSignal, payload);
        } catch (err) {
          // The incident has finished or was never there: nothing to tell it.
          log.warn('could not update incident', { workflowId, error: (err as Error).message });
        }
      }),
    );
  };

  const poll = async (): Promise<void> => {
    lastPollAtMs = Date.now();
    try {
      const obs = await aura.pollCallout({ auraCalloutId: input.auraCalloutId });
      notFoundPolls = 0;
      pending.push(obs);
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === 'AuraNotFoundError') notFoundPolls++;
      log.warn('poll failed; the next one will try again', { auraCalloutId: input.auraCalloutId, error: (err as Error).message });
    }
  };

  while (true) {
    drain();
    await publish();
    if (isTerminalStatus(snapshot.status)) break;
    // A webhook named a callout AURA does not know (and no incident of ours created it): stop following it.
    if (notFoundPolls >= NOT_FOUND_LIMIT && incidents.length === 0) {
      log.warn('AURA does not know this callout; lifecycle ends', { auraCalloutId: input.auraCalloutId });
      break;
    }

    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= config.continueAsNewEvents) {
      await condition(allHandlersFinished);
      drain();
      await publish();
      if (isTerminalStatus(snapshot.status)) break;
      await continueAsNew<typeof calloutLifecycleWorkflow>({
        auraCalloutId: input.auraCalloutId,
        carried: { config, snapshot, incidents, pending: [...pending], lastPollAtMs, notifiedVersion },
      });
    }

    const untilPoll = Math.max(0, lastPollAtMs + config.pollIntervalMs - Date.now());
    if (untilPoll > 0) {
      await condition(() => pending.length > 0 || newlyAttached.length > 0, untilPoll);
    }
    if (Date.now() - lastPollAtMs >= config.pollIntervalMs) await poll();
  }

  snapshot = { ...snapshot, done: true, version: snapshot.version + 1 };
  await publish();
  await condition(allHandlersFinished);
  return snapshot;
}
