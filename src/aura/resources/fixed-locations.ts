// Fixed Locations (`predefinedLocations`): the paged list, create and update, the Fixed Location callout by external
// reference, and the bulk CSV import (a full sync) on the host root.
import { z } from 'zod';
import { AuraResponseError } from '../errors.js';
import { endpoint } from '../endpoint.js';
import * as F from '../fixed-location-schemas.js';
import type { AuraTransport, CallOptions } from '../transport.js';
import type { CreateCalloutResult } from './callouts.js';

const endpoints = {
  // Path and paging inferred (§9.3). An answer without the list array is AURA_LISTING_INVALID, never an empty page.
  list: endpoint({
    method: 'GET',
    path: '/v2/predefinedLocations',
    response: F.FixedLocationPage,
    check(res, route, input) {
      const body = res.body as Record<string, unknown> | null;
      if (body && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body[F.FIXED_LOCATION_LIST_KEY]))
        return;
      throw new AuraResponseError({
        status: res.status,
        code: 'AURA_LISTING_INVALID',
        message:
          `AURA's answer to ${route} (page ${input.query?.page}) has no ` +
          `"${F.FIXED_LOCATION_LIST_KEY}" array but ${F.describeListAnswer(res.body)}: the list cannot be read`,
        ...(res.requestId !== undefined ? { requestId: res.requestId } : {}),
      });
    },
  }),
  create: endpoint({ method: 'POST', path: '/v2/predefinedLocations', response: F.FixedLocationResponse }),
  // [B]'s body (the create fields); [A] documents name/address instead, the simulator accepts both.
  update: endpoint({ method: 'PUT', path: '/v2/predefinedLocations/:id' }),
  // An unknown reference is 400 (not 404) with the detail in `message`. A 200 is read as an existing active callout.
  createCallout: endpoint({
    method: 'POST',
    path: '/v2/predefinedLocations/externalRef/:externalReferenceId/callouts',
    response: F.FixedLocationCalloutResponse,
    create: true,
    urgent: true,
  }),
  upload: endpoint({
    method: 'POST',
    path: '/v1/predefinedlocations/upload',
    root: true,
    response: z.unknown().transform((b) => {
      const message = (b as { message?: unknown } | null)?.message;
      return { message: typeof message === 'string' ? message : null };
    }),
  }),
};

export function fixedLocationsResource(t: AuraTransport) {
  return {
    /** One page (1-based `page`) of the customer source's Fixed Locations. */
    async listFixedLocations(page: number, limit: number): Promise<F.FixedLocationPage> {
      return (await endpoints.list(t, { query: { page, limit } })).data;
    },

    async createFixedLocation(body: Record<string, unknown>): Promise<F.FixedLocationWire> {
      return (await endpoints.create(t, { body })).data;
    },

    async updateFixedLocation(id: number, body: Record<string, unknown>): Promise<void> {
      await endpoints.update(t, { params: { id }, body });
    },

    /** "Create a Fixed Location callout" by external reference. */
    async createFixedLocationCallout(
      externalReferenceId: string,
      body: {
        responseTypeId?: number;
        internalTest?: boolean;
        calloutClassificationId?: number;
        installerIdentifier?: string;
      },
      call: CallOptions = {},
    ): Promise<CreateCalloutResult> {
      const r = await endpoints.createCallout(t, { params: { externalReferenceId }, body }, call);
      return { callout: r.data, existing: r.status === 200 };
    },

    /** Bulk CSV import (a full sync), on the host root: `POST /v1/predefinedlocations/upload`, multipart. */
    async uploadFixedLocationsCsv(input: {
      csv: string;
      callbackUrl: string;
      delimiter?: string;
      source?: string;
      userEmail?: string;
    }): Promise<{ message: string | null }> {
      const form = new FormData();
      form.set('locations', new Blob([input.csv], { type: 'text/csv' }), 'locations.csv');
      form.set('callbackUrl', input.callbackUrl);
      if (input.delimiter) form.set('delimiter', input.delimiter);
      if (input.source) form.set('source', input.source);
      if (input.userEmail) form.set('userEmail', input.userEmail);
      return (await endpoints.upload(t, { form })).data;
    },
  };
}

export type FixedLocationsResource = ReturnType<typeof fixedLocationsResource>;
