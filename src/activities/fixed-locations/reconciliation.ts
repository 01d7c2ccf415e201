// Activities of the Fixed Location reconciliation (plan, batches or CSV upload, finish). Big lists (AURA's Fixed
// Locations, the portfolio, the create/update batches and their results) live in the run's scratch in the adapter's
// database (src/fixed-locations/store.ts), which every worker reaches; the workflow only ever sees counts and batch
// numbers, so its history stays small whatever the portfolio's size.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AuraClient } from '../../aura/client.js';
import { checkCsvImport, csvImportOutcome, fixedLocationsCsv } from '../../domain/fixed-location-csv.js';
import { listingFailedIssue, unreferencedIssues } from '../../domain/fixed-location-listing.js';
import {
  fixedLocationBody,
  planReconciliation,
  type AuraFixedLocation,
  type FixedLocationIndex,
  type ListingSummary,
  type PlatformLocation,
  type SyncCounts,
  type SyncIssue,
  type SyncReport,
  type UnreferencedFixedLocation,
} from '../../domain/fixed-locations.js';
import type { FixedLocationStore } from '../../fixed-locations/store.js';
import { toFailure } from '../aura-call.js';
import { mapLimit } from '../../lib/map-limit.js';
import { mergeBatchResults, type BatchResult, type StoredPlan } from '../../domain/fixed-location-report.js';
import {
  type FixedLocationSyncMode,
  type FixedLocationSettings,
  type FixedLocationSyncConfig,
  type PlanSummary,
  type SyncFailure,
  LISTING_FAILED,
  type BatchSummary,
  callbackPath,
} from './shared.js';
import { heartbeat, listAllFixedLocations, pacer } from './listing.js';

/** The listing as kept in the run's scratch (the referenced locations are in aura-before.json). */
interface StoredListing {
  summary: ListingSummary;
  unreferenced: UnreferencedFixedLocation[];
  problem: string | null;
}

type BatchOp = { t: 'c'; loc: PlatformLocation } | { t: 'u'; id: number; loc: PlatformLocation };

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

function capIssues(issues: SyncIssue[], max: number): { issues: SyncIssue[]; issuesTruncated?: number } {
  if (issues.length <= max) return { issues };
  // Keep the kinds a person must act on first.
  const order: Record<SyncIssue['kind'], number> = {
    LISTING_FAILED: 0,
    DUPLICATE_REFERENCE: 1,
    UNREFERENCED_IN_AURA: 2,
    MISSING_IN_PLATFORM: 3,
    MOVED: 4,
    RENAMED: 5,
    MISSING_IN_AURA: 6,
  };
  const sorted = [...issues].sort((a, b) => order[a.kind] - order[b.kind]);
  return { issues: sorted.slice(0, max), issuesTruncated: issues.length - max };
}

