// One workflow per incident (workflow id `incident-<incidentId>`): creates the AURA callout (exactly once), attaches
// to that callout's lifecycle, and keeps a copy of the lifecycle's view so that a read is one query.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import type { CalloutSnapshot, IncidentFailure } from '../domain/incident.js';
import { AuraCalloutIdKey, CalloutPhaseKey, CalloutStatusKey } from '../temporal/search-attributes.js';
import { calloutUpdatedSignal, getIncidentQuery, type IncidentView } from './messages.js';

export interface IncidentRequest {
  customerId: number;
  responseTypeId: number;
  location?: { latitude: number; longitude: number; accuracy?: number | undefined } | undefined;
  predefinedLocationId?: number | undefined;
  notes?: string | undefined;
  test?: boolean | undefined;
}

export interface IncidentInput {
  incidentId: string;
  request: IncidentRequest;
  createdAt: string;
}

type Acts = ReturnType<typeof activities.createActivities>;

const { getWorkflowConfig, attachToLifecycle } = proxyLocalActivities<Acts>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});

export async function incidentWorkflow(input: IncidentInput): Promise<IncidentView> {
  const config = await getWorkflowConfig();
  const aura = proxyActivities<Acts>({
    taskQueue: config.auraTaskQueue,
    startToCloseTimeout: '30s',
    // Creating the callout is what the person in danger waits for: retry transient failures for a long time,
    // never a request AURA refused (those fail at once, marked non-retryable by the activity).
    scheduleToCloseTimeout: '15m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' },
  });

  let failure: IncidentFailure | undefined;
  let auraCalloutId: number | null = null;
  let callout: (CalloutSnapshot & { incidents: string[] }) | null = null;
  let flushedVersion = -1;

  const view = (): IncidentView => ({
    incidentId: input.incidentId,
    workflowId: workflowInfo().workflowId,
    auraCalloutId,
    status: callout?.status ?? null,
    phase: failure ? 'failed' : (callout?.phase ?? 'requested'),
    terminal: failure !== undefined || callout?.status === 'closed',
    trackingUrl: callout?.trackingUrl ?? null,
    responder: callout?.responder ?? null,
    eta: callout?.eta ?? null,
    timeline: callout?.timeline ?? [],
    notes: callout?.notes ?? [],
    rating: callout?.rating ?? { state: 'not_open', value: null },
    createdAt: input.createdAt,
    ...(failure ? { failure } : {}),
    ...(callout && callout.incidents.length > 0 && callout.incidents[0] !== input.incidentId ? { joined: true } : {}),
  });

  setHandler(getIncidentQuery, view);
  setHandler(calloutUpdatedSignal, (snap) => {
    // Signals may be duplicated or reordered: keep only the newest view of the callout.
    if (callout === null || snap.version >= callout.version) callout = snap;
  });

  try {
    const created = await aura.createCallout({ incidentId: input.incidentId, ...input.request });
    auraCalloutId = created.auraCalloutId;
    await attachToLifecycle({ auraCalloutId, incidentId: input.incidentId, incidentWorkflowId: workflowInfo().workflowId, observation: created.observation });
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as { code?: string } | undefined) : undefined;
    failure = { code: details?.code ?? 'CALLOUT_CREATE_FAILED', message: (cause as Error)?.message ?? 'AURA callout could not be created' };
    upsertSearchAttributes([
      { key: CalloutPhaseKey, value: 'failed' },
      { key: CalloutStatusKey, value: 'failed' },
    ]);
    return view();
  }

  while (true) {
    await condition(() => (callout !== null && callout.version !== flushedVersion) || callout?.done === true);
    if (callout === null) continue;
    const c: CalloutSnapshot = callout;
    if (c.version !== flushedVersion) {
      flushedVersion = c.version;
      upsertSearchAttributes([
        { key: AuraCalloutIdKey, value: c.auraCalloutId },
        { key: CalloutStatusKey, value: c.status ?? 'pending' },
        { key: CalloutPhaseKey, value: c.phase },
      ]);
    }
    if (c.done) break;
  }
  return view();
}
