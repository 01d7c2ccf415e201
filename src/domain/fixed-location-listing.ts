// Reading AURA's list of Fixed Locations page by page, and the report's issues when the listing cannot be trusted or
// holds unreferenced locations. Pure; used by the reconciliation activities.
import {
  type AuraFixedLocation,
  type SyncIssue,
  type SyncMode,
  type ListedFixedLocation,
  type ListedPage,
  type UnreferencedFixedLocation,
  type FixedLocationListing,
  norm,
} from './fixed-locations.js';

// The list route's paging is not published. A page is read as "the last" only when it is empty or when AURA's
// stated total (or number of pages) has been reached, never because it is shorter than the `limit` we asked for:
// AURA may page by a smaller size than asked. Whatever the listing cannot vouch for (a wrong wrapper, fewer
// locations than the stated total, an empty page before the stated last one, a page repeating earlier ones) is a
// `problem`, and a run with a problem writes nothing: an incomplete list looks exactly like sites missing in AURA
// (recreated in rest mode) or sites missing on the platform (deleted by a CSV full sync).

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
        `AURA's list gave ${listed} of the ${this.total} Fixed Locations it states (its total), ending at ` +
        `page ${this.pages} ` +
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
