// Fixed Location planning, the CSV-import guard and outcome, and the alarm context text (the store, on its
// databases: test/integration/fixed-location-store.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { AuraClient } from '../../src/aura/client.js';
import { AuraResponseError } from '../../src/aura/errors.js';
import { alarmContextMessage } from '../../src/domain/alarm-context.js';
import { checkCsvImport, csvImportOutcome, fixedLocationsCsv } from '../../src/domain/fixed-location-csv.js';
import { ListingCollector, unreferencedIssues } from '../../src/domain/fixed-location-listing.js';
import {
  planReconciliation,
  type AuraFixedLocation,
  type ListedFixedLocation,
  type PlatformLocation,
} from '../../src/domain/fixed-locations.js';

const p = (id: string, over: Partial<PlatformLocation> = {}): PlatformLocation => ({
  platformLocationId: id,
  name: `Site ${id}`,
  address: `${id} Main Road`,
  latitude: -26.1,
  longitude: 28.05,
  ...over,
});
const a = (id: number, ref: string, over: Partial<AuraFixedLocation> = {}): AuraFixedLocation => ({
  id,
  externalReferenceId: ref,
  name: `Site ${ref}`,
  address: `${ref} Main Road`,
  latitude: -26.1,
  longitude: 28.05,
  ...over,
});

describe('planReconciliation', () => {
  it('creates what AURA lacks, updates renamed and moved, reports AURA-only and duplicates (never updating a duplicate)', () => {
    const plan = planReconciliation(
      [p('A'), p('B', { name: 'New name' }), p('C', { latitude: -26.2 }), p('D'), p('E', { name: 'x' })],
      [a(1, 'B'), a(2, 'C'), a(3, 'D'), a(4, 'E'), a(5, 'E'), a(6, 'Z')],
    );
    assert.deepEqual(
      plan.creates.map((x) => x.platformLocationId),
      ['A'],
    );
    assert.deepEqual(
      plan.updates.map((u) => u.auraFixedLocationId),
      [1, 2],
    );
    assert.deepEqual(
      plan.issues.map((i) => `${i.kind}:${i.externalReferenceId}`),
      ['MISSING_IN_AURA:A', 'RENAMED:B', 'MOVED:C', 'DUPLICATE_REFERENCE:E', 'MISSING_IN_PLATFORM:Z'],
    );
    assert.deepEqual(plan.counts, { platform: 5, aura: 6, matched: 3, duplicates: 1, auraOnly: 1 });
    assert.deepEqual(plan.index.E, [4, 5]);
  });

  it('treats whitespace and sub-decimetre coordinate noise as no change', () => {
    const plan = planReconciliation([p('A', { name: ' Site  A ', latitude: -26.1000004 })], [a(1, 'A')]);
    assert.equal(plan.updates.length, 0);
    assert.equal(plan.issues.length, 0);
  });
});

