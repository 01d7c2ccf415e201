// Fixed Location reconciliation between the monitoring platform's protected premises ("platform locations") and
// AURA's Fixed Locations (`predefinedLocations`), keyed by `externalReferenceId = platformLocationId`. Pure: the
// shared types and the reconciliation plan, used by activities, the API and unit tests. Beside it:
// fixed-location-listing.ts (reading AURA's list), fixed-location-csv.ts (the CSV import), fixed-location-report.ts
// (the report of an API-mode run), alarm-context.ts (the alarm's operator context).

/** A protected premises as the monitoring platform knows it. */
export interface PlatformLocation {
  platformLocationId: string;
  name: string;
  address: string;
  latitude: number;
  longitude: number;
  contactNotes?: string | null | undefined;
  gateInstructions?: string | null | undefined;
  updatedAt?: string | undefined;
}

/** An AURA Fixed Location, reduced to what reconciliation compares. */
export interface AuraFixedLocation {
  id: number;
  externalReferenceId: string;
  /** AURA's `locationDescription`: we keep the premises name there. */
  name: string | null;
  /** AURA's `formattedAddress`. */
  address: string | null;
  latitude: number;
  longitude: number;
}

/**
 * The contract's five kinds, and two extensions: `UNREFERENCED_IN_AURA` (an AURA Fixed Location without an
 * externalReferenceId: never matched, updated or deleted by the reconciliation) and `LISTING_FAILED` (AURA's list could
 * not be read, or was incomplete: the run wrote nothing).
 */
export type SyncIssueKind =
  | 'MISSING_IN_AURA'
  | 'MISSING_IN_PLATFORM'
  | 'DUPLICATE_REFERENCE'
  | 'MOVED'
  | 'RENAMED'
  | 'UNREFERENCED_IN_AURA'
  | 'LISTING_FAILED';

export const SYNC_ISSUE_KINDS: readonly SyncIssueKind[] = [
  'MISSING_IN_AURA',
  'MISSING_IN_PLATFORM',
  'DUPLICATE_REFERENCE',
  'MOVED',
  'RENAMED',
  'UNREFERENCED_IN_AURA',
  'LISTING_FAILED',
];

export interface SyncIssue {
  kind: SyncIssueKind;
  platformLocationId?: string;
  auraFixedLocationId?: number;
  /** `""` where there is none: an unreferenced AURA Fixed Location, or the listing as a whole. */
  externalReferenceId: string;
  detail: string;
}

export interface SyncCounts {
  /** Platform locations (the portfolio). */
  platform: number;
  /** AURA Fixed Locations found at the start of the run (unreferenced ones included; see `listing`). */
  aura: number;
  /** Platform locations that have exactly one AURA Fixed Location. */
  matched: number;
  created: number;
  updated: number;
  deleted: number;
  /**
   * Locations still on one side only when the run ended (AURA-only ones, and platform ones not created). Unreferenced
   * AURA Fixed Locations are not in it: they are counted in `listing.unreferenced`.
   */
  missing: number;
  /** External references held by more than one AURA Fixed Location. */
  duplicates: number;
}

export type SyncMode = 'api' | 'csv-import';

export interface SyncReport {
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  mode: SyncMode;
  counts: SyncCounts;
  issues: SyncIssue[];
  /** Extensions (contract: extend, never rename). */
  status?: 'completed' | 'refused' | 'failed';
  /** Why a CSV import was refused, or what went wrong. */
  message?: string;
  /** Issues beyond the report's cap are counted here, not listed. */
  issuesTruncated?: number;
  /** What AURA's CSV import callback said (csv mode), or that it timed out. */
  importResult?: { received: boolean; status?: string | null; message?: string | null } | undefined;
  /** How AURA's list was read at the start of the run. */
  listing?: ListingSummary | undefined;
}

// ---- AURA's list, as fixed-location-listing.ts reads it -------------------------------------------------------

/** One Fixed Location as a page of AURA's list carries it. */
export interface ListedFixedLocation {
  id: number;
  externalReferenceId: string | null;
  name: string | null;
  address: string | null;
  latitude: number;
  longitude: number;
  deleted: boolean;
}

export interface ListedPage {
  items: ListedFixedLocation[];
  /** AURA's stated number of Fixed Locations, if it states one. */
  total?: number | undefined;
  totalPages?: number | undefined;
}

/** An active AURA Fixed Location without an externalReferenceId (made in AURA's portal or by another integration). */
export interface UnreferencedFixedLocation {
  id: number;
  name: string | null;
  address: string | null;
}

export interface ListingSummary {
  /** Pages read. */
  pages: number;
  /** Distinct Fixed Locations received (deleted ones included, as AURA's total may count them). */
  listed: number;
  statedTotal: number | null;
  statedTotalPages: number | null;
  /** Active Fixed Locations without an externalReferenceId. */
  unreferenced: number;
  complete: boolean;
}

export interface FixedLocationListing {
  /** Active Fixed Locations with an externalReferenceId: what reconciliation matches. */
  locations: AuraFixedLocation[];
  unreferenced: UnreferencedFixedLocation[];
  summary: ListingSummary;
  /** Why the listing cannot be trusted; absent when it is complete. */
  problem?: string;
}

/** `externalReferenceId → AURA Fixed Location ids` (more than one id: a duplicated reference). */
export type FixedLocationIndex = Record<string, number[]>;

