// Fixed Locations through AURA's CSV import: the import file of the complete portfolio, and the check and outcome of
// an import (what AURA's callback and its list say happened). Pure; used by the activities, the API and unit tests.
import {
  type PlatformLocation,
  type AuraFixedLocation,
  type SyncIssue,
  type SyncCounts,
  type FixedLocationListing,
  type FixedLocationIndex,
  COORDINATE_TOLERANCE,
  isRenamed,
  isMoved,
  fixedLocationBody,
  planReconciliation,
} from './fixed-locations.js';

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
      message:
        `AURA's Fixed Locations could not be listed completely, so what the CSV import (a full sync) ` +
        `would delete is unknown: ${listing.problem}. ${nothing}`,
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
        `which the CSV import (a full sync matched on externalReferenceId) would delete. ${nothing} Give ` +
        `${n === 1 ? 'it' : 'each'} the platform's id as its ` +
        'externalReferenceId in AURA, or delete it there; the delete-limit override does not apply to these.',
    };
  }
  const tooMany = wouldDelete > 0 && share > maxShare;
  const refused = tooMany && !override;
  const message = refused
    ? `The CSV import is a full sync: this file would delete ${wouldDelete} of AURA's ${aura} Fixed Locations (${pct(share)}), ` +
      `more than the allowed ${pct(maxShare)} (FIXED_LOCATION_CSV_MAX_DELETE_SHARE). ${nothing} Check the ` +
      `platform portfolio, ` +
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