describe('CSV import guard and outcome', () => {
  const listing = (
    locations: AuraFixedLocation[],
    extra: { unreferenced?: { id: number; name: string | null; address: string | null }[]; problem?: string } = {},
  ) => ({ locations, unreferenced: extra.unreferenced ?? [], ...(extra.problem ? { problem: extra.problem } : {}) });

  it('refuses a file that deletes more than the allowed share, unless overridden', () => {
    const aura = listing([a(1, 'A'), a(2, 'B'), a(3, 'C'), a(4, 'D')]);
    assert.equal(checkCsvImport(new Set(['A', 'B', 'C']), aura, 0.25, false).refused, false); // 25% is allowed
    const c = checkCsvImport(new Set(['A', 'B']), aura, 0.25, false);
    assert.equal(c.refused, true);
    assert.equal(c.reason, 'share');
    assert.equal(c.wouldDelete, 2);
    assert.match(c.message, /delete 2 of AURA's 4/);
    assert.equal(checkCsvImport(new Set(['A', 'B']), aura, 0.25, true).refused, false);
    assert.equal(checkCsvImport(new Set(), listing([]), 0, false).refused, false);
  });

  it('refuses, whatever the override, a listing with a problem or with unreferenced locations (a full sync deletes them)', () => {
    const incomplete = checkCsvImport(
      new Set(['A']),
      listing([a(1, 'A')], { problem: "AURA's list gave 1 of the 3" }),
      1,
      true,
    );
    assert.equal(incomplete.refused, true);
    assert.equal(incomplete.reason, 'listing');
    assert.match(incomplete.message, /1 of the 3.*Nothing was uploaded/);
    const unref = checkCsvImport(
      new Set(['A']),
      listing([a(1, 'A')], { unreferenced: [{ id: 9, name: 'Portal site', address: null }] }),
      1,
      true,
    );
    assert.equal(unref.refused, true);
    assert.equal(unref.reason, 'unreferenced');
    assert.equal(unref.wouldDelete, 1);
    assert.equal(unref.aura, 2);
    assert.match(unref.message, /without an externalReferenceId \(ids 9\)/);
    const [issue] = unreferencedIssues([{ id: 9, name: 'Portal site', address: null }], 'csv-import');
    assert.deepEqual(
      { kind: issue!.kind, id: issue!.auraFixedLocationId, ref: issue!.externalReferenceId },
      { kind: 'UNREFERENCED_IN_AURA', id: 9, ref: '' },
    );
    assert.match(issue!.detail, /would delete this location/);
  });

  it('counts created, updated and deleted by id and says how each planned issue ended', () => {
    const platform = [p('A'), p('B', { name: 'Renamed' }), p('C')];
    const before = [a(1, 'A'), a(2, 'B'), a(3, 'Z')];
    const after = [a(1, 'A'), a(2, 'B', { name: 'Renamed' }), a(4, 'C')];
    const out = csvImportOutcome(platform, before, after);
    assert.deepEqual(out.counts, {
      platform: 3,
      aura: 3,
      matched: 3,
      created: 1,
      updated: 1,
      deleted: 1,
      missing: 0,
      duplicates: 0,
    });
    const detail = Object.fromEntries(out.issues.map((i) => [`${i.kind}:${i.externalReferenceId}`, i.detail]));
    assert.match(detail['MISSING_IN_AURA:C']!, /created by the CSV import \(id 4\)/);
    assert.match(detail['MISSING_IN_PLATFORM:Z']!, /deleted by the CSV import/);
    assert.match(detail['RENAMED:B']!, /updated by the CSV import/);
    assert.deepEqual(out.index, { A: [1], B: [2], C: [4] });
  });

  it("writes the portfolio as AURA's import file (coordinates as strings, quoting where needed)", () => {
    const csv = fixedLocationsCsv([p('A', { name: 'Smith, "The" Shop', address: '1 Main Road' })]);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows, [
      {
        externalReferenceId: 'A',
        locationIdentifier: 'A',
        locationDescription: 'Smith, "The" Shop',
        formattedAddress: '1 Main Road',
        latitude: '-26.100000',
        longitude: '28.050000',
      },
    ]);
  });
});

describe("ListingCollector: reading AURA's list", () => {
  const f = (
    id: number,
    ref: string | null = `R${id}`,
    over: Partial<ListedFixedLocation> = {},
  ): ListedFixedLocation => ({
    id,
    externalReferenceId: ref,
    name: null,
    address: null,
    latitude: -26.1,
    longitude: 28,
    deleted: false,
    ...over,
  });
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => f(from + i));
  /** Feed pages until the collector stops; returns the result and how many pages it asked for. */
  const run = (pages: { items: ListedFixedLocation[]; total?: number; totalPages?: number }[]) => {
    const c = new ListingCollector();
    let asked = 0;
    for (const p of pages) {
      asked++;
      if (c.add(p) === 'done') break;
    }
    return { ...c.result(), asked };
  };

  it('goes on past a short page until the stated total', () => {
    const r = run([
      { items: ids(1, 4), total: 10 },
      { items: ids(5, 4), total: 10 },
      { items: ids(9, 2), total: 10 },
      { items: [] },
    ]);
    assert.equal(r.asked, 3);
    assert.equal(r.problem, undefined);
    assert.equal(r.locations.length, 10);
    assert.deepEqual(r.summary, {
      pages: 3,
      listed: 10,
      statedTotal: 10,
      statedTotalPages: null,
      unreferenced: 0,
      complete: true,
    });
  });

  it('without a stated total, goes on past short pages until an empty page', () => {
    const r = run([{ items: ids(1, 2) }, { items: ids(3, 1) }, { items: [] }]);
    assert.equal(r.asked, 3);
    assert.equal(r.summary.complete, true);
    assert.equal(r.locations.length, 3);
  });

  it('stops at the stated number of pages', () => {
    const r = run([{ items: ids(1, 2), totalPages: 2 }, { items: ids(3, 1), totalPages: 2 }, { items: ids(9, 1) }]);
    assert.equal(r.asked, 2);
    assert.equal(r.summary.complete, true);
  });

  it('is incomplete when it ends before the stated total, or on an empty page before the stated last page', () => {
    const short = run([{ items: ids(1, 4), total: 10 }, { items: [] }]);
    assert.match(short.problem!, /gave 4 of the 10 Fixed Locations/);
    assert.equal(short.summary.complete, false);
    const lastPage = run([{ items: ids(1, 3), total: 8, totalPages: 1 }]);
    assert.match(lastPage.problem!, /3 of the 8.*last stated page/);
    const pages = run([{ items: ids(1, 3), totalPages: 3 }, { items: [] }]);
    assert.match(pages.problem!, /page 2 .* was empty although AURA states 3 pages/);
    assert.equal(run([{ items: [], total: 0, totalPages: 0 }]).summary.complete, true);
  });

  it('keeps a repeated location once, and treats a page of nothing new as AURA not paging', () => {
    const shifted = run([{ items: ids(1, 3) }, { items: ids(3, 3) }, { items: [] }]);
    assert.equal(shifted.problem, undefined);
    assert.equal(shifted.summary.listed, 5);
    const same = run([{ items: ids(1, 3) }, { items: ids(1, 3) }, { items: ids(1, 3) }]);
    assert.equal(same.asked, 2);
    assert.match(same.problem!, /repeats only locations of earlier pages/);
  });

  it('splits off unreferenced locations and leaves out deleted ones; a failed page is a problem', () => {
    const r = run([
      { items: [f(1), f(2, null, { name: 'Portal site' }), f(3, 'R3', { deleted: true })] },
      { items: [] },
    ]);
    assert.deepEqual(
      r.locations.map((x) => x.id),
      [1],
    );
    assert.deepEqual(r.unreferenced, [{ id: 2, name: 'Portal site', address: null }]);
    assert.equal(r.summary.unreferenced, 1);
    assert.equal(r.summary.listed, 3);
    const c = new ListingCollector();
    c.add({ items: ids(1, 2) });
    c.fail('no "predefinedLocations" array');
    assert.equal(c.result().problem, 'no "predefinedLocations" array');
    assert.equal(c.result().summary.complete, false);
  });
});

