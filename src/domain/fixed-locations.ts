// Fixed Location reconciliation between the monitoring platform's protected premises ("platform locations") and
// AURA's Fixed Locations (`predefinedLocations`), keyed by `externalReferenceId = platformLocationId`. Pure: the
// planning, the CSV-import outcome and the alarm context text, shared by activities, the API and unit tests.

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

// ---- reading AURA's list ------------------------------------------------------------------------------------------
//
// The list route's paging is not published. A page is read as "the last" only when it is empty or when AURA's
// stated total (or number of pages) has been reached, never because it is shorter than the `limit` we asked for:
// AURA may page by a smaller size than asked. Whatever the listing cannot vouch for (a wrong wrapper, fewer
// locations than the stated total, an empty page before the stated last one, a page repeating earlier ones) is a
// `problem`, and a run with a problem writes nothing: an incomplete list looks exactly like sites missing in AURA
// (recreated in rest mode) or sites missing on the platform (deleted by a CSV full sync).

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

/** A listing with more pages than this is treated as endless. */
export const MAX_LISTING_PAGES = 100_000;

const statedCount = (v: number | undefined) => (v !== undefined && Number.isInteger(v) && v >= 0 ? v : undefined);

/** Collects AURA's list page by page and says when to stop and whether the result can be trusted. */
export class ListingCollector {
  private readonly byId = new Map<number, ListedFixedLocation>();
  private pages = 0;
  private total: number | undefined;
  private totalPages: number | undefined;
  private emptyAt: number | undefined;
  private problem: string | undefined;

  constructor(private readonly maxPages = MAX_LISTING_PAGES) {}

  /** Add the next page (1, 2, …): `next` to read another, `done` to stop. */
  add(page: ListedPage): 'next' | 'done' {
    const n = ++this.pages;
    this.total = statedCount(page.total) ?? this.total;
    this.totalPages = statedCount(page.totalPages) ?? this.totalPages;
    if (page.items.length === 0) {
      this.emptyAt = n;
      return 'done';
    }
    const fresh = page.items.filter((f) => !this.byId.has(f.id));
    if (fresh.length === 0) {
      // Offset paging under concurrent inserts repeats a few ids (kept once); a page of nothing new is AURA
      // ignoring `page`, and the listing would never end.
      this.problem = `page ${n} of AURA's Fixed Locations repeats only locations of earlier pages (ids ${page.items
        .slice(0, 5)
        .map((f) => f.id)
        .join(
          ', ',
        )}${page.items.length > 5 ? ', …' : ''}): AURA does not seem to page, so the list cannot be read to its end`;
      return 'done';
    }
    for (const f of fresh) this.byId.set(f.id, f);
    if (this.total !== undefined && this.byId.size >= this.total) return 'done';
    if (this.totalPages !== undefined && n >= this.totalPages) return 'done';
    if (n >= this.maxPages) {
      this.problem = `AURA's Fixed Locations did not end within ${this.maxPages} pages`;
      return 'done';
    }
    return 'next';
  }

  /** The page could not be read (a wrong wrapper, a malformed location). */
  fail(problem: string): void {
    this.pages++;
    this.problem ??= problem;
  }

  result(): FixedLocationListing {
    let problem = this.problem;
    const listed = this.byId.size;
    if (!problem && this.total !== undefined && listed < this.total) {
      problem =
        `AURA's list gave ${listed} of the ${this.total} Fixed Locations it states (its total), ending at page ${this.pages} ` +
        `${this.emptyAt !== undefined ? 'with an empty page' : 'as the last stated page'}: a page was short or missing`;
    }
    if (!problem && this.totalPages !== undefined && this.emptyAt !== undefined && this.emptyAt <= this.totalPages) {
      problem = `page ${this.emptyAt} of AURA's Fixed Locations was empty although AURA states ${this.totalPages} pages: a page is missing`;
    }
    const locations: AuraFixedLocation[] = [];
    const unreferenced: UnreferencedFixedLocation[] = [];
    for (const f of this.byId.values()) {
      if (f.deleted) continue;
      if (f.externalReferenceId === null) unreferenced.push({ id: f.id, name: f.name, address: f.address });
      else
        locations.push({
          id: f.id,
          externalReferenceId: f.externalReferenceId,
          name: f.name,
          address: f.address,
          latitude: f.latitude,
          longitude: f.longitude,
        });
    }
    return {
      locations,
      unreferenced,
      summary: {
        pages: this.pages,
        listed,
        statedTotal: this.total ?? null,
        statedTotalPages: this.totalPages ?? null,
        unreferenced: unreferenced.length,
        complete: problem === undefined,
      },
      ...(problem !== undefined ? { problem } : {}),
    };
  }
}

/** The report's issue for a listing that could not be trusted. */
export function listingFailedIssue(problem: string, consequence: string): SyncIssue {
  return { kind: 'LISTING_FAILED', externalReferenceId: '', detail: `${problem}. ${consequence}` };
}

