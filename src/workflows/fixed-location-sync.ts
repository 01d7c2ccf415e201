// Fixed Location reconciliation (workflow id `fixed-location-sync-<taskQueue>`: one at a time). Run by a Temporal
// Schedule (through `scheduledFixedLocationSyncWorkflow`, overlap skipped) and on demand (POST
// /v1/fixed-locations/sync). Lists, plans and applies in activities that page through AURA and keep the big lists in
// the run's scratch directory; the history holds only counts and batch numbers, and the run continues as new when
// it grows, so 50,000 locations cost a few hundred events.
//
// rest mode: create what AURA lacks, update what was renamed or moved, report AURA-only locations and duplicates.
// csv mode: upload the complete portfolio (AURA's import is a full sync), unless it would delete more than the
// allowed share (or AURA holds locations without a reference); wait for AURA's callback (signal) or time out; then
// reconcile by listing.
// Either mode fails closed: a list of AURA's Fixed Locations that cannot be trusted writes nothing, and a step that
// fails for good still ends in a report (status "failed") instead of leaving the previous run's report as latest.
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { FixedLocationActivities } from '../activities/fixed-locations.js';
import type { FixedLocationSyncConfig, PlanSummary, SyncFailure } from '../activities/fixed-locations/shared.js';
import {
  csvImportResultSignal,
  getSyncProgressQuery,
  type CsvImportResult,
  type SyncProgress,
} from './fixed-location-messages.js';

export interface FixedLocationSyncInput {
  trigger: 'schedule' | 'api';
  /** csv mode: upload even if the file deletes more than the allowed share. */
  overrideDeleteLimit?: boolean;
  carried?: {
    config: FixedLocationSyncConfig;
    startedAt: string;
    plan: PlanSummary;
    progress: SyncProgress;
  };
}

export interface FixedLocationSyncResult {
  runId: string;
  status: string;
  created: number;
  updated: number;
  deleted: number;
  issues: number;
}

const { getFixedLocationSyncConfig } = proxyLocalActivities<FixedLocationActivities>({ startToCloseTimeout: '10s' });

const acts = proxyActivities<FixedLocationActivities>({
  // Listing 50,000 locations or applying a batch takes a while: heartbeats tell a live activity from a lost one.
  startToCloseTimeout: '30m',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10 },
});

export async function fixedLocationSyncWorkflow(input: FixedLocationSyncInput): Promise<FixedLocationSyncResult> {
  const info = workflowInfo();
  // The run id of the first run names the whole reconciliation, across continue-as-new.
  const runId = info.firstExecutionRunId;
  const c = input.carried;
  const config = c?.config ?? (await getFixedLocationSyncConfig());
  const startedAt = c?.startedAt ?? new Date().toISOString();
  const progress: SyncProgress = c?.progress ?? {
    runId,
    mode: config.mode,
    phase: 'planning',
    batches: 0,
    batchesDone: 0,
    created: 0,
    updated: 0,
    failed: 0,
  };
  let importResult: CsvImportResult | undefined;
  setHandler(getSyncProgressQuery, () => progress);
  setHandler(csvImportResultSignal, (r) => {
    if (r.runId === undefined || r.runId === runId) importResult ??= r;
  });
  const finish = async (extra: {
    refused?: { message: string };
    failed?: SyncFailure;
    importResult?: CsvImportResult;
  }) => {
    progress.phase = 'finishing';
    const r = await acts.finishFixedLocationSync({ runKey: runId, runId, mode: config.mode, startedAt, ...extra });
    progress.phase = 'done';
    return {
      runId,
      status: r.status,
      created: r.counts.created,
      updated: r.counts.updated,
      deleted: r.counts.deleted,
      issues: r.issues,
    };
  };

  /** A step that failed for good (its retries spent): report it, and end the run without the remaining steps. */
  const failed = (step: string, err: unknown, listing: (cause: ApplicationFailure | undefined) => boolean) => {
    if (!(err instanceof ActivityFailure)) throw err;
    const cause = err.cause instanceof ApplicationFailure ? err.cause : undefined;
    const message = `The reconciliation stopped while ${step}: ${err.cause?.message ?? err.message}`;
    return finish({
      failed: { listing: listing(cause), message, created: progress.created, updated: progress.updated },
    });
  };
  // The AURA client's errors reach the workflow as ApplicationFailures typed by their class (AuraServerError, …).
  const fromAura = (cause: ApplicationFailure | undefined) => cause?.type?.startsWith('Aura') === true;

  let plan: PlanSummary;
  try {
    plan =
      c?.plan ??
      (await acts.planFixedLocationSync({
        runKey: runId,
        mode: config.mode,
        overrideDeleteLimit: input.overrideDeleteLimit === true,
      }));
  } catch (err) {
    // Planning's only AURA call is the listing.
    return failed("listing AURA's Fixed Locations", err, fromAura);
  }
  if (plan.failed)
    return finish({
      failed: { listing: true, message: plan.message ?? "AURA's Fixed Locations could not be listed completely" },
    });

  if (config.mode === 'csv') {
    if (plan.refused) return finish({ refused: { message: plan.message ?? 'refused' } });
    progress.phase = 'uploading';
    try {
      await acts.uploadFixedLocationsCsv({ runKey: runId, workflowId: info.workflowId, runId });
    } catch (err) {
      return failed('uploading the CSV import', err, () => false);
    }
    progress.phase = 'awaiting_callback';
    // AURA calls back once; if it never does, reconcile by listing anyway.
    await condition(() => importResult !== undefined, config.callbackTimeoutMs);
    const { runId: _r, ...result } = importResult ?? { received: false };
    return finish({ importResult: result });
  }

  progress.phase = 'applying';
  progress.batches = plan.batches;
  while (progress.batchesDone < plan.batches) {
    let r: Awaited<ReturnType<FixedLocationActivities['applyFixedLocationBatch']>>;
    try {
      r = await acts.applyFixedLocationBatch({ runKey: runId, batch: progress.batchesDone });
    } catch (err) {
      return failed(
        `applying batch ${progress.batchesDone + 1} of ${plan.batches}`,
        err,
        (cause) => cause?.type === 'LISTING_FAILED',
      );
    }
    progress.batchesDone++;
    progress.created += r.created;
    progress.updated += r.updated;
    progress.failed += r.failed;
    const now = workflowInfo();
    if (
      progress.batchesDone < plan.batches &&
      (now.continueAsNewSuggested || now.historyLength >= config.continueAsNewEvents)
    ) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof fixedLocationSyncWorkflow>({
        ...input,
        carried: { config, startedAt, plan, progress },
      });
    }
  }
  return finish({});
}

/**
 * The Schedule's action: run the reconciliation under its single workflow id; when one is already running (an
 * on-demand sync), this tick is skipped.
 */
export async function scheduledFixedLocationSyncWorkflow(input: {
  syncWorkflowId: string;
}): Promise<FixedLocationSyncResult | { skipped: true }> {
  try {
    return await executeChild(fixedLocationSyncWorkflow, {
      workflowId: input.syncWorkflowId,
      args: [{ trigger: 'schedule' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { skipped: true };
    throw err;
  }
}
