// Messages of the Fixed Location reconciliation workflow, as exported constants.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** What AURA's CSV import callback said, reduced at the API (no row data reaches the workflow). */
export interface CsvImportResult {
  received: boolean;
  /** The reconciliation the callback URL was issued for: a late callback of an earlier import is ignored. */
  runId?: string;
  status?: string | null;
  message?: string | null;
}

export interface SyncProgress {
  runId: string;
  mode: 'rest' | 'csv';
  phase: 'planning' | 'applying' | 'uploading' | 'awaiting_callback' | 'finishing' | 'done';
  batches: number;
  batchesDone: number;
  created: number;
  updated: number;
  failed: number;
}

export const csvImportResultSignal = defineSignal<[CsvImportResult]>('csvImportResult');
export const getSyncProgressQuery = defineQuery<SyncProgress>('getSyncProgress');

/** The one workflow id every reconciliation runs under (per task queue), so two never run at once. */
export function fixedLocationSyncWorkflowId(taskQueue: string): string {
  return `fixed-location-sync-${taskQueue}`;
}

export function fixedLocationScheduleId(taskQueue: string): string {
  return `fixed-location-sync-schedule-${taskQueue}`;
}
