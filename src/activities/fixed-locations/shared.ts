// What the Fixed Location activities share with the worker (their settings), the workflow (the shapes it reads) and
// the API (the CSV import callback's signed URL).
import { createHmac } from 'node:crypto';
import type { FixedLocationStore } from '../../fixed-locations/store.js';

export type FixedLocationSyncMode = 'rest' | 'csv';

export interface FixedLocationSettings {
  /** The adapter's database (platform locations, index, reports, the runs' scratch). */
  store?: FixedLocationStore | undefined;
  mode: FixedLocationSyncMode;
  /** Page size when listing AURA's Fixed Locations. */
  pageSize: number;
  /** Creates/updates per batch activity. */
  batchSize: number;
  /** Concurrent Panic API requests inside one batch. */
  concurrency: number;
  /** Cap on the reconciliation's own Panic API requests per second in this worker (0: none). */
  maxRequestsPerSecond: number;
  /** csv mode: refuse an upload that would delete more than this share of AURA's Fixed Locations. */
  maxDeleteShare: number;
  /** csv mode: how long to wait for AURA's import callback before reconciling by listing. */
  callbackTimeoutMs: number;
  /** csv mode: public base URL of the API, where AURA POSTs the import result (AURA requires HTTPS). */
  callbackBaseUrl?: string | undefined;
  /** Key of the HMAC that authenticates the callback URL. */
  callbackSecret: string;
  /** Continue-as-new once a sync run's history reaches this many events. */
  continueAsNewEvents: number;
  /** The report lists at most this many issues (counts are always complete). */
  reportMaxIssues: number;
}

export const defaultFixedLocationSettings = (over: Partial<FixedLocationSettings> = {}): FixedLocationSettings => ({
  mode: 'rest',
  pageSize: 500,
  batchSize: 500,
  concurrency: 8,
  maxRequestsPerSecond: 0,
  maxDeleteShare: 0.1,
  callbackTimeoutMs: 10 * 60_000,
  callbackSecret: 'dev-fixed-location-callback-secret',
  continueAsNewEvents: 2_000,
  reportMaxIssues: 1_000,
  ...over,
});

/** What the workflow reads once per run. */
export interface FixedLocationSyncConfig {
  mode: FixedLocationSyncMode;
  callbackTimeoutMs: number;
  continueAsNewEvents: number;
}

export interface PlanSummary {
  batches: number;
  platform: number;
  aura: number;
  creates: number;
  updates: number;
  /** AURA's list could not be trusted: nothing is to be written (either mode). */
  failed?: boolean;
  /** csv mode */
  refused?: boolean;
  message?: string;
}

/** Why a run ended without finishing its work, for the report (nothing more was written to AURA). */
export interface SyncFailure {
  /** The failure is AURA's list (unreadable, incomplete, or AURA failing to answer it): a LISTING_FAILED issue. */
  listing: boolean;
  message: string;
  /** Written to AURA before the failure (rest mode batches). */
  created?: number;
  updated?: number;
}

/** The batch's own listing (before re-creating) could not be trusted: the failure type the workflow reports. */
export const LISTING_FAILED = 'LISTING_FAILED';

export interface BatchSummary {
  created: number;
  updated: number;
  failed: number;
}

/** The callback URL names the reconciliation (workflow id + first run id) and is signed, since AURA sends no auth. */
export function callbackSignature(secret: string, workflowId: string, runId: string): string {
  return createHmac('sha256', secret).update(`fixed-location-import:${workflowId}:${runId}`).digest('hex').slice(0, 32);
}

export function callbackPath(workflowId: string, runId: string, secret: string): string {
  return `/callbacks/aura/fixed-location-import/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/${callbackSignature(secret, workflowId, runId)}`;
}
