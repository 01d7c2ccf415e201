// Wire shapes of AURA's Fixed Location routes (`predefinedLocations`) and the Fixed Location callout. The list
// route's page was never published (aura-api-detail.md §9.3): we send `?page=&limit=` and read the list under one
// key, `predefinedLocations` (the resource's name, as AURA wraps its other lists: `{message, responseTypes[]}`; the
// simulator answers so). Nothing else is read as the list: a reconciliation that took another wrapper (or a bare
// array) for an empty or partial list would recreate every site in rest mode and, in csv mode, upload a full sync
// that deletes every site it did not see. Pagination metadata is optional; when stated it is checked.
import { z } from 'zod';
import { CalloutCreated, Coordinate } from './schemas.js';

/** A Fixed Location in either reference generation ([B] locationDescription/formattedAddress, [A] name/address). */
export const FixedLocationWire = z
  .looseObject({
    id: z.number(),
    externalReferenceId: z.string().nullish(),
    locationIdentifier: z.string().nullish(),
    locationDescription: z.string().nullish(),
    formattedAddress: z.string().nullish(),
    name: z.string().nullish(),
    address: z.string().nullish(),
    latitude: Coordinate,
    longitude: Coordinate,
    deletedAt: z.string().nullish(),
  })
  .transform((f) => ({
    id: f.id,
    // No fallback to `locationIdentifier`: AURA matches callouts and the CSV full sync on externalReferenceId only,
    // so a location without one is unreferenced (counted and reported, never matched, updated or deleted).
    externalReferenceId:
      f.externalReferenceId != null && f.externalReferenceId.trim() !== '' ? f.externalReferenceId : null,
    name: f.locationDescription ?? f.name ?? null,
    address: f.formattedAddress ?? f.address ?? null,
    latitude: f.latitude,
    longitude: f.longitude,
    deleted: f.deletedAt != null,
  }));
export type FixedLocationWire = z.output<typeof FixedLocationWire>;

const Pagination = z
  .looseObject({
    page: z.coerce.number().optional(),
    totalPages: z.coerce.number().optional(),
    total: z.coerce.number().optional(),
    totalCount: z.coerce.number().optional(),
  })
  .optional();

/** The one key the list is read from. */
export const FIXED_LOCATION_LIST_KEY = 'predefinedLocations';

export const FixedLocationPage = z
  .looseObject({
    [FIXED_LOCATION_LIST_KEY]: z.array(FixedLocationWire),
    pagination: Pagination,
    totalPages: z.coerce.number().optional(),
    total: z.coerce.number().optional(),
    totalCount: z.coerce.number().optional(),
  })
  .transform((w) => ({
    items: w[FIXED_LOCATION_LIST_KEY],
    totalPages: w.pagination?.totalPages ?? w.totalPages,
    total: w.pagination?.total ?? w.pagination?.totalCount ?? w.total ?? w.totalCount,
  }));
export type FixedLocationPage = z.output<typeof FixedLocationPage>;

/** What an answer without the list key holds instead, for the error message. */
export function describeListAnswer(body: unknown): string {
  if (Array.isArray(body)) return `a bare array of ${body.length}`;
  if (body && typeof body === 'object') {
    const keys = Object.keys(body);
    return keys.length
      ? `an object with the keys ${keys
          .slice(0, 10)
          .map((k) => JSON.stringify(k))
          .join(', ')}${keys.length > 10 ? ', …' : ''}`
      : 'an empty object';
  }
  return body === null || body === '' ? 'an empty body' : `a ${typeof body}`;
}

export const FixedLocationResponse = z.union([
  z.looseObject({ predefinedLocation: FixedLocationWire }).transform((w) => w.predefinedLocation),
  FixedLocationWire,
]);

/** [B] `{message, installerIdentifier, externalReferenceId, callout}`, or [A]'s flat callout. */
export const FixedLocationCalloutResponse = z.union([
  z.looseObject({ callout: CalloutCreated }).transform((w) => w.callout),
  CalloutCreated,
]);
