// Reading and starting incident workflows: the thin layer between HTTP routes and Temporal.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Incident } from '../domain/incident.js';
import { incidentWorkflowId, temporalUiLink } from '../domain/incident.js';
import { CalloutPhaseKey, CalloutStatusKey, IncidentIdKey } from '../temporal/search-attributes.js';
import type { IncidentInput, IncidentRequest } from '../workflows/incident.js';
import { getIncidentQuery, type IncidentView } from '../workflows/messages.js';
import { ApiError } from './errors.js';

export interface IncidentServiceOptions {
  client: Client;
  taskQueue: string;
  namespace: string;
  temporalUiUrl: string | null;
}

const ACTIVE_PHASES = ['requested', 'dispatched', 'on_scene', 'completed', 'cancelled'];

/** Temporal being unreachable is a 503 the caller can retry, never a 500. */
export function temporalUnavailable(err: unknown): ApiError {
  return new ApiError(503, 'TEMPORAL_UNAVAILABLE', `Temporal is not reachable right now; retry shortly. (${(err as Error)?.message ?? 'unknown error'})`);
}

export function createIncidentService(opts: IncidentServiceOptions) {
  const { client } = opts;

  const withLinks = (v: IncidentView): Incident => {
    const { incidents: _i, ...rest } = v;
    return {
      ...rest,
      links: {
        self: `/v1/callouts/${encodeURIComponent(v.incidentId)}`,
        temporalUi: temporalUiLink(opts.temporalUiUrl, opts.namespace, v.workflowId),
      },
    };
  };

  async function get(incidentId: string): Promise<Incident> {
    try {
      const view = await client.workflow.getHandle(incidentWorkflowId(incidentId)).query(getIncidentQuery);
      return withLinks(view);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new ApiError(404, 'INCIDENT_NOT_FOUND', `No incident with id "${incidentId}".`);
      throw temporalUnavailable(err);
    }
  }

  /** Start the incident's workflow; a repeat with the same incidentId returns the existing incident. */
  async function open(request: IncidentRequest, incidentId: string = randomUUID()): Promise<{ created: boolean; incident: Incident }> {
    const workflowId = incidentWorkflowId(incidentId);
    const createdAt = new Date().toISOString();
    const input: IncidentInput = { incidentId, request, createdAt };
    try {
      await client.workflow.start('incidentWorkflow', {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        // An incident id names one emergency forever: never a second workflow (and so never a second callout).
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: IncidentIdKey, value: incidentId },
          { key: CalloutPhaseKey, value: 'requested' },
          { key: CalloutStatusKey, value: 'pending' },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { created: false, incident: await get(incidentId) };
      throw temporalUnavailable(err);
    }
    const incident: Incident = withLinks({
      incidentId,
      workflowId,
      auraCalloutId: null,
      status: null,
      phase: 'requested',
      terminal: false,
      trackingUrl: null,
      responder: null,
      eta: null,
      timeline: [],
      notes: [],
      rating: { state: 'not_open', value: null },
      createdAt,
    });
    return { created: true, incident };
  }

  async function list(status: 'active' | 'closed' | 'all', limit: number): Promise<Incident[]> {
    let query = `WorkflowType = 'incidentWorkflow'`;
    if (status === 'active') query += ` AND CalloutPhase IN (${ACTIVE_PHASES.map((p) => `'${p}'`).join(', ')})`;
    if (status === 'closed') query += ` AND CalloutPhase IN ('closed', 'failed')`;
    const ids: string[] = [];
    try {
      for await (const wf of client.workflow.list({ query, pageSize: Math.min(limit, 500) })) {
        ids.push(wf.workflowId);
        if (ids.length >= limit) break;
      }
    } catch (err) {
      throw temporalUnavailable(err);
    }
    // Visibility is the index (eventually consistent); each item's content comes from the workflow itself.
    const out: (Incident | null)[] = new Array(ids.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const i = next++;
        try {
          out[i] = withLinks(await client.workflow.getHandle(ids[i]!).query(getIncidentQuery));
        } catch {
          out[i] = null;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
    return out
      .filter((x): x is Incident => x !== null)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  return { get, open, list };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
