// Messages of the workflows, as exported constants (samples-typescript style): the API, the receiver, activities
// and tests all use these, never string names.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CalloutObservation, CalloutSnapshot, Incident } from '../domain/incident.js';

/** What an incident is, without the links the API adds. */
export type IncidentView = Omit<Incident, 'links'>;

/** The lifecycle's view of its callout, with the incidents attached to it. */
export type CalloutView = CalloutSnapshot & { incidents: string[] };

export interface LiveLocation {
  latitude: number;
  longitude: number;
  accuracy?: number | undefined;
}

export interface OutboundNote {
  /** Idempotency key (the API's request id): a retried signal adds the note once. */
  key: string;
  text: string;
  author?: string | undefined;
  at: string;
}

export interface AttachIncident {
  incidentId: string;
  workflowId: string;
  /** What AURA's create answer said, so the lifecycle starts from it even before its first poll. */
  observation?: CalloutObservation;
  test?: boolean;
  /** Position and notes that reached the incident before it knew its AURA callout. */
  location?: LiveLocation;
  notes?: OutboundNote[];
  /**
   * The incident's last view of the callout, sent when it re-attaches to a lifecycle that had died (terminated or
   * failed) while the callout was active: the new run starts from it instead of from nothing.
   */
  resume?: CalloutSnapshot;
  /** v3 incidents: tell me only the views of a closed callout; I read the rest from the lifecycle's memo. */
  updates?: 'final';
}

export type CancelRequest =
  { safeCode: string; reasons?: undefined } | { safeCode?: undefined; reasons?: string[] | undefined };

export interface RatingRequest {
  rating: number;
  comment?: string | undefined;
}

// Incident workflow
export const getIncidentQuery = defineQuery<IncidentView>('getIncident');
export const calloutUpdatedSignal = defineSignal<[CalloutView]>('calloutUpdated');
/**
 * The API hands the incident the lifecycle's answer to a cancellation or rating and waits for it to be in the
 * incident's memo: a read right after the 200 shows it.
 */
export const applyCalloutViewUpdate = defineUpdate<IncidentView, [CalloutView]>('applyCalloutView');

// Callout lifecycle workflow (one per AURA callout); location and notes also reach an incident that has no
// callout yet, which forwards them when it attaches.
export const calloutObservedSignal = defineSignal<[CalloutObservation]>('calloutObserved');
export const attachIncidentSignal = defineSignal<[AttachIncident]>('attachIncident');
export const locationSignal = defineSignal<[LiveLocation]>('location');
export const outboundNoteSignal = defineSignal<[OutboundNote]>('outboundNote');
export const cancelUpdate = defineUpdate<CalloutView, [CancelRequest]>('cancel');
export const ratingUpdate = defineUpdate<CalloutView, [RatingRequest]>('rating');
export const getCalloutQuery = defineQuery<CalloutView>('getCallout');
