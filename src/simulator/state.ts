// The simulator's in-memory store: customers, subscriptions, callouts, tokens, the webhook registration, Fixed
// Locations, the request and delivery logs, the autopilot and fault settings, and the types of them all. Imports
// records and seeds (data.ts) and route-fault rules (route-faults.ts), nothing that serves HTTP.
import { prng } from '../util/prng.js';
import { CalloutStatus } from '../domain/status.js';
import {
  isSubscriptionActive,
  seedCustomers,
  type SimCallout,
  type SimCustomer,
  type SimSubscription,
} from './data.js';
import { RouteFaults } from './route-faults.js';

export interface AutopilotConfig {
  enabled: boolean;
  stepMs: number;
  emitWebhooks: boolean;
}

export interface FaultConfig {
  webhookDropRate: number;
  webhookDuplicateRate: number;
  webhookReorderWindowMs: number;
  apiErrorRate: number;
  apiLatencyMs: number;
  /** How long a "timeout" fault holds a request before dropping the connection. */
  apiTimeoutMs: number;
  /** The next this-many mutating requests (POST/PUT/DELETE) are processed but their answer is lost. */
  loseNextResponses: number;
  seed: number;
}

export const NO_FAULTS: FaultConfig = {
  webhookDropRate: 0,
  webhookDuplicateRate: 0,
  webhookReorderWindowMs: 0,
  apiErrorRate: 0,
  apiLatencyMs: 0,
  apiTimeoutMs: 12_000,
  loseNextResponses: 0,
  seed: 1,
};

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  status: number;
}

export interface DeliveryLogEntry {
  at: string;
  event: string;
  calloutId: number | null;
  outcome: 'delivered' | 'dropped' | 'duplicated' | 'failed' | 'not_registered';
  httpStatus?: number;
}

export interface WebhookConfig {
  url: string;
  events: string[];
  method: string;
  headers: Record<string, string>;
  ignorePath: boolean;
}

export class SimulatorState {
  customers = new Map<number, SimCustomer>();
  subscriptions = new Map<number, SimSubscription>();
  callouts = new Map<number, SimCallout>();
  tokens = new Map<string, number>();
  ratings: { id: number; calloutId: number; rating: number; comment: string | null; createdAt: string }[] = [];
  exceptionReasons: { calloutId: number; id: number; reason: string; notes: string | null }[] = [];
  webhook: WebhookConfig | null = null;
  fixedLocations = new FixedLocationSimState();
  requests: RequestLogEntry[] = [];
  deliveries: DeliveryLogEntry[] = [];
  autopilot: AutopilotConfig;
  faults: FaultConfig = { ...NO_FAULTS };
  /** Injected Panic API faults by kind (500, 429, reset, timeout, lost…), for reports. */
  faultCounts: Record<string, number> = {};
  /** Route faults (`routes` in PUT /__sim/faults): answers that differ from the reference, per method and path. */
  routeFaults = new RouteFaults();
  random: () => number = prng(1);
  nextId = { customer: 190000, subscription: 320000, callout: 92001, event: 5000, rating: 700 };

  constructor(
    private readonly defaults: AutopilotConfig,
    firstCalloutId = 92001,
  ) {
    this.nextId.callout = firstCalloutId;
    this.autopilot = { ...defaults };
    this.reset();
  }

  reset(): void {
    const now = Date.now();
    const { customers, subscriptions } = seedCustomers(now);
    this.customers = new Map(customers.map((c) => [c.id, c]));
    this.subscriptions = new Map(subscriptions.map((s) => [s.id, s]));
    this.callouts.clear();
    this.tokens.clear();
    this.ratings = [];
    this.exceptionReasons = [];
    // The webhook registration is configuration (AURA's portal), not data: a reset keeps it, so a running
    // `npm run dev` keeps receiving webhooks after a demo resets the simulator.
    this.fixedLocations?.reset();
    this.requests = [];
    this.deliveries = [];
    this.autopilot = { ...this.defaults };
    this.faults = { ...NO_FAULTS };
    this.faultCounts = {};
    this.routeFaults.set([]);
    this.random = prng(1);
    // Ids are not reset: AURA never hands out an id twice, and workflows keyed on them outlive a reset.
  }

  hasActiveSubscription(customerId: number, nowMs = Date.now()): boolean {
    for (const s of this.subscriptions.values()) {
      if (
        isSubscriptionActive(s, nowMs) &&
        (s.customerId === customerId || s.dependantCustomerIds.includes(customerId))
      )
        return true;
    }
    return false;
  }

  activeCalloutOf(customerId: number): SimCallout | undefined {
    for (const c of this.callouts.values())
      if (c.customerId === customerId && c.status !== CalloutStatus.Closed) return c;
    return undefined;
  }
}

