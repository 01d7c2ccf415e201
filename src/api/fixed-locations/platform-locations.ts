// The monitoring platform's protected premises: PUT, GET and DELETE /v1/platform-locations/:platformLocationId and
// GET /v1/platform-locations (a page), stored in the adapter's database.
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { PlatformLocationBody, PlatformLocationIdSchema } from '../../fixed-locations/portfolio.js';
import type { FixedLocationStore } from '../../fixed-locations/store.js';
import { ApiError, parseOrThrow } from '../errors.js';
import { documentRoute, errorResponse, jsonBody, jsonResponse, VALIDATION_FAILED } from '../openapi.js';
import { queryInt } from '../schemas.js';
import { tags, fixedLocations } from './shared.js';

export const PlatformLocationListQuery = z.object({
  limit: queryInt(1, 1000, 100),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER, 0),
});

// OpenAPI: these routes, from the schemas above (response shapes are documentation only).
const LocationPath = z.object({ platformLocationId: PlatformLocationIdSchema.meta({ example: 'L-9' }) });
const PLATFORM_LOCATION_EXAMPLE = {
  name: 'Rosebank Mall, loading bay',
  address: '50 Bath Ave, Rosebank, Johannesburg',
  latitude: -26.1458,
  longitude: 28.0436,
  gateInstructions: 'Gate 3, code 4411',
};

const STORED_LOCATION_EXAMPLE = {
  platformLocationId: 'L-9',
  contactNotes: null,
  ...PLATFORM_LOCATION_EXAMPLE,
  updatedAt: '2026-11-23T09:00:00.000Z',
};
const StoredLocationSchema = z.object({ platformLocationId: z.string() }).passthrough();

documentRoute(
  {
    method: 'put',
    path: '/v1/platform-locations/:platformLocationId',
    operationId: 'upsertPlatformLocation',
    summary: 'Upsert a platform location',
    description:
      "The id is the path's. A body that repeats `platformLocationId` (not part of the schema) must give the " +
      'same id, else 400 `VALIDATION_FAILED` naming it.',
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

export function platformLocationRoutes(
  router: Router,
  opts: { store: FixedLocationStore; json: RequestHandler },
): void {
  const { store, json } = opts;
  const idOf = (req: express.Request) =>
    parseOrThrow(PlatformLocationIdSchema, req.params.platformLocationId, 'platformLocationId');
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
}
