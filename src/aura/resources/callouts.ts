// Callouts: create (for a customer), look-ups, read, location, events, cancel, exception reasons, ratings, the map.
// Paths and bodies follow the Panic API reference (../../../shared/docs/aura-api.md); where it is silent the choice is
// said here.
import { z } from 'zod';
import { AuraError } from '../errors.js';
import { endpoint, orNull } from '../endpoint.js';
import * as S from '../schemas.js';
import type { AuraTransport, CallOptions } from '../transport.js';

/** AURA's custom status for location updates on a closed callout; the body carries the latest callout. */
export const HTTP_CALLOUT_CLOSED = 285;

// The reference names the operation "Stream location and return callout" (updateLocationAndReturnCallout) but the
// stored pages do not show its path. This is our choice; verify it on AURA staging. Only this template changes.
const LOCATION_AND_RETURN = '/v2/callouts/:calloutId/locationAndReturnCallout';
export const LOCATION_AND_RETURN_PATH = (calloutId: number) =>
  LOCATION_AND_RETURN.replace(':calloutId', String(calloutId));

export type LocationResult =
  { closed: false; callout: S.CalloutRead | null } | { closed: true; callout: S.CalloutRead };

export interface CreateCalloutInput {
  customerId: number;
  responseTypeId: number;
  location?: { latitude: number; longitude: number; accuracy?: number | undefined } | undefined;
  predefinedLocationId?: number | undefined;
  calloutClassificationId?: number | undefined;
  internalTest?: boolean | undefined;
}

export interface CreateCalloutResult {
  callout: S.CalloutCreated;
  /** AURA answered with the customer's existing active callout instead of a new one. */
  existing: boolean;
}

const endpoints = {
  create: endpoint({
    method: 'POST',
    path: '/v2/customers/:customerId/callouts',
    response: S.CreateCalloutResponse,
    create: true,
    urgent: true,
  }),
  // Path inferred by analogy with the create route (the reference lists the operation but not its path).
  // The two lists are the lookups around a create (an existing active callout, a create whose answer was lost).
  listOfCustomer: endpoint({
    method: 'GET',
    path: '/v2/customers/:customerId/callouts',
    response: S.CalloutList,
    urgent: true,
  }),
  listActive: endpoint({ method: 'GET', path: '/v2/callouts/activeCallouts', response: S.CalloutList, urgent: true }),
  get: endpoint({ method: 'GET', path: '/v2/callouts/:calloutId', response: S.ReadCalloutResponse }),
  // Doubles as a poll. After closed AURA answers 285 with the latest callout: an answer, not an error.
  locationAndReturn: endpoint({
    method: 'POST',
    path: LOCATION_AND_RETURN,
    response: S.ReadCalloutResponse.transform((callout) => ({ closed: false as const, callout })),
    answers: {
      [HTTP_CALLOUT_CLOSED]: S.ReadCalloutResponse.transform((callout) => ({ closed: true as const, callout })),
    },
  }),
  listEvents: endpoint({ method: 'GET', path: '/v2/callouts/:calloutId/events', response: S.CalloutEventList }),
  // [A] body `{message}`; [B] names it `{source, event}`. We send [A]'s form; the simulator accepts both.
  sendEvent: endpoint({
    method: 'POST',
    path: '/v2/callouts/:calloutId/events',
    urgent: true,
    response: orNull(
      z.preprocess((b) => (b as { calloutEvent?: unknown } | null)?.calloutEvent ?? b, S.CalloutEventWire),
    ),
  }),
  cancel: endpoint({
    method: 'POST',
    path: '/v2/callouts/:calloutId/cancel',
    response: orNull(S.CreateCalloutResponse),
    urgent: true,
  }),
  linkExceptionReason: endpoint({ method: 'POST', path: '/v2/callouts/:calloutId/exceptionReasons', urgent: true }),
  // Documented only after `closed`; what an open callout gets is not stated (the simulator answers 404).
  map: endpoint({ method: 'GET', path: '/v2/callouts/:calloutId/maps', response: S.CalloutMap }),
  rate: endpoint({
    method: 'POST',
    path: '/v2/ratings',
    response: z.unknown().transform((b) => (b && typeof b === 'object' ? b : {}) as { id?: number }),
  }),
};

