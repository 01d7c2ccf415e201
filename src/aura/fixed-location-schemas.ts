// Wire shapes of AURA's Fixed Location routes (`predefinedLocations`) and the Fixed Location callout. The list
// route's page was never published (aura-api-detail.md §9.3): we send `?page=&limit=` and accept a bare array or a
// wrapped list (`predefinedLocations`, `data`, `items`, `rows`), with or without pagination metadata.
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
    externalReferenceId: f.externalReferenceId ?? f.locationIdentifier ?? '',
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

export const FixedLocationPage = z.union([
  z.array(FixedLocationWire).transform((items) => ({ items, totalPages: undefined as number | undefined, total: undefined as number | undefined })),
  z
    .looseObject({
      predefinedLocations: z.array(FixedLocationWire).optional(),
      data: z.array(FixedLocationWire).optional(),
      items: z.array(FixedLocationWire).optional(),
      rows: z.array(FixedLocationWire).optional(),
      pagination: Pagination,
      totalPages: z.coerce.number().optional(),
      total: z.coerce.number().optional(),
    })
    .transform((w) => ({
      items: w.predefinedLocations ?? w.data ?? w.items ?? w.rows ?? [],
      totalPages: w.pagination?.totalPages ?? w.totalPages,
      total: w.pagination?.total ?? w.pagination?.totalCount ?? w.total,
    })),
]);

export const FixedLocationResponse = z.union([z.looseObject({ predefinedLocation: FixedLocationWire }).transform((w) => w.predefinedLocation), FixedLocationWire]);

/** [B] `{message, installerIdentifier, externalReferenceId, callout}`, or [A]'s flat callout. */
export const FixedLocationCalloutResponse = z.union([
  z.looseObject({ callout: CalloutCreated }).transform((w) => w.callout),
  CalloutCreated,
]);