/** Coordinates closer than this (degrees, ≈ 0.1 m) are the same place. */
export const COORDINATE_TOLERANCE = 1e-6;

export const norm = (s: string | null | undefined) => (s ?? '').trim().replace(/\s+/g, ' ');

export function isRenamed(p: PlatformLocation, a: AuraFixedLocation): boolean {
  return norm(p.name) !== norm(a.name);
}

export function isMoved(p: PlatformLocation, a: AuraFixedLocation): boolean {
  return (
    Math.abs(p.latitude - a.latitude) > COORDINATE_TOLERANCE ||
    Math.abs(p.longitude - a.longitude) > COORDINATE_TOLERANCE ||
    norm(p.address) !== norm(a.address)
  );
}

/** The AURA Fixed Location body for a platform location (the newer reference's field names; coordinates as strings). */
export function fixedLocationBody(p: PlatformLocation) {
  return {
    externalReferenceId: p.platformLocationId,
    locationIdentifier: p.platformLocationId,
    locationDescription: p.name,
    formattedAddress: p.address,
    latitude: p.latitude.toFixed(6),
    longitude: p.longitude.toFixed(6),
  };
}

export function indexOf(aura: Iterable<AuraFixedLocation>): FixedLocationIndex {
  const index: FixedLocationIndex = {};
  for (const a of aura) (index[a.externalReferenceId] ??= []).push(a.id);
  return index;
}

export interface ReconciliationPlan {
  creates: PlatformLocation[];
  updates: { auraFixedLocationId: number; location: PlatformLocation }[];
  issues: SyncIssue[];
  counts: Pick<SyncCounts, 'platform' | 'aura' | 'matched' | 'duplicates'> & { auraOnly: number };
  index: FixedLocationIndex;
}

function duplicateIssue(ref: string, ids: number[], inPlatform: boolean): SyncIssue {
  return {
    kind: 'DUPLICATE_REFERENCE',
    ...(inPlatform ? { platformLocationId: ref } : {}),
    externalReferenceId: ref,
    detail:
      `${ids.length} AURA Fixed Locations share this externalReferenceId (ids ${ids.join(', ')}); alarms for it are ` +
      `refused with LOCATION_AMBIGUOUS until all but one are deleted in AURA.`,
  };
}

/**
 * The REST reconciliation: what to create (platform locations AURA lacks), what to update (renamed or moved), and
 * what to report (AURA-only Fixed Locations and every duplicated reference; duplicates are never updated, since
 * which one is right is for a person to decide).
 */
export function planReconciliation(
  platform: Iterable<PlatformLocation>,
  aura: AuraFixedLocation[],
): ReconciliationPlan {
  const byRef = new Map<string, AuraFixedLocation[]>();
  for (const a of aura) {
    const g = byRef.get(a.externalReferenceId);
    if (g) g.push(a);
    else byRef.set(a.externalReferenceId, [a]);
  }
  const plan: ReconciliationPlan = {
    creates: [],
    updates: [],
    issues: [],
    counts: { platform: 0, aura: aura.length, matched: 0, duplicates: 0, auraOnly: 0 },
    index: indexOf(aura),
  };
  const seen = new Set<string>();
  for (const p of platform) {
    plan.counts.platform++;
    const ref = p.platformLocationId;
    seen.add(ref);
    const g = byRef.get(ref);
    if (!g) {
      plan.creates.push(p);
      plan.issues.push({
        kind: 'MISSING_IN_AURA',
        platformLocationId: ref,
        externalReferenceId: ref,
        detail: 'no AURA Fixed Location has this externalReferenceId',
      });
      continue;
    }
    if (g.length > 1) {
      plan.counts.duplicates++;
      plan.issues.push(
        duplicateIssue(
          ref,
          g.map((a) => a.id),
          true,
        ),
      );
      continue;
    }
    const a = g[0]!;
    plan.counts.matched++;
    const renamed = isRenamed(p, a);
    const moved = isMoved(p, a);
    if (renamed) {
      plan.issues.push({
        kind: 'RENAMED',
        platformLocationId: ref,
        auraFixedLocationId: a.id,
        externalReferenceId: ref,
        detail: `AURA has "${norm(a.name)}", the platform "${norm(p.name)}"`,
      });
    }
    if (moved) {
      plan.issues.push({
        kind: 'MOVED',
        platformLocationId: ref,
        auraFixedLocationId: a.id,
        externalReferenceId: ref,
        detail:
          `AURA has ${a.latitude.toFixed(6)},${a.longitude.toFixed(6)} "${norm(a.address)}", the ` +
          `platform ${p.latitude.toFixed(6)},${p.longitude.toFixed(6)} "${norm(p.address)}"`,
      });
    }
    if (renamed || moved) plan.updates.push({ auraFixedLocationId: a.id, location: p });
  }
  for (const [ref, g] of byRef) {
    if (seen.has(ref)) continue;
    if (g.length > 1) {
      plan.counts.duplicates++;
      plan.issues.push(
        duplicateIssue(
          ref,
          g.map((a) => a.id),
          false,
        ),
      );
    }
    for (const a of g) {
      plan.counts.auraOnly++;
      plan.issues.push({
        kind: 'MISSING_IN_PLATFORM',
        auraFixedLocationId: a.id,
        externalReferenceId: ref,
        detail: 'exists in AURA only: no platform location has this id (reported, not deleted)',
      });
    }
  }
  return plan;
}