export function calloutsResource(t: AuraTransport) {
  return {
    async createCustomerCallout(input: CreateCalloutInput, call: CallOptions = {}): Promise<CreateCalloutResult> {
      const hasLocation = input.location !== undefined;
      const hasPredefined = input.predefinedLocationId !== undefined;
      if (hasLocation === hasPredefined) {
        throw new AuraError({
          message: 'A callout takes either live coordinates or a predefinedLocationId, not both',
          code: 'INVALID_CALLOUT_INPUT',
        });
      }
      const body: Record<string, unknown> = { responseTypeId: input.responseTypeId };
      if (input.location) body.location = input.location;
      if (hasPredefined) body.predefinedLocationId = input.predefinedLocationId;
      if (input.calloutClassificationId !== undefined) body.calloutClassificationId = input.calloutClassificationId;
      if (input.internalTest !== undefined) body.internalTest = input.internalTest;
      const r = await endpoints.create(t, { params: { customerId: input.customerId }, body }, call);
      // AURA documents that an existing active callout comes back instead of a second one but not with which status;
      // a 200 (rather than 201) is taken as "existing" here, and the workflow also compares ids with what it knows.
      return { callout: r.data, existing: r.status === 200 };
    },

    async listCustomerActiveCallouts(customerId: number, call: CallOptions = {}): Promise<S.CalloutCreated[]> {
      return (await endpoints.listOfCustomer(t, { params: { customerId } }, call)).data;
    },

    /** Every active callout of the customer source (used to make a retried Fixed Location callout create safe). */
    async listActiveCallouts(call: CallOptions = {}): Promise<S.CalloutCreated[]> {
      return (await endpoints.listActive(t, {}, call)).data;
    },

    async getCallout(calloutId: number, call: CallOptions = {}): Promise<S.CalloutRead> {
      return (await endpoints.get(t, { params: { calloutId } }, call)).data;
    },

    /** "Stream location and return callout": doubles as a poll. 285 once closed is an answer, not an error. */
    async updateLocationAndReturn(
      calloutId: number,
      loc: { latitude: number; longitude: number; accuracy?: number | undefined },
      call: CallOptions = {},
    ): Promise<LocationResult> {
      return (await endpoints.locationAndReturn(t, { params: { calloutId }, body: loc }, call)).data;
    },

    async listCalloutEvents(calloutId: number, call: CallOptions = {}): Promise<S.CalloutEventWire[]> {
      return (await endpoints.listEvents(t, { params: { calloutId } }, call)).data;
    },

    async sendCalloutEvent(
      calloutId: number,
      message: string,
      call: CallOptions = {},
    ): Promise<S.CalloutEventWire | null> {
      return (await endpoints.sendEvent(t, { params: { calloutId }, body: { message } }, call)).data;
    },

    async cancelCallout(
      calloutId: number,
      opts: { safeCode?: string | undefined },
      call: CallOptions = {},
    ): Promise<S.CalloutCreated | null> {
      const body = opts.safeCode !== undefined ? { safeCode: opts.safeCode } : {};
      return (await endpoints.cancel(t, { params: { calloutId }, body }, call)).data;
    },

    /** Link a cancellation ("exception") reason to a callout for the dispatch record. */
    async linkExceptionReason(
      calloutId: number,
      input: { exceptionReasonId?: number | undefined; notes?: string | undefined },
      call: CallOptions = {},
    ): Promise<void> {
      await endpoints.linkExceptionReason(t, { params: { calloutId }, body: input }, call);
    },

    async submitRating(
      input: { calloutId: number; rating: number; comment?: string | undefined },
      call: CallOptions = {},
    ): Promise<{ id?: number }> {
      return (await endpoints.rate(t, { body: input }, call)).data;
    },

    /** "Get a callout map": `{url, image}` of a closed callout (a 404 otherwise, AuraNotFoundError). */
    async getCalloutMap(calloutId: number, call: CallOptions = {}): Promise<S.CalloutMap> {
      return (await endpoints.map(t, { params: { calloutId } }, call)).data;
    },
  };
}

export type CalloutsResource = ReturnType<typeof calloutsResource>;
