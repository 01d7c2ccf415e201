// The Fixed Location reconciliation: POST /v1/fixed-locations/sync starts (or joins) it, GET …/sync/latest reads the
// report of the latest finished run (contract §4), GET …/sync/current the progress of the one running.
import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { SYNC_ISSUE_KINDS, type SyncIssueKind } from '../../domain/fixed-locations.js';
import type { FixedLocationStore } from '../../fixed-locations/store.js';
import { fixedLocationSyncWorkflowId, getSyncProgressQuery } from '../../workflows/fixed-location-messages.js';
import type { FixedLocationSyncInput } from '../../workflows/fixed-location-sync.js';
import { ApiError, parseOrThrow } from '../errors.js';
import { temporalUnavailable } from '../incidents.js';
import {
  documentRoute,
  errorResponse,
  jsonBody,
  jsonResponse,
  TEMPORAL_UNAVAILABLE,
  VALIDATION_FAILED,
} from '../openapi.js';
import { fixedLocationSyncWorkflow } from '../../workflows/fixed-location-sync.js';
import { tags, fixedLocations } from './shared.js';

export const SyncBody = z.object({ overrideDeleteLimit: z.boolean().optional() }).strict();

// OpenAPI: these routes, from the schemas above (response shapes are documentation only).
const SyncReportSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  mode: z.enum(['api', 'csv-import']),
  counts: z.object({
    platform: z.number(),
    aura: z.number(),
    matched: z.number(),
    created: z.number(),
    updated: z.number(),
    deleted: z.number(),
    missing: z.number(),
    duplicates: z.number(),
  }),
  issues: z.array(
    z.object({
      kind: z
        .enum(SYNC_ISSUE_KINDS as [SyncIssueKind, ...SyncIssueKind[]])
        .describe(
          "The contract's five kinds, and two extensions: UNREFERENCED_IN_AURA, an AURA Fixed Location " +
            'without an externalReferenceId (never matched, ' +
            'updated or deleted; in csv mode it refuses the upload, since the full sync would delete it); ' +
            "LISTING_FAILED, AURA's list could not be read " +
            '(not under `predefinedLocations`, a malformed location, an error answer) or was incomplete ' +
            '(fewer locations than its stated total, a missing ' +
            'page): the run wrote nothing to AURA and kept the previous index.',
        ),
      platformLocationId: z.string().optional(),
      auraFixedLocationId: z.number().optional(),
      externalReferenceId: z.string().describe('"" for an unreferenced AURA Fixed Location and for LISTING_FAILED'),
      detail: z.string(),
    }),
  ),
  status: z
    .enum(['completed', 'refused', 'failed'])
    .optional()
    .describe(
      'refused: the CSV upload was refused (see message); failed: the run stopped, having written nothing more to AURA',
    ),
  message: z.string().optional(),
  issuesTruncated: z.number().optional(),
  importResult: z
    .object({
      received: z.boolean(),
      status: z.string().nullable().optional(),
      message: z.string().nullable().optional(),
    })
    .optional(),
  listing: z
    .object({
      pages: z.number(),
      listed: z.number(),
      statedTotal: z.number().nullable(),
      statedTotalPages: z.number().nullable(),
      unreferenced: z.number().describe('AURA Fixed Locations without an externalReferenceId'),
      complete: z.boolean(),
    })
    .optional()
    .describe(
      "How AURA's list was read: pages until an empty page or AURA's stated total, never stopping at a short page",
    ),
});

