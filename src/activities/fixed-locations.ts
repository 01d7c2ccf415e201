// Activities of the Fixed Location reconciliation and of alarm dispatch. Big lists (AURA's Fixed Locations, the
// portfolio, the create/update batches and their results) live in the run's scratch in the adapter's database
// (src/fixed-locations/store.ts), which every worker reaches; the workflow only ever sees counts and batch numbers,
// so its history stays small whatever the portfolio's size.
import { createHmac } from 'node:crypto';
import { Pacer } from '../aura/pacer.js';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AuraClient } from '../aura/client.js';
import { AuraResponseError } from '../aura/errors.js';
import { observationFromCreate } from '../aura/mapping.js';
import { checkCsvImport, csvImportOutcome, fixedLocationsCsv } from '../domain/fixed-location-csv.js';
import { ListingCollector, listingFailedIssue, unreferencedIssues } from '../domain/fixed-location-listing.js';
import {
  fixedLocationBody,
  planReconciliation,
  type AuraFixedLocation,
  type FixedLocationIndex,
  type FixedLocationListing,
  type ListingSummary,
  type PlatformLocation,
  type SyncCounts,
  type SyncIssue,
  type SyncReport,
  type UnreferencedFixedLocation,
} from '../domain/fixed-locations.js';
import type { FixedLocationStore } from '../fixed-locations/store.js';
import type { CalloutCreated } from '../aura/schemas.js';
import {
  KeyedSerializer,
  lookUpBeforeGivingUp,
  lookupFailed,
  runCreateAttempt,
  SharedListing,
} from './create-attempt.js';
import { toFailure, type CreateCalloutActivityResult } from './index.js';
import { mapLimit } from '../lib/map-limit.js';
import { mergeBatchResults, type BatchResult, type StoredPlan } from '../domain/fixed-location-report.js';

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

/** The listing as kept in the run's scratch (the referenced locations are in aura-before.json). */
interface StoredListing {
  summary: ListingSummary;
  unreferenced: UnreferencedFixedLocation[];
  problem: string | null;
}

export interface BatchSummary {
  created: number;
  updated: number;
  failed: number;
}

type BatchOp = { t: 'c'; loc: PlatformLocation } | { t: 'u'; id: number; loc: PlatformLocation };

/** The callback URL names the reconciliation (workflow id + first run id) and is signed, since AURA sends no auth. */
export function callbackSignature(secret: string, workflowId: string, runId: string): string {
  return createHmac('sha256', secret).update(`fixed-location-import:${workflowId}:${runId}`).digest('hex').slice(0, 32);
}

export function callbackPath(workflowId: string, runId: string, secret: string): string {
  return `/callbacks/aura/fixed-location-import/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/${callbackSignature(secret, workflowId, runId)}`;
}

function heartbeat(details?: unknown): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    /* not inside an activity (benchmarks, tests) */
  }
}

function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/** Requests spaced to at most `perSecond` (0: no limit), shared by every caller of the returned function. */
function pacer(perSecond: number): () => Promise<void> {
  if (!(perSecond > 0)) return async () => undefined;
  const p = new Pacer(perSecond);
  return () => p.take();
}

/**
 * Every AURA Fixed Location, page by page until an empty page or AURA's stated total (ListingCollector). An answer
 * that cannot be read as the list ends the listing with a `problem`; a transient failure (5xx, 429, connection)
 * throws, for Temporal to retry.
 */
export async function listAllFixedLocations(
  aura: AuraClient,
  pageSize: number,
  pace: () => Promise<void> = async () => undefined,
): Promise<FixedLocationListing> {
  const c = new ListingCollector();
  for (let page = 1; ; page++) {
    await pace();
    let r: Awaited<ReturnType<AuraClient['listFixedLocations']>>;
    try {
      r = await aura.listFixedLocations(page, pageSize);
    } catch (err) {
      if (!(err instanceof AuraResponseError)) throw err;
      c.fail(err.code === 'AURA_LISTING_INVALID' ? err.message : `${err.message} (page ${page})`);
      break;
    }
    heartbeat({ listed: page });
    if (c.add(r) === 'done') break;
  }
  return c.result();
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

export interface FixedLocationActivityDeps {
  aura: AuraClient;
  settings: FixedLocationSettings;
}

export function createFixedLocationActivities(deps: FixedLocationActivityDeps) {
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
  // Alarm dispatch looks, then creates: one location at a time in this worker, so two alarms cannot both miss.
  const perLocation = new KeyedSerializer();
  // Alarms at once on different locations share one listing of AURA's active callouts (each still one sent after it
  // asked, so it sees every create that ended before): under 50 alarms/s, one listing per round trip.
  const activeCallouts = new SharedListing(() => aura.listActiveCallouts({ retries: 0 }));

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
            message: `AURA's Fixed Locations could not be listed completely: ${listing.problem}. ${what}; the previous index is kept.`,
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
            message: `AURA's Fixed Locations could not be listed before retrying batch ${input.batch}: ${listing.problem}`,
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
          'FIXED_LOCATION_CALLBACK_BASE_URL (or PUBLIC_BASE_URL) must be set in csv mode: AURA POSTs the import result there',
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
                `The CSV import was uploaded${input.importResult?.received ? ' and AURA called back' : ''}, but AURA's Fixed Locations could not be listed afterwards, ` +
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

    /**
     * Alarm dispatch: create the Fixed Location callout by external reference, in one bounded, cancellable attempt
     * (./create-attempt.ts). AURA documents no dedupe for Fixed Location callouts, so every attempt first looks for
     * an active callout on the location: an alarm on premises that already have one joins it (one callout per
     * location), and a retry finds the callout an earlier attempt made and lost the answer to. Without an answer
     * from that lookup only a first attempt creates (nothing of this alarm's can exist yet); a retry waits for the
     * lookup rather than risk a second callout. A create that went wrong is looked up before the attempt gives up.
     */
    async createFixedLocationCallout(input: {
      incidentId: string;
      externalReferenceId: string;
      fixedLocationId?: number | undefined;
      responseTypeId: number;
      test?: boolean | undefined;
    }): Promise<CreateCalloutActivityResult> {
      try {
        return await runCreateAttempt(aura.callBoundMs, (a) =>
          perLocation.run(input.externalReferenceId, a.signal, async () => {
            const lookup = async (signal: AbortSignal): Promise<CalloutCreated | null> => {
              if (input.fixedLocationId === undefined) return null; // nothing to match by (the alarm route always gives it)
              try {
                return (
                  (await activeCallouts.get(signal)).find((c) => c.predefinedLocationId === input.fixedLocationId) ??
                  null
                );
              } catch (err) {
                throw lookupFailed(err, `the active callouts of Fixed Location ${input.fixedLocationId}`);
              }
            };
            const joined = (c: CalloutCreated): CreateCalloutActivityResult => ({
              auraCalloutId: c.id,
              existing: true,
              observation: observationFromCreate(c),
            });
            try {
              const match = await lookup(a.signal);
              if (match) return joined(match);
            } catch (err) {
              if (a.signal.aborted || a.number > 1) throw err;
            }
            try {
              const { callout, existing } = await aura.createFixedLocationCallout(
                input.externalReferenceId,
                { responseTypeId: input.responseTypeId, ...(input.test ? { internalTest: true } : {}) },
                { signal: a.signal },
              );
              return { auraCalloutId: callout.id, existing, observation: observationFromCreate(callout) };
            } catch (err) {
              return lookUpBeforeGivingUp(a, err, lookup, joined);
            }
          }),
        );
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}

export type FixedLocationActivities = ReturnType<typeof createFixedLocationActivities>;
