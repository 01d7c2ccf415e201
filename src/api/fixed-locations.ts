// Monitoring-platform adapter routes: platform locations (PUT/DELETE/GET), the Fixed Location reconciliation
// (POST /v1/fixed-locations/sync, GET …/sync/latest), alarm dispatch (POST /v1/alarms) and AURA's CSV import callback.
import { safeEqual } from '../lib/safe-equal.js';
import express, { type Router } from 'express';
import { z } from 'zod';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { alarmContextMessage } from '../domain/alarm-context.js';
import { SYNC_ISSUE_KINDS, type SyncIssueKind } from '../domain/fixed-locations.js';
import { PlatformLocationBody, PlatformLocationIdSchema, type FixedLocationStore } from '../fixed-locations/store.js';
import { callbackSignature } from '../activities/fixed-locations.js';
import {
  csvImportResultSignal,
  fixedLocationSyncWorkflowId,
  getSyncProgressQuery,
} from '../workflows/fixed-location-messages.js';
import type { FixedLocationSyncInput } from '../workflows/fixed-location-sync.js';
import { ApiError, parseOrThrow } from './errors.js';
import { temporalUnavailable, type IncidentService } from './incidents.js';
import {
  documentRoute,
  errorResponse,
  INCIDENT_EXAMPLE,
  IncidentSchema,
  jsonBody,
  jsonResponse,
  TEMPORAL_UNAVAILABLE,
  VALIDATION_FAILED,
  type ResolvedDocumentContext,
} from './openapi.js';
import { IncidentIdParam, nonBlank, queryInt, responseTypeName, SafeInt, trimmedText } from './schemas.js';
import { fixedLocationSyncWorkflow } from '../workflows/fixed-location-sync.js';

// Platforms number alarms and premises as often as they name them: a number is read as its decimal string.
const idOrNumber = (id: z.ZodString) =>
  z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), id]).transform(String);

/** The body of POST /v1/alarms: the response type names are the app's configured ones. */
export function alarmBody(responseTypes: Record<string, number>) {
  return z
    .object({
      alarmId: idOrNumber(IncidentIdParam),
      platformLocationId: idOrNumber(PlatformLocationIdSchema),
      alarmType: nonBlank(100),
      zone: z
        .union([trimmedText(100), SafeInt])
        .transform(String)
        .optional(),
      notes: trimmedText(2000).optional(),
      test: z.boolean().optional(),
      responseType: responseTypeName(responseTypes).optional(),
      /** Extension: the platform's own reference numbers, passed to AURA with the operator context. */
      references: z
        .record(z.string().min(1).max(50), z.string().max(200))
        .refine((r) => Object.keys(r).length <= 10, 'at most 10 references')
        .meta({ maxProperties: 10, propertyNames: { minLength: 1, maxLength: 50 } })
        .optional(),
    })
    .strict();
}

export const SyncBody = z.object({ overrideDeleteLimit: z.boolean().optional() }).strict();

export const PlatformLocationListQuery = z.object({
  limit: queryInt(1, 1000, 100),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER, 0),
});