documentRoute(
  {
    method: 'post',
    path: '/v1/fixed-locations/sync',
    operationId: 'runFixedLocationSync',
    summary: 'Run the Fixed Location reconciliation now',
    tags,
    request: { body: jsonBody(SyncBody, {}, { required: false, description: 'May be empty' }) },
    responses: {
      202: jsonResponse('Started (or joined the running one)', z.object({ runId: z.string() }).passthrough(), {
        runId: '0f9c…',
        workflowId: 'fixed-location-sync-aura-callouts',
        links: { latest: '/v1/fixed-locations/sync/latest' },
      }),
      400: VALIDATION_FAILED,
      503: TEMPORAL_UNAVAILABLE,
    },
  },
  fixedLocations,
);
documentRoute(
  {
    method: 'get',
    path: '/v1/fixed-locations/sync/latest',
    operationId: 'latestFixedLocationSync',
    summary: 'Report of the latest reconciliation',
    tags,
    responses: {
      200: jsonResponse('The report', SyncReportSchema, {
        runId: '0f9c…',
        startedAt: '2026-11-23T10:00:00.000Z',
        finishedAt: '2026-11-23T10:00:12.000Z',
        mode: 'api',
        counts: {
          platform: 120,
          aura: 119,
          matched: 118,
          created: 1,
          updated: 2,
          deleted: 0,
          missing: 0,
          duplicates: 1,
        },
        issues: [
          {
            kind: 'DUPLICATE_REFERENCE',
            auraFixedLocationId: 5512,
            externalReferenceId: 'L-9',
            detail: 'two AURA Fixed Locations carry this reference',
          },
        ],
      }),
      404: errorResponse('No reconciliation has finished yet', 'NO_SYNC_YET'),
    },
  },
  fixedLocations,
);
documentRoute(
  {
    method: 'get',
    path: '/v1/fixed-locations/sync/current',
    operationId: 'currentFixedLocationSync',
    summary: 'Progress of the reconciliation running now',
    tags,
    responses: {
      200: jsonResponse(
        'Its progress',
        z.object({
          runId: z.string(),
          mode: z.enum(['rest', 'csv']),
          phase: z.enum(['planning', 'applying', 'uploading', 'awaiting_callback', 'finishing', 'done']),
          batches: z.number().int(),
          batchesDone: z.number().int(),
          created: z.number().int(),
          updated: z.number().int(),
          failed: z.number().int(),
        }),
        {
          runId: '0f9c…',
          mode: 'rest',
          phase: 'applying',
          batches: 4,
          batchesDone: 1,
          created: 12,
          updated: 3,
          failed: 0,
        },
      ),
      404: errorResponse('No reconciliation is running', 'NO_SYNC_RUNNING'),
      503: TEMPORAL_UNAVAILABLE,
    },
  },
  fixedLocations,
);

export function syncRoutes(
  router: Router,
  opts: { store: FixedLocationStore; client: Client; taskQueue: string; json: RequestHandler },
): void {
  const { store, client, json } = opts;
  const syncWorkflowId = fixedLocationSyncWorkflowId(opts.taskQueue);

  router.post('/v1/fixed-locations/sync', json, async (req, res) => {
    const body = parseOrThrow(SyncBody, req.body ?? {});
    const input: FixedLocationSyncInput = {
      trigger: 'api',
      ...(body.overrideDeleteLimit ? { overrideDeleteLimit: true } : {}),
    };
    try {
      // One reconciliation at a time: a request while one runs joins it.
      const handle = await client.workflow.start(fixedLocationSyncWorkflow, {
        workflowId: syncWorkflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      res.status(202).json({
        runId: handle.firstExecutionRunId,
        workflowId: syncWorkflowId,
        links: { latest: '/v1/fixed-locations/sync/latest' },
      });
    } catch (err) {
      throw temporalUnavailable(err);
    }
  });

  router.get('/v1/fixed-locations/sync/latest', async (_req, res) => {
    const report = await store.readReport();
    if (!report)
      throw new ApiError(
        404,
        'NO_SYNC_YET',
        'No Fixed Location reconciliation has finished yet: POST /v1/fixed-locations/sync runs one now.',
      );
    res.json(report);
  });

  // The reconciliation in progress, if any (the report above is written when a run finishes).
  router.get('/v1/fixed-locations/sync/current', async (_req, res) => {
    const handle = client.workflow.getHandle(syncWorkflowId);
    try {
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') throw new WorkflowNotFoundError('not running', syncWorkflowId, undefined);
      res.json(await handle.query(getSyncProgressQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        throw new ApiError(404, 'NO_SYNC_RUNNING', 'No Fixed Location reconciliation is running.');
      throw temporalUnavailable(err);
    }
  });
}
