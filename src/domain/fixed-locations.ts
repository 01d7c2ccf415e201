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

export type SyncIssueKind = 'MISSING_IN_AURA' | 'MISSING_IN_PLATFORM' | 'DUPLICATE_REFERENCE' | 'MOVED' | 'RENAMED';

export interface SyncIssue {
  kind: SyncIssueKind;
  platformLocationId?: string;
  auraFixedLocationId?: number;
  externalReferenceId: string;
  detail: string;
}

export interface SyncCounts {
  /** Platform locations (the portfolio). */
  platform: number;
  /** AURA Fixed Locations found at the start of the run. */
  aura: number;
  /** Platform locations that have exactly one AURA Fixed Location. */
  matched: number;
  created: number;
  updated: number;
  deleted: number;
  /** Locations still on one side only when the run ended (AURA-only ones, and platform ones not created). */
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
export function planReconciliation(platform: Iterable<PlatformLocation>, aura: AuraFixedLocation[]): ReconciliationPlan {
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
      plan.issues.push({ kind: 'MISSING_IN_AURA', platformLocationId: ref, externalReferenceId: ref, detail: 'no AURA Fixed Location has this externalReferenceId' });
      continue;
    }
    if (g.length > 1) {
      plan.counts.duplicates++;
      plan.issues.push(duplicateIssue(ref, g.map((a) => a.id), true));
      continue;
    }
    const a = g[0]!;
    plan.counts.matched++;
    const renamed = isRenamed(p, a);
    const moved = isMoved(p, a);
    if (renamed) {
      plan.issues.push({ kind: 'RENAMED', platformLocationId: ref, auraFixedLocationId: a.id, externalReferenceId: ref, detail: `AURA has "${norm(a.name)}", the platform "${norm(p.name)}"` });
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
      plan.issues.push(duplicateIssue(ref, g.map((a) => a.id), false));
    }
    for (const a of g) {
      plan.counts.auraOnly++;
      plan.issues.push({ kind: 'MISSING_IN_PLATFORM', auraFixedLocationId: a.id, externalReferenceId: ref, detail: 'exists in AURA only: no platform location has this id (reported, not deleted)' });
    }
  }
  return plan;
}

export interface CsvImportCheck {
  /** AURA Fixed Locations the full-sync import would delete (their reference is not in the file). */
  wouldDelete: number;
  aura: number;
  share: number;
  refused: boolean;
  message: string;
}

/**
 * AURA's CSV import deletes every active Fixed Location missing from the file. Refuse an upload that would delete
 * more than `maxShare` of AURA's locations unless the caller overrides.
 */
export function checkCsvImport(platformRefs: Set<string>, aura: AuraFixedLocation[], maxShare: number, override: boolean): CsvImportCheck {
  const wouldDelete = aura.filter((a) => !platformRefs.has(a.externalReferenceId)).length;
  const share = aura.length === 0 ? 0 : wouldDelete / aura.length;
  const tooMany = wouldDelete > 0 && share > maxShare;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const refused = tooMany && !override;
  const message = refused
    ? `The CSV import is a full sync: this file would delete ${wouldDelete} of AURA's ${aura.length} Fixed Locations (${pct(share)}), ` +
      `more than the allowed ${pct(maxShare)} (FIXED_LOCATION_CSV_MAX_DELETE_SHARE). Nothing was uploaded. Check the platform portfolio, ` +
      `or confirm with POST /v1/fixed-locations/sync {"overrideDeleteLimit": true}.`
    : `The file deletes ${wouldDelete} of AURA's ${aura.length} Fixed Locations (${pct(share)})${tooMany ? ' (limit overridden)' : ''}.`;
  return { wouldDelete, aura: aura.length, share, refused, message };
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
    else if (b.name !== a.name || b.address !== a.address || Math.abs(b.latitude - a.latitude) > COORDINATE_TOLERANCE || Math.abs(b.longitude - a.longitude) > COORDINATE_TOLERANCE) updated++;
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
      issues.push({ ...i, ...(ids?.length ? { auraFixedLocationId: ids[0]! } : {}), detail: ids?.length ? `created by the CSV import (id ${ids.join(', ')})` : 'still missing after the CSV import' });
    } else if (i.kind === 'MISSING_IN_PLATFORM') {
      const gone = !afterById.has(i.auraFixedLocationId!);
      issues.push({ ...i, detail: gone ? 'not in the file: deleted by the CSV import (full sync)' : 'exists in AURA only and was not deleted by the CSV import' });
    } else if (i.kind === 'RENAMED' || i.kind === 'MOVED') {
      const a = afterById.get(i.auraFixedLocationId!);
      const p = platformById.get(i.externalReferenceId);
      const fixed = a && p && !isRenamed(p, a) && !isMoved(p, a);
      issues.push({ ...i, detail: `${i.detail}; ${fixed ? 'updated by the CSV import' : 'still differs after the CSV import'}` });
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
export const FIXED_LOCATION_CSV_COLUMNS = ['externalReferenceId', 'locationIdentifier', 'locationDescription', 'formattedAddress', 'latitude', 'longitude'] as const;

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