// OpenAPI: the routes of this router, from the schemas above (response shapes are documentation only).
const LocationPath = z.object({ platformLocationId: PlatformLocationIdSchema.meta({ example: 'L-9' }) });
const PLATFORM_LOCATION_EXAMPLE = {
  name: 'Rosebank Mall, loading bay',
  address: '50 Bath Ave, Rosebank, Johannesburg',
  latitude: -26.1458,
  longitude: 28.0436,
  gateInstructions: 'Gate 3, code 4411',
};
const tags = ['Fixed Locations'];
const fixedLocations = { when: (ctx: ResolvedDocumentContext) => ctx.fixedLocations };
const STORED_LOCATION_EXAMPLE = {
  platformLocationId: 'L-9',
  contactNotes: null,
  ...PLATFORM_LOCATION_EXAMPLE,
  updatedAt: '2026-11-23T09:00:00.000Z',
};
const StoredLocationSchema = z.object({ platformLocationId: z.string() }).passthrough();
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
          "The contract's five kinds, and two extensions: UNREFERENCED_IN_AURA, an AURA Fixed Location without an externalReferenceId (never matched, " +
            "updated or deleted; in csv mode it refuses the upload, since the full sync would delete it); LISTING_FAILED, AURA's list could not be read " +
            '(not under `predefinedLocations`, a malformed location, an error answer) or was incomplete (fewer locations than its stated total, a missing ' +
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
    method: 'put',
    path: '/v1/platform-locations/:platformLocationId',
    operationId: 'upsertPlatformLocation',
    summary: 'Upsert a platform location',
    description:
      "The id is the path's. A body that repeats `platformLocationId` (not part of the schema) must give the same id, else 400 `VALIDATION_FAILED` naming it.",
    tags,
    request: { params: LocationPath, body: jsonBody(PlatformLocationBody, PLATFORM_LOCATION_EXAMPLE) },
    responses: {
      200: jsonResponse('The stored location', StoredLocationSchema.extend({ created: z.boolean() }), {
        ...STORED_LOCATION_EXAMPLE,
        created: true,
      }),
      400: VALIDATION_FAILED,
    },
  },
  fixedLocations,
);
documentRoute(
  {
    method: 'get',
    path: '/v1/platform-locations/:platformLocationId',
    operationId: 'getPlatformLocation',
    summary: 'One platform location, with the AURA Fixed Location ids mapped to it',
    tags,
    request: { params: LocationPath },
    responses: {
      200: jsonResponse(
        'The location',
        StoredLocationSchema.extend({ auraFixedLocationIds: z.array(z.number().int()) }),
        { ...STORED_LOCATION_EXAMPLE, auraFixedLocationIds: [5512] },
      ),
      400: VALIDATION_FAILED,
      404: errorResponse('No platform location with this id', 'PLATFORM_LOCATION_NOT_FOUND'),
    },
  },
  fixedLocations,
);
documentRoute(
  {
    method: 'delete',
    path: '/v1/platform-locations/:platformLocationId',
    operationId: 'deletePlatformLocation',
    summary: 'Remove a platform location',
    description: 'Idempotent: removing a location that is not there is the same outcome (204).',
    tags,
    request: { params: LocationPath },
    responses: { 204: { description: 'Removed' }, 400: VALIDATION_FAILED },
  },
  fixedLocations,
);
documentRoute(
  {
    method: 'get',
    path: '/v1/platform-locations',
    operationId: 'listPlatformLocations',
    summary: 'Platform locations, in the order they were added',
    tags,
    request: { query: PlatformLocationListQuery },
    responses: {
      200: jsonResponse(
        'A page of locations',
        z.object({ total: z.number().int(), items: z.array(StoredLocationSchema) }),
        { total: 1, items: [STORED_LOCATION_EXAMPLE] },
      ),
      400: VALIDATION_FAILED,
    },
  },
  fixedLocations,
);
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
documentRoute(
  (ctx) => ({
    method: 'post',
    path: '/v1/alarms',
    operationId: 'openAlarm',
    summary: 'A monitoring-platform alarm for a Fixed Location',
    description:
      'Opens the incident `alarm-<alarmId>` on the AURA Fixed Location mapped to `platformLocationId`; a repeat answers 200 with the same incident.',
    tags,
    request: {
      body: jsonBody(alarmBody(ctx.responseTypes), {
        alarmId: 'A-1001',
        platformLocationId: 'L-9',
        alarmType: 'BURGLARY',
        zone: '3',
        notes: 'Back door contact',
      }),
    },
    responses: {
      202: jsonResponse('A new incident', IncidentSchema, {
        ...INCIDENT_EXAMPLE,
        incidentId: 'alarm-A-1001',
        workflowId: 'incident-alarm-A-1001',
        status: null,
        phase: 'requested',
        timeline: [],
      }),
      200: jsonResponse('The alarm was already received (same incident)', IncidentSchema, {
        ...INCIDENT_EXAMPLE,
        incidentId: 'alarm-A-1001',
        workflowId: 'incident-alarm-A-1001',
      }),
      400: VALIDATION_FAILED,
      422: errorResponse(
        'The platform location has no AURA Fixed Location (LOCATION_NOT_MAPPED), or more than one (LOCATION_AMBIGUOUS)',
        'LOCATION_NOT_MAPPED',
      ),
      503: TEMPORAL_UNAVAILABLE,
    },
  }),
  fixedLocations,
);
documentRoute(
  {
    method: 'post',
    path: '/callbacks/aura/fixed-location-import/:workflowId/:runId/:signature',
    operationId: 'fixedLocationImportCallback',
    summary: "AURA's callback with the result of a Fixed Location CSV import",
    description:
      "The URL is issued by the reconciliation and carries an HMAC of its workflow and run: AURA sends no credentials. The body is AURA's to choose (any content type, any text; a JSON object's `status` and `message` are kept).",
    tags,
    request: {
      params: z.object({
        workflowId: z.string().min(1).meta({ example: 'fixed-location-sync-aura-callouts' }),
        runId: z.string().min(1).meta({ example: '0f9c' }),
        signature: z.string().min(1).meta({ example: 'c2lnbmF0dXJl' }),
      }),
      body: { required: false, content: { '*/*': { schema: z.string(), example: '{"status":"done"}' } } },
    },
    responses: {
      200: jsonResponse(
        'Handed to the waiting reconciliation (accepted), or none is waiting (ignored)',
        z.object({ status: z.enum(['accepted', 'ignored']), reason: z.string().optional() }),
        { status: 'accepted' },
      ),
      401: errorResponse('The callback URL is not one this service issued', 'UNAUTHORIZED'),
      503: TEMPORAL_UNAVAILABLE,
    },
  },
  fixedLocations,
);

