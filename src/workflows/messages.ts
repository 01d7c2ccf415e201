// Messages of the workflows, as exported constants (samples-typescript style): the API, the receiver, activities
// and tests all use these, never string names.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CalloutObservation, CalloutSnapshot, Incident } from '../domain/incident.js';

/** What an incident is, without the links the API adds. */
export type IncidentView = Omit<Incident, 'links'> & { incidents?: string[] };

export interface AttachIncident {
  incidentId: string;
  workflowId: string;
  /** What AURA's create answer said, so the lifecycle starts from it even before its first poll. */
  observation?: CalloutObservation;
}

// Incident workflow
export const getIncidentQuery = defineQuery<IncidentView>('getIncident');
export const calloutUpdatedSignal = defineSignal<[CalloutSnapshot & { incidents: string[] }]>('calloutUpdated');

// Callout lifecycle workflow (one per AURA callout)
export const calloutObservedSignal = defineSignal<[CalloutObservation]>('calloutObserved');
export const attachIncidentSignal = defineSignal<[AttachIncident]>('attachIncident');
export const getCalloutQuery = defineQuery<CalloutSnapshot & { incidents: string[] }>('getCallout');