/** One issue per unreferenced AURA Fixed Location. */
export function unreferencedIssues(unreferenced: UnreferencedFixedLocation[], mode: SyncMode): SyncIssue[] {
  const why =
    mode === 'csv-import'
      ? "AURA's CSV import is a full sync matched on externalReferenceId, so it would delete this location: the upload was refused"
      : 'it cannot be matched to a platform location, and the reconciliation never updates or deletes it';
  return unreferenced.map((u) => ({
    kind: 'UNREFERENCED_IN_AURA' as const,
    auraFixedLocationId: u.id,
    externalReferenceId: '',
    detail: `AURA Fixed Location ${u.id}${u.name ? ` "${norm(u.name)}"` : ''} has no externalReferenceId: ${why}. Give it the platform's id as its externalReferenceId in AURA, or delete it there.`,
  }));
}

/** `externalReferenceId → AURA Fixed Location ids` (more than one id: a duplicated reference). */
export type FixedLocationIndex = Record<string, number[]>;

/** Coordinates closer than this (degrees, ≈ 0.1 m) are the same place. */
export const COORDINATE_TOLERANCE = 1e-6;

const norm = (s: string | null | undefined) => (s ?? '').trim().replace(/\s+/g, ' ');

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
        detail: `AURA has ${a.latitude.toFixed(6)},${a.longitude.toFixed(6)} "${norm(a.address)}", the platform ${p.latitude.toFixed(6)},${p.longitude.toFixed(6)} "${norm(p.address)}"`,
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

export interface CsvImportCheck {
  /** AURA Fixed Locations the full-sync import would delete (their reference is not in the file, or they have none). */
  wouldDelete: number;
  aura: number;
  share: number;
  refused: boolean;
  /** Why it was refused. */
  reason: 'listing' | 'unreferenced' | 'share' | null;
  message: string;
}

/**
 * AURA's CSV import deletes every active Fixed Location missing from the file, so the upload is allowed only when
 * the listing says exactly what it deletes, and what it deletes is ours to delete:
 * - the listing has a problem (wrong wrapper, fewer than the stated total, a missing page): refused, whatever the
 *   override, since nobody can confirm deletions that cannot be counted;
 * - AURA holds Fixed Locations without an externalReferenceId: refused, whatever the override. The import matches
 *   on externalReferenceId, so such a location can never be in our file and would always be deleted; it was made
 *   outside this service (AURA's portal, another integration) and the reconciliation never deletes what it cannot
 *   name. The override confirms deleting sites the platform removed, not sites nobody can identify. The fix is in
 *   AURA: give the location a reference (it then counts as AURA-only, under the share rule) or delete it by hand;
 * - the file would delete more than `maxShare` of AURA's locations: refused unless the caller overrides.
 */
export function checkCsvImport(
  platformRefs: Set<string>,
  listing: Pick<FixedLocationListing, 'locations' | 'unreferenced' | 'problem'>,
  maxShare: number,
  override: boolean,
): CsvImportCheck {
  const aura = listing.locations.length + listing.unreferenced.length;
  const wouldDelete =
    listing.locations.filter((a) => !platformRefs.has(a.externalReferenceId)).length + listing.unreferenced.length;
  const share = aura === 0 ? 0 : wouldDelete / aura;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const nothing = 'Nothing was uploaded.';
  if (listing.problem !== undefined) {
    return {
      wouldDelete,
      aura,
      share,
      refused: true,
      reason: 'listing',
      message: `AURA's Fixed Locations could not be listed completely, so what the CSV import (a full sync) would delete is unknown: ${listing.problem}. ${nothing}`,
    };
  }
  if (listing.unreferenced.length > 0) {
    const n = listing.unreferenced.length;
    return {
      wouldDelete,
      aura,
      share,
      refused: true,
      reason: 'unreferenced',
      message:
        `AURA holds ${n} Fixed Location${n === 1 ? '' : 's'} without an externalReferenceId (ids ${listing.unreferenced
          .slice(0, 10)
          .map((u) => u.id)
          .join(', ')}${n > 10 ? ', …' : ''}), ` +
        `which the CSV import (a full sync matched on externalReferenceId) would delete. ${nothing} Give ${n === 1 ? 'it' : 'each'} the platform's id as its ` +
        'externalReferenceId in AURA, or delete it there; the delete-limit override does not apply to these.',
    };
  }
  const tooMany = wouldDelete > 0 && share > maxShare;
  const refused = tooMany && !override;
  const message = refused
    ? `The CSV import is a full sync: this file would delete ${wouldDelete} of AURA's ${aura} Fixed Locations (${pct(share)}), ` +
      `more than the allowed ${pct(maxShare)} (FIXED_LOCATION_CSV_MAX_DELETE_SHARE). ${nothing} Check the platform portfolio, ` +
      `or confirm with POST /v1/fixed-locations/sync {"overrideDeleteLimit": true}.`
    : `The file deletes ${wouldDelete} of AURA's ${aura} Fixed Locations (${pct(share)})${tooMany ? ' (limit overridden)' : ''}.`;
  return { wouldDelete, aura, share, refused, reason: refused ? 'share' : null, message };
}