/** The reconciliation's activities: the workflow plans, applies each batch (or uploads the CSV), and finishes. */
export function createReconciliationActivities(deps: { aura: AuraClient; settings: FixedLocationSettings }) {
  const { aura, settings } = deps;
  const files = (): FixedLocationStore => {
    if (!settings.store)
      throw ApplicationFailure.nonRetryable(
        "the Fixed Location activities were started without the adapter's database",
        'CONFIGURATION',
      );
    return settings.store;
  };
  // Bulk work must not crowd out alarms at AURA: the reconciliation paces its own requests.
  const pace = pacer(settings.maxRequestsPerSecond);
  const listAll = () => listAllFixedLocations(aura, settings.pageSize, pace);
  const portfolio = () => files().list();

  return {
    async getFixedLocationSyncConfig(): Promise<FixedLocationSyncConfig> {
      return {
        mode: settings.mode,
        callbackTimeoutMs: settings.callbackTimeoutMs,
        continueAsNewEvents: settings.continueAsNewEvents,
      };
    },

    /**
     * List AURA (all pages), read the portfolio, and plan: in rest mode the create/update batches; in csv mode the
     * upload file and the deletion check. Everything is written to the run's scratch.
     */
    async planFixedLocationSync(input: {
      runKey: string;
      mode: FixedLocationSyncMode;
      overrideDeleteLimit?: boolean;
    }): Promise<PlanSummary> {
      try {
        const listing = await listAll();
        const platform = await portfolio();
        const stored: StoredListing = {
          summary: listing.summary,
          unreferenced: listing.unreferenced,
          problem: listing.problem ?? null,
        };
        await files().writeScratch(input.runKey, 'listing.json', stored);
        await files().writeScratch(input.runKey, 'aura-before.json', listing.locations);
        await files().writeScratch(input.runKey, 'platform.json', platform);
        const aura = listing.locations.length + listing.unreferenced.length;
        const none = { batches: 0, platform: platform.length, aura, creates: 0, updates: 0 };
        // Fail closed: a list that cannot be trusted looks like sites missing on one side, so nothing is written.
        if (listing.problem !== undefined) {
          const what =
            input.mode === 'csv' ? 'Nothing was uploaded' : 'Nothing was created, updated or deleted in AURA';
          return {
            ...none,
            failed: true,
            message:
              `AURA's Fixed Locations could not be listed completely: ${listing.problem}. ${what}; ` +
              `the previous index is kept.`,
          };
        }
        if (input.mode === 'csv') {
          const check = checkCsvImport(
            new Set(platform.map((p) => p.platformLocationId)),
            listing,
            settings.maxDeleteShare,
            input.overrideDeleteLimit === true,
          );
          return { ...none, refused: check.refused, message: check.message };
        }
        const plan = planReconciliation(platform, listing.locations);
        const ops: BatchOp[] = [
          ...plan.creates.map((loc) => ({ t: 'c' as const, loc })),
          ...plan.updates.map((u) => ({ t: 'u' as const, id: u.auraFixedLocationId, loc: u.location })),
        ];
        let batches = 0;
        for (let i = 0; i < ops.length; i += settings.batchSize) {
          await files().writeScratch(input.runKey, `batch-${batches++}.json`, ops.slice(i, i + settings.batchSize));
        }
        await files().writeScratch(input.runKey, 'plan.json', {
          issues: plan.issues,
          counts: plan.counts,
          index: plan.index,
        });
        return {
          batches,
          platform: plan.counts.platform,
          aura,
          creates: plan.creates.length,
          updates: plan.updates.length,
        };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /**
     * Apply one batch of creates and updates, `concurrency` requests at a time. A create is not idempotent at AURA,
     * so a retried batch first lists AURA again and skips every create whose reference now exists.
     */
    async applyFixedLocationBatch(input: { runKey: string; batch: number }): Promise<BatchSummary> {
      let ops = await files().readScratch<BatchOp[]>(input.runKey, `batch-${input.batch}.json`);
      const result: BatchResult = { created: [], updated: [], failed: [] };
      if (attempt() > 1) {
        const listing = await listAll();
        // Without a complete list, which creates already happened is unknown: create nothing (a duplicate site
        // would make its alarms LOCATION_AMBIGUOUS).
        if (listing.problem !== undefined) {
          throw ApplicationFailure.create({
            type: LISTING_FAILED,
            message:
              `AURA's Fixed Locations could not be listed before retrying batch ${input.batch}: ` +
              `${listing.problem}`,
          });
        }
        const now = new Map<string, number>();
        for (const a of listing.locations) now.set(a.externalReferenceId, a.id);
        ops = ops.filter((op) => {
          if (op.t !== 'c') return true;
          const id = now.get(op.loc.platformLocationId);
          if (id !== undefined) result.created.push({ ref: op.loc.platformLocationId, id });
          return id === undefined;
        });
      }
      let done = 0;
      await mapLimit(ops, settings.concurrency, async (op) => {
        const ref = op.loc.platformLocationId;
        await pace();
        try {
          if (op.t === 'c') {
            const f = await aura.createFixedLocation(fixedLocationBody(op.loc));
            result.created.push({ ref, id: f.id });
          } else {
            await aura.updateFixedLocation(op.id, fixedLocationBody(op.loc));
            result.updated.push(op.id);
          }
        } catch (err) {
          result.failed.push({
            ref,
            ...(op.t === 'u' ? { id: op.id } : {}),
            op: op.t === 'c' ? 'create' : 'update',
            message: (err as Error).message,
          });
        }
        if (++done % 50 === 0) heartbeat({ done });
      });
      await files().writeScratch(input.runKey, `result-${input.batch}.json`, result);
      return { created: result.created.length, updated: result.updated.length, failed: result.failed.length };
    },

    /** csv mode: upload the complete portfolio as AURA's import file, with the signed callback URL. */
    async uploadFixedLocationsCsv(input: {
      runKey: string;
      workflowId: string;
      runId: string;
    }): Promise<{ message: string | null; rows: number }> {
      if (!settings.callbackBaseUrl) {
        throw ApplicationFailure.nonRetryable(
          'FIXED_LOCATION_CALLBACK_BASE_URL (or PUBLIC_BASE_URL) must be set in csv mode: AURA POSTs the ' +
            'import result there',
          'CONFIGURATION',
        );
      }
      const platform = await files().readScratch<PlatformLocation[]>(input.runKey, 'platform.json');
      const callbackUrl =
        settings.callbackBaseUrl.replace(/\/+$/, '') +
        callbackPath(input.workflowId, input.runId, settings.callbackSecret);
      try {
        const r = await aura.uploadFixedLocationsCsv({
          csv: fixedLocationsCsv(platform),
          callbackUrl,
          source: 'aura-callouts',
        });
        return { message: r.message, rows: platform.length };
      } catch (err) {
        throw toFailure(err);
      }
    },

    /**
     * Merge the run's results into the index and the report (contract §4), and remove the scratch directory. A failed
     * run (`failed`, or AURA's list unreadable after a CSV import) writes its report but keeps the previous index.
     */
    async finishFixedLocationSync(input: {
      runKey: string;
      runId: string;
      mode: FixedLocationSyncMode;
      startedAt: string;
      refused?: { message: string } | undefined;
      failed?: SyncFailure | undefined;
      importResult?: { received: boolean; status?: string | null; message?: string | null } | undefined;
    }): Promise<{ counts: SyncCounts; issues: number; status: NonNullable<SyncReport['status']> }> {
      try {
        // A retry after the report was written (and the scratch removed) answers from the report.
        const done = await files().reportOf(input.runId);
        if (done?.finishedAt) {
          return {
            counts: done.counts,
            issues: done.issues.length + (done.issuesTruncated ?? 0),
            status: done.status ?? 'completed',
          };
        }
        const finishedAt = new Date().toISOString();
        const mode = input.mode === 'csv' ? 'csv-import' : 'api';
        const optional = async <T>(name: string): Promise<T | undefined> =>
          files().readScratchIfAny<T>(input.runKey, name);
        const listing = await optional<StoredListing>('listing.json');
        const unreferenced = listing?.unreferenced ?? [];
        let counts: SyncCounts;
        let issues: SyncIssue[];
        let index: FixedLocationIndex | undefined;
        let status: NonNullable<SyncReport['status']> = 'completed';
        let message: string | undefined;
        const failedCounts = (platform: number, aura: number, f?: SyncFailure): SyncCounts => ({
          platform,
          aura,
          matched: 0,
          created: f?.created ?? 0,
          updated: f?.updated ?? 0,
          deleted: 0,
          missing: 0,
          duplicates: 0,
        });
        if (input.failed) {
          // The scratch may be partial (the failure may have come before the plan wrote it).
          const platform = (await optional<PlatformLocation[]>('platform.json')) ?? (await portfolio());
          const before = (await optional<AuraFixedLocation[]>('aura-before.json')) ?? [];
          status = 'failed';
          message = input.failed.message;
          counts = failedCounts(platform.length, before.length + unreferenced.length, input.failed);
          issues = input.failed.listing
            ? [
                listingFailedIssue(
                  listing?.problem ?? input.failed.message,
                  'The run wrote nothing more to AURA and kept the previous index',
                ),
              ]
            : [];
        } else {
          const before = await files().readScratch<AuraFixedLocation[]>(input.runKey, 'aura-before.json');
          const platform = await files().readScratch<PlatformLocation[]>(input.runKey, 'platform.json');
          const aura = before.length + unreferenced.length;
          if (input.mode === 'csv' && input.refused) {
            const plan = planReconciliation(platform, before);
            status = 'refused';
            message = input.refused.message;
            index = plan.index;
            issues = [
              ...plan.issues.map((i) =>
                i.kind === 'MISSING_IN_PLATFORM'
                  ? { ...i, detail: 'not in the platform portfolio: the refused CSV import would have deleted it' }
                  : i,
              ),
              ...unreferencedIssues(unreferenced, mode),
            ];
            counts = {
              platform: plan.counts.platform,
              aura,
              matched: plan.counts.matched,
              created: 0,
              updated: 0,
              deleted: 0,
              missing: plan.creates.length + plan.counts.auraOnly,
              duplicates: plan.counts.duplicates,
            };
          } else if (input.mode === 'csv') {
            const after = await listAll();
            if (after.problem !== undefined) {
              // The import ran, but its outcome cannot be read: say so, and keep the previous index rather than
              // replace it with what an untrustworthy list shows.
              status = 'failed';
              message =
                `The CSV import was uploaded${input.importResult?.received ? ' and AURA called back' : ''}, ` +
                `but AURA's Fixed Locations could not be listed afterwards, ` +
                'so its outcome is unknown; the previous index is kept and the next run reconciles.';
              counts = failedCounts(platform.length, aura);
              issues = [listingFailedIssue(after.problem, 'The outcome of the CSV import could not be read')];
            } else {
              ({ counts, issues, index } = csvImportOutcome(platform, before, after.locations));
              issues.push(...unreferencedIssues(after.unreferenced, 'api'));
              if (!input.importResult?.received)
                message = 'AURA did not call back in time; the outcome was read by listing its Fixed Locations';
            }
          } else {
            const plan = await files().readScratch<StoredPlan>(input.runKey, 'plan.json');
            const results: BatchResult[] = [];
            for (let b = 0; ; b++) {
              // The batches' results up to the first one missing; a database error fails the activity (retried).
              const r = await files().readScratchIfAny<BatchResult>(input.runKey, `result-${b}.json`);
              if (!r) break;
              results.push(r);
            }
            ({ index, issues, counts } = mergeBatchResults(plan, results, aura));
            issues.push(...unreferencedIssues(unreferenced, mode));
          }
        }
        const capped = capIssues(issues, settings.reportMaxIssues);
        const report: SyncReport = {
          runId: input.runId,
          startedAt: input.startedAt,
          finishedAt,
          mode,
          counts,
          issues: capped.issues,
          status,
          ...(message ? { message } : {}),
          ...(capped.issuesTruncated ? { issuesTruncated: capped.issuesTruncated } : {}),
          ...(input.mode === 'csv' && !input.refused && !input.failed
            ? { importResult: input.importResult ?? { received: false } }
            : {}),
          ...(listing ? { listing: listing.summary } : {}),
        };
        await files().finishRun(
          input.runKey,
          report,
          index ? { updatedAt: finishedAt, runId: input.runId, refs: index } : undefined,
        );
        return { counts, issues: issues.length, status };
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}
