// A callout's life in the simulator: created (NEW_CALLOUT), moved from status to status with the webhook each status
// sends, cancelled (closed by AURA a little later, see autopilot.ts), and read in AURA's flat and nested shapes with
// tracking links on the simulator's own host.
import { CalloutStatus } from '../domain/status.js';
import { STATUS_EVENT } from '../domain/events.js';
import { flatCallout, newCalloutPayload, readCallout, type SimCallout } from './data.js';
import type { SimulatorState } from './state.js';
import type { Emit } from './webhooks.js';

export type NewCallout = Partial<SimCallout> & { responseTypeId: number; latitude: number; longitude: number };

export class CalloutLifecycle {
  /** The simulator's base URL as the last request reached it, for tracking links (app.ts sets it on each request). */
  publicBase = 'http://127.0.0.1:4010';
  /** Callouts cancelled through the Panic API, with when: AURA closes them `cancelCloseMs` later (autopilot.ts). */
  readonly cancelledAt = new Map<number, number>();

  constructor(
    private readonly state: SimulatorState,
    private readonly emit: Emit,
  ) {}

  /** A callout in read shape (nested customer), as `GET /v2/callouts/:id` answers it. */
  read(c: SimCallout) {
    return readCallout(c, c.customerId != null ? this.state.customers.get(c.customerId) : undefined, this.publicBase);
  }

  /** A callout in AURA's flat shape, as a create answers it. */
  flat(c: SimCallout) {
    return flatCallout(c, this.publicBase);
  }

  /** The body of a callout webhook. */
  payload(event: string, c: SimCallout) {
    const customer = c.customerId != null ? this.state.customers.get(c.customerId) : undefined;
    if (event === 'NEW_CALLOUT') return newCalloutPayload(c, customer, this.publicBase);
    return {
      message: event,
      calloutExternalRefId: c.externalRefId,
      siteExternalRefId: c.siteExternalRefId,
      callout: readCallout(c, customer, this.publicBase),
    };
  }

  /** Make a callout with the next id and deliver NEW_CALLOUT. */
  create(init: NewCallout): SimCallout {
    const now = Date.now();
    const c: SimCallout = {
      id: this.state.nextId.callout++,
      customerId: null,
      predefinedLocationId: null,
      externalRefId: null,
      siteExternalRefId: null,
      status: CalloutStatus.Created,
      calloutClassificationId: 1,
      internalTest: false,
      cancelledByCustomer: false,
      accuracy: 0,
      formattedAddress: null,
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      dispatchedAt: null,
      arrivedAt: null,
      completedAt: null,
      responder: null,
      eta: null,
      events: [],
      lastChangeMs: now,
      ...init,
    };
    this.state.callouts.set(c.id, c);
    this.emit('NEW_CALLOUT', this.payload('NEW_CALLOUT', c), c.id);
    return c;
  }

  /** Set a callout's status (a responder on dispatch, its timestamps); with `webhook`, deliver the status's event. */
  setStatus(c: SimCallout, status: string, webhook: boolean): void {
    const now = Date.now();
    c.status = status;
    c.updatedAt = new Date(now).toISOString();
    c.lastChangeMs = now;
    if (status === CalloutStatus.ResponderDispatched) {
      c.dispatchedAt ??= c.updatedAt;
      c.responder ??= {
        id: 158,
        callsign: `Alpha-${c.id % 100}`,
        vehicleMake: 'toyota',
        vehicleModel: 'hilux',
        vehicleColour: 'red',
        vehicleLicensePlate: `CA ${c.id}`,
        latitude: c.latitude + 0.01,
        longitude: c.longitude + 0.01,
      };
      c.eta = new Date(now + 8 * 60_000).toISOString();
    }
    if (status === CalloutStatus.ResponderArrived) {
      c.arrivedAt ??= c.updatedAt;
      if (c.responder) {
        c.responder.latitude = c.latitude;
        c.responder.longitude = c.longitude;
      }
    }
    if (status === CalloutStatus.ResponderCompleted) c.completedAt ??= c.updatedAt;
    if (webhook) {
      let event = Object.hasOwn(STATUS_EVENT, status) ? STATUS_EVENT[status] : undefined;
      // Auto-dispatch (with ETA) is the event a registration for RESPONDER_ACKNOWLEDGED_CALLOUT receives.
      const hook = this.state.webhook;
      if (
        status === CalloutStatus.ResponderDispatched &&
        hook &&
        !hook.events.includes('RESPONDER_MANUALLY_DISPATCHED')
      ) {
        event = 'RESPONDER_ACKNOWLEDGED_CALLOUT';
      }
      if (event) this.emit(event, this.payload(event, c), c.id);
    }
  }

  /** Cancel through the Panic API: "Responder Cancelled" (webhook), closed `cancelCloseMs` later. Again: no change. */
  cancel(c: SimCallout): void {
    if (c.status === CalloutStatus.ResponderCancelled) return;
    this.setStatus(c, CalloutStatus.ResponderCancelled, true);
    this.cancelledAt.set(c.id, Date.now());
  }
}