// ---- Fixed Locations --------------------------------------------------------------------------------------------

export interface SimFixedLocation {
  id: number;
  customerId: number | null;
  /** null: a site made in AURA's portal without a reference (control route only; the Panic API requires one). */
  externalReferenceId: string | null;
  locationIdentifier: string;
  locationDescription: string | null;
  locationAdditionalInformation: string | null;
  formattedAddress: string | null;
  latitude: string;
  longitude: string;
  w3w: string | null;
  calloutLocationTypeId: number | null;
  duressCode: string | null;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
}

export interface ImportLogEntry {
  at: string;
  rows: number;
  callbackUrl: string;
  source: string | null;
  result?: { created: number; updated: number; deleted: number; failed: number };
  callbackStatus?: number | 'failed';
}

/** A coordinate as AURA stores it (a string), or null when it is not a valid number in range. */
export function coord(v: unknown, max: number): string | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && Math.abs(n) <= max ? String(typeof v === 'string' ? v.trim() : v) : null;
}

/** A non-blank string, else null. */
export const nonBlank = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);

export class FixedLocationSimState {
  locations = new Map<number, SimFixedLocation>();
  imports: ImportLogEntry[] = [];
  nextId = 41000;

  reset(): void {
    this.locations.clear();
    this.imports = [];
  }

  active(): SimFixedLocation[] {
    return [...this.locations.values()].filter((f) => f.deletedAt === null);
  }

  byRef(ref: string): SimFixedLocation[] {
    const out: SimFixedLocation[] = [];
    for (const f of this.locations.values()) if (f.deletedAt === null && f.externalReferenceId === ref) out.push(f);
    return out;
  }

  /** `unreferenced`: allow a missing externalReferenceId (the control route's portal-made site). */
  create(b: Record<string, unknown>, opts: { unreferenced?: boolean } = {}): SimFixedLocation | string {
    const ref = nonBlank(b.externalReferenceId);
    const ident = nonBlank(b.locationIdentifier) ?? (opts.unreferenced ? `portal-${this.nextId}` : null);
    const lat = coord(b.latitude, 90);
    const lon = coord(b.longitude, 180);
    if ((!ref && !opts.unreferenced) || !ident) return 'externalReferenceId and locationIdentifier are required';
    if (lat === null || lon === null) return 'latitude and longitude are required and must be valid coordinates';
    const now = new Date().toISOString();
    const f: SimFixedLocation = {
      id: this.nextId++,
      customerId: Number.isInteger(b.customerId) ? (b.customerId as number) : null,
      externalReferenceId: ref,
      locationIdentifier: ident,
      locationDescription: nonBlank(b.locationDescription),
      locationAdditionalInformation: nonBlank(b.locationAdditionalInformation),
      formattedAddress: nonBlank(b.formattedAddress),
      latitude: lat,
      longitude: lon,
      w3w: nonBlank(b.w3w),
      calloutLocationTypeId: Number.isInteger(b.calloutLocationTypeId) ? (b.calloutLocationTypeId as number) : null,
      duressCode: nonBlank(b.duressCode),
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    this.locations.set(f.id, f);
    return f;
  }

  /** Both reference generations: [B] the create fields, [A] `name`/`address` with numeric coordinates. */
  update(f: SimFixedLocation, b: Record<string, unknown>): string | boolean {
    const lat = b.latitude !== undefined ? coord(b.latitude, 90) : f.latitude;
    const lon = b.longitude !== undefined ? coord(b.longitude, 180) : f.longitude;
    if (lat === null || lon === null) return 'latitude and longitude must be valid coordinates';
    const next = {
      externalReferenceId: nonBlank(b.externalReferenceId) ?? f.externalReferenceId,
      locationIdentifier: nonBlank(b.locationIdentifier) ?? f.locationIdentifier,
      locationDescription:
        b.locationDescription !== undefined
          ? nonBlank(b.locationDescription)
          : b.name !== undefined
            ? nonBlank(b.name)
            : f.locationDescription,
      formattedAddress:
        b.formattedAddress !== undefined
          ? nonBlank(b.formattedAddress)
          : b.address !== undefined
            ? nonBlank(b.address)
            : f.formattedAddress,
      locationAdditionalInformation:
        b.locationAdditionalInformation !== undefined
          ? nonBlank(b.locationAdditionalInformation)
          : f.locationAdditionalInformation,
      latitude: lat,
      longitude: lon,
    };
    const changed = (Object.keys(next) as (keyof typeof next)[]).some((k) =>
      k === 'latitude' || k === 'longitude' ? Number(next[k]) !== Number(f[k]) : next[k] !== f[k],
    );
    if (changed) Object.assign(f, next, { updatedAt: new Date().toISOString() });
    return changed;
  }
}