/**
 * What a CSV import did, from AURA's Fixed Locations before and after it and the portfolio that was uploaded:
 * counts by id, and the issues of the pre-import plan annotated with how the import resolved each one.
 */
export function csvImportOutcome(
  platform: PlatformLocation[],
  before: AuraFixedLocation[],
  after: AuraFixedLocation[],
): { counts: SyncCounts; issues: SyncIssue[]; index: FixedLocationIndex } {
  const beforeById = new Map(before.map((a) => [a.id, a]));
  const afterById = new Map(after.map((a) => [a.id, a]));
  let created = 0;
  let updated = 0;
  let deleted = 0;
  for (const a of after) {
    const b = beforeById.get(a.id);
    if (!b) created++;
    else if (
      b.name !== a.name ||
      b.address !== a.address ||
      Math.abs(b.latitude - a.latitude) > COORDINATE_TOLERANCE ||
      Math.abs(b.longitude - a.longitude) > COORDINATE_TOLERANCE
    )
      updated++;
  }
  for (const b of before) if (!afterById.has(b.id)) deleted++;

  const pre = planReconciliation(platform, before);
  const post = planReconciliation(platform, after);
  const postIndex = post.index;
  const platformById = new Map(platform.map((p) => [p.platformLocationId, p]));
  const issues: SyncIssue[] = [];
  for (const i of pre.issues) {
    if (i.kind === 'MISSING_IN_AURA') {
      const ids = postIndex[i.externalReferenceId];
      issues.push({
        ...i,
        ...(ids?.length ? { auraFixedLocationId: ids[0]! } : {}),
        detail: ids?.length ? `created by the CSV import (id ${ids.join(', ')})` : 'still missing after the CSV import',
      });
    } else if (i.kind === 'MISSING_IN_PLATFORM') {
      const gone = !afterById.has(i.auraFixedLocationId!);
      issues.push({
        ...i,
        detail: gone
          ? 'not in the file: deleted by the CSV import (full sync)'
          : 'exists in AURA only and was not deleted by the CSV import',
      });
    } else if (i.kind === 'RENAMED' || i.kind === 'MOVED') {
      const a = afterById.get(i.auraFixedLocationId!);
      const p = platformById.get(i.externalReferenceId);
      const fixed = a && p && !isRenamed(p, a) && !isMoved(p, a);
      issues.push({
        ...i,
        detail: `${i.detail}; ${fixed ? 'updated by the CSV import' : 'still differs after the CSV import'}`,
      });
    }
  }
  // Duplicates as they stand after the import.
  for (const i of post.issues) if (i.kind === 'DUPLICATE_REFERENCE') issues.push(i);
  const counts: SyncCounts = {
    platform: pre.counts.platform,
    aura: before.length,
    matched: post.counts.matched,
    created,
    updated,
    deleted,
    missing: post.creates.length + post.counts.auraOnly,
    duplicates: post.counts.duplicates,
  };
  return { counts, issues, index: postIndex };
}

/** CSV columns of the Fixed Location import (they mirror the create route's fields). */
export const FIXED_LOCATION_CSV_COLUMNS = [
  'externalReferenceId',
  'locationIdentifier',
  'locationDescription',
  'formattedAddress',
  'latitude',
  'longitude',
] as const;

export function csvField(v: string): string {
  return /[",\r\n]/.test(v) || /^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The complete portfolio as AURA's import file. */
export function fixedLocationsCsv(platform: Iterable<PlatformLocation>): string {
  const lines = [FIXED_LOCATION_CSV_COLUMNS.join(',')];
  for (const p of platform) {
    const b = fixedLocationBody(p);
    lines.push(FIXED_LOCATION_CSV_COLUMNS.map((c) => csvField(String(b[c]))).join(','));
  }
  return lines.join('\n') + '\n';
}

export interface AlarmContext {
  alarmId: string;
  incidentId: string;
  alarmType: string;
  zone?: string | undefined;
  notes?: string | undefined;
  test?: boolean | undefined;
  /** The platform's own reference numbers (account, event, dispatch number, …). */
  references?: Record<string, string> | undefined;
  location: PlatformLocation;
}

/** The operator context written as the callout's first event: what a controller needs to act, in one message. */
export function alarmContextMessage(c: AlarmContext): string {
  const l = c.location;
  const lines = [
    `${c.test ? '[TEST] ' : ''}Alarm: ${c.alarmType}${c.zone ? ` · zone ${c.zone}` : ''}`,
    `Premises: ${l.name}, ${l.address}`,
    `References: alarm ${c.alarmId} · platform location ${l.platformLocationId} · incident ${c.incidentId}` +
      Object.entries(c.references ?? {})
        .map(([k, v]) => ` · ${k} ${v}`)
        .join(''),
  ];
  if (l.contactNotes) lines.push(`Contact notes: ${l.contactNotes}`);
  if (l.gateInstructions) lines.push(`Gate instructions: ${l.gateInstructions}`);
  if (c.notes) lines.push(`Operator notes: ${c.notes}`);
  if (c.test) lines.push('This is a staging/test incident.');
  return lines.join('\n');
}