export interface FixedLocationApiOptions {
  /** The adapter's database: every read goes to it (no cache another process's write could make stale). */
  store: FixedLocationStore;
  /** Key of the HMAC in the CSV import callback URL (the worker signs with the same key). */
  callbackSecret: string;
}

export function createFixedLocationRouter(
  opts: FixedLocationApiOptions & {
    client: Client;
    taskQueue: string;
    responseTypes: Record<string, number>;
    incidents: IncidentService;
  },
): Router {
  const { store, client, incidents } = opts;
  const router = express.Router();
  const json = express.json({ limit: '1mb', type: () => true });
  const syncWorkflowId = fixedLocationSyncWorkflowId(opts.taskQueue);

  const idOf = (req: express.Request) =>
    parseOrThrow(PlatformLocationIdSchema, req.params.platformLocationId, 'platformLocationId');
  const AlarmBody = alarmBody(opts.responseTypes);
  const bodyFor = (id: string) =>
    PlatformLocationBody.extend({
      platformLocationId: z
        .unknown()
        .refine((v) => v === undefined || String(v) === id, 'differs from the id in the path')
        .optional(),
    });

  router.put('/v1/platform-locations/:platformLocationId', json, async (req, res) => {
    const platformLocationId = idOf(req);
    // The id is the path's; a body that repeats it must agree (the document leaves it out of the body).
    const { platformLocationId: _same, ...body } = parseOrThrow(bodyFor(platformLocationId), req.body ?? {});
    const { created, location } = await store.put({ platformLocationId, ...body });
    res.status(200).json({ ...location, created });
  });

  router.delete('/v1/platform-locations/:platformLocationId', async (req, res) => {
    // Idempotent: deleting what is not there is the same outcome.
    await store.delete(idOf(req));
    res.status(204).end();
  });

  router.get('/v1/platform-locations/:platformLocationId', async (req, res) => {
    const found = await store.getWithAuraIds(idOf(req));
    if (!found)
      throw new ApiError(
        404,
        'PLATFORM_LOCATION_NOT_FOUND',
        `No platform location "${req.params.platformLocationId}".`,
      );
    res.json({ ...found.location, auraFixedLocationIds: found.auraFixedLocationIds });
  });

  router.get('/v1/platform-locations', async (req, res) => {
    const q = parseOrThrow(PlatformLocationListQuery, req.query, 'query');
    res.json(await store.page(q.limit, q.offset));
  });

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

  router.post('/v1/alarms', json, async (req, res) => {
    const body = parseOrThrow(AlarmBody, req.body ?? {});
    const incidentId = `alarm-${body.alarmId}`;
    // The schema admits configured names only; own keys only, so a name like `constructor` is not one.
    const name = (body.responseType ?? 'SECURITY').toUpperCase();
    const responseTypeId = Object.hasOwn(opts.responseTypes, name) ? opts.responseTypes[name] : undefined;
    if (responseTypeId === undefined) {
      // Only when SECURITY, the default, is not configured and the alarm names no type.
      throw new ApiError(400, 'VALIDATION_FAILED', 'The request is not valid: see details for each field.', [
        {
          path: 'responseType',
          message: `required: SECURITY is not configured; configured: ${Object.keys(opts.responseTypes).join(', ')}`,
        },
      ]);
    }
    const existing = async (err: ApiError) => {
      // The same alarm again after its location changed is still the one incident it already is.
      try {
        return await incidents.get(incidentId);
      } catch {
        throw err;
      }
    };
    // One query by primary key: the location and its AURA Fixed Location ids.
    const found = await store.getWithAuraIds(body.platformLocationId);
    const location = found?.location;
    if (!location) {
      const incident = await existing(
        new ApiError(
          422,
          'LOCATION_NOT_MAPPED',
          `Platform location "${body.platformLocationId}" is not known to the adapter: register it with PUT /v1/platform-locations/${body.platformLocationId}, ` +
            'then run POST /v1/fixed-locations/sync so that AURA has it, and resend the alarm.',
        ),
      );
      return void res.status(200).json(incident);
    }
    const ids = found.auraFixedLocationIds;
    if (ids.length !== 1) {
      const err =
        ids.length === 0
          ? new ApiError(
              422,
              'LOCATION_NOT_MAPPED',
              `Platform location "${location.platformLocationId}" has no AURA Fixed Location yet: run POST /v1/fixed-locations/sync (or wait for the ` +
                'scheduled one), check GET /v1/fixed-locations/sync/latest for why it was not created, and resend the alarm.',
            )
          : new ApiError(
              422,
              'LOCATION_AMBIGUOUS',
              `${ids.length} AURA Fixed Locations share externalReferenceId "${location.platformLocationId}" (ids ${ids.join(', ')}), so AURA cannot tell ` +
                'which premises to send a responder to: delete all but the right one in AURA, run POST /v1/fixed-locations/sync, and resend the alarm.',
              [{ path: 'platformLocationId', message: `AURA Fixed Location ids ${ids.join(', ')}` }],
            );
      return void res.status(200).json(await existing(err));
    }
    const { created, incident } = await incidents.open(
      {
        responseTypeId,
        fixedLocation: { externalReferenceId: location.platformLocationId, fixedLocationId: ids[0]! },
        // The operator context: the callout's first event (the alarm's test flag also goes in the callout fields).
        notes: alarmContextMessage({
          alarmId: body.alarmId,
          incidentId,
          alarmType: body.alarmType,
          zone: body.zone,
          notes: body.notes,
          test: body.test,
          references: body.references,
          location,
        }),
        test: body.test,
      },
      incidentId,
    );
    res
      .status(created ? 202 : 200)
      .location(incident.links.self)
      .json(incident);
  });

  // AURA POSTs the CSV import's result here (the URL carries an HMAC of the workflow id: AURA sends no auth).
  router.post(
    '/callbacks/aura/fixed-location-import/:workflowId/:runId/:signature',
    express.text({ type: () => true, limit: '1mb' }),
    async (req, res) => {
      const workflowId = String(req.params.workflowId);
      const runId = String(req.params.runId);
      if (!safeEqual(callbackSignature(opts.callbackSecret, workflowId, runId), String(req.params.signature))) {
        throw new ApiError(401, 'UNAUTHORIZED', 'The callback URL is not one this service issued.');
      }
      let body: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(typeof req.body === 'string' && req.body ? req.body : '{}') as unknown;
        if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
      } catch {
        /* AURA decides the shape: anything is a "done" */
      }
      const text = (v: unknown) =>
        typeof v === 'string' ? v.slice(0, 500) : v == null ? null : String(v).slice(0, 500);
      try {
        await client.workflow.getHandle(workflowId).signal(csvImportResultSignal, {
          received: true,
          runId,
          status: text(body.status),
          message: text(body.message),
        });
        res.json({ status: 'accepted' });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return void res.json({ status: 'ignored', reason: 'no reconciliation is waiting for this import' });
        throw temporalUnavailable(err);
      }
    },
  );
  return router;
}
