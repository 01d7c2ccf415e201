// POST /v1/alarms: a monitoring-platform alarm at a platform location becomes an incident whose callout goes to that
// location's AURA Fixed Location, with the alarm's operator context as the callout's first event.
import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import { alarmContextMessage } from '../../domain/alarm-context.js';
import { PlatformLocationIdSchema } from '../../fixed-locations/portfolio.js';
import type { FixedLocationStore } from '../../fixed-locations/store.js';
import { ApiError, parseOrThrow } from '../errors.js';
import type { IncidentService } from '../incidents.js';
import {
  documentRoute,
  errorResponse,
  INCIDENT_EXAMPLE,
  IncidentSchema,
  jsonBody,
  jsonResponse,
  TEMPORAL_UNAVAILABLE,
  VALIDATION_FAILED,
} from '../openapi.js';
import { IncidentIdParam, nonBlank, responseTypeName, SafeInt, trimmedText } from '../schemas.js';
import { tags, fixedLocations } from './shared.js';

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

// OpenAPI: this route (the response shapes are documentation only).
documentRoute(
  (ctx) => ({
    method: 'post',
    path: '/v1/alarms',
    operationId: 'openAlarm',
    summary: 'A monitoring-platform alarm for a Fixed Location',
    description:
      'Opens the incident `alarm-<alarmId>` on the AURA Fixed Location mapped to `platformLocationId`; a ' +
      'repeat answers 200 with the same incident.',
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

export function alarmRoutes(
  router: Router,
  opts: {
    store: FixedLocationStore;
    incidents: IncidentService;
    responseTypes: Record<string, number>;
    json: RequestHandler;
  },
): void {
  const { store, incidents, json } = opts;
  const AlarmBody = alarmBody(opts.responseTypes);

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
          `Platform location "${body.platformLocationId}" is not known to the adapter: register it with PUT ` +
            `/v1/platform-locations/${body.platformLocationId}, ` +
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
              `Platform location "${location.platformLocationId}" has no AURA Fixed Location yet: run POST ` +
                `/v1/fixed-locations/sync (or wait for the ` +
                'scheduled one), check GET /v1/fixed-locations/sync/latest for why it was not created, and ' +
                'resend the alarm.',
            )
          : new ApiError(
              422,
              'LOCATION_AMBIGUOUS',
              `${ids.length} AURA Fixed Locations share externalReferenceId "${location.platformLocationId}" ` +
                `(ids ${ids.join(', ')}), so AURA cannot tell ` +
                'which premises to send a responder to: delete all but the right one in AURA, run POST ' +
                '/v1/fixed-locations/sync, and resend the alarm.',
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
}
