// The AURA Panic API client: a thin facade over one transport (./transport.ts: auth, pacing, timeouts, retry of safe
// requests, the error tree) and the resources that declare their endpoints (./resources/*). Callers keep one object
// with the resources' methods, e.g. `aura.getCallout(id)`, `aura.createCustomer(...)`, `aura.listFixedLocations(...)`.
import { calloutsResource, type CalloutsResource } from './resources/callouts.js';
import { customersResource, type CustomersResource } from './resources/customers.js';
import { fixedLocationsResource, type FixedLocationsResource } from './resources/fixed-locations.js';
import { webhooksResource, type WebhooksResource } from './resources/webhooks.js';
import { AuraTransport, type AuraTransportOptions } from './transport.js';

export type AuraClientOptions = AuraTransportOptions;
export type { CallOptions } from './transport.js';
export { HTTP_CALLOUT_CLOSED, LOCATION_AND_RETURN_PATH } from './resources/callouts.js';
export type { CreateCalloutInput, CreateCalloutResult, LocationResult } from './resources/callouts.js';
export type { CreateCustomerInput, CreateCustomerResult } from './resources/customers.js';

// The class's methods are the resources' (declaration merging: the constructor assigns them, so every method the
// interface names exists on the instance).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface AuraClient extends CalloutsResource, CustomersResource, FixedLocationsResource, WebhooksResource {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class AuraClient {
  private readonly transport: AuraTransport;

  constructor(opts: AuraClientOptions) {
    this.transport = new AuraTransport(opts);
    Object.assign(
      this,
      calloutsResource(this.transport),
      customersResource(this.transport),
      fixedLocationsResource(this.transport),
      webhooksResource(this.transport),
    );
  }

  /**
   * The longest one request takes to answer or fail once it is asked for: its pacer wait (bounded), then its timeout.
   */
  get callBoundMs(): number {
    return this.transport.callBoundMs;
  }

  /** The worst case of `calls` sequential calls of one activity attempt (see AuraTransport.attemptBoundMs). */
  attemptBoundMs(calls: number): number {
    return this.transport.attemptBoundMs(calls);
  }
}