describe('AuraClient.listFixedLocations', () => {
  const clientAnswering = (body: unknown) =>
    new AuraClient({
      baseUrl: 'http://aura.test/panic-api',
      staticToken: 't',
      maxRetries: 0,
      fetch: (async () =>
        new Response(JSON.stringify(body), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        })) as typeof fetch,
    });
  const wire = (over: Record<string, unknown> = {}) => ({
    id: 7,
    externalReferenceId: 'P-1',
    locationIdentifier: 'P-1',
    latitude: '-26.1',
    longitude: '28.0',
    ...over,
  });

  it('reads the list only under predefinedLocations: another wrapper or a bare array is an error, never an empty page', async () => {
    for (const [body, shows] of [
      [{ results: [wire()] }, /no "predefinedLocations" array but an object with the keys "results"/],
      [[wire()], /but a bare array of 1/],
      [{ predefinedLocations: { items: [] } }, /no "predefinedLocations" array/],
    ] as const) {
      await assert.rejects(
        () => clientAnswering(body).listFixedLocations(1, 50),
        (err: unknown) =>
          err instanceof AuraResponseError && err.code === 'AURA_LISTING_INVALID' && shows.test(err.message),
      );
    }
    const page = await clientAnswering({
      predefinedLocations: [wire()],
      pagination: { page: 1, total: '3', totalPages: 2 },
    }).listFixedLocations(1, 50);
    assert.deepEqual(
      { n: page.items.length, total: page.total, totalPages: page.totalPages },
      { n: 1, total: 3, totalPages: 2 },
    );
  });

  it('a location without an externalReferenceId stays unreferenced (no fallback to locationIdentifier)', async () => {
    const page = await clientAnswering({
      predefinedLocations: [wire({ externalReferenceId: null }), wire({ id: 8, externalReferenceId: '  ' })],
    }).listFixedLocations(1, 50);
    assert.deepEqual(
      page.items.map((i) => i.externalReferenceId),
      [null, null],
    );
  });
});

describe('alarmContextMessage', () => {
  it('carries alarm type, zone, references, contact notes, gate instructions, notes and the test flag', () => {
    const m = alarmContextMessage({
      alarmId: 'A-1',
      incidentId: 'alarm-A-1',
      alarmType: 'BURGLARY',
      zone: '3',
      notes: 'two zones',
      test: true,
      location: p('P-1', { contactNotes: 'Keyholder J, +27 82 000 0000', gateInstructions: 'Gate code 4411#' }),
    });
    for (const s of [
      '[TEST] Alarm: BURGLARY · zone 3',
      'alarm A-1',
      'platform location P-1',
      'incident alarm-A-1',
      'Keyholder J',
      'Gate code 4411#',
      'two zones',
      'staging/test',
    ]) {
      assert.ok(m.includes(s), s);
    }
    assert.ok(
      !alarmContextMessage({ alarmId: 'B', incidentId: 'alarm-B', alarmType: 'FIRE', location: p('P') }).includes(
        'TEST',
      ),
    );
  });
});
