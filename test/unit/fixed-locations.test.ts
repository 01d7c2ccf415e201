// Fixed Location planning, the CSV-import guard and outcome, the alarm context text, and the durable store.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import {
  alarmContextMessage,
  checkCsvImport,
  csvImportOutcome,
  fixedLocationsCsv,
  planReconciliation,
  type AuraFixedLocation,
  type PlatformLocation,
} from '../../src/domain/fixed-locations.js';
import { FixedLocationFiles, PlatformLocationStore } from '../../src/fixed-locations/store.js';

const p = (id: string, over: Partial<PlatformLocation> = {}): PlatformLocation => ({ platformLocationId: id, name: `Site ${id}`, address: `${id} Main Road`, latitude: -26.1, longitude: 28.05, ...over });
const a = (id: number, ref: string, over: Partial<AuraFixedLocation> = {}): AuraFixedLocation => ({ id, externalReferenceId: ref, name: `Site ${ref}`, address: `${ref} Main Road`, latitude: -26.1, longitude: 28.05, ...over });

describe('planReconciliation', () => {
  it('creates what AURA lacks, updates renamed and moved, reports AURA-only and duplicates (never updating a duplicate)', () => {
    const plan = planReconciliation(
      [p('A'), p('B', { name: 'New name' }), p('C', { latitude: -26.2 }), p('D'), p('E', { name: 'x' })],
      [a(1, 'B'), a(2, 'C'), a(3, 'D'), a(4, 'E'), a(5, 'E'), a(6, 'Z')],
    );
    assert.deepEqual(plan.creates.map((x) => x.platformLocationId), ['A']);
    assert.deepEqual(plan.updates.map((u) => u.auraFixedLocationId), [1, 2]);
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
  it('refuses a file that deletes more than the allowed share, unless overridden', () => {
    const aura = [a(1, 'A'), a(2, 'B'), a(3, 'C'), a(4, 'D')];
    assert.equal(checkCsvImport(new Set(['A', 'B', 'C']), aura, 0.25, false).refused, false); // 25% is allowed
    const c = checkCsvImport(new Set(['A', 'B']), aura, 0.25, false);
    assert.equal(c.refused, true);
    assert.equal(c.wouldDelete, 2);
    assert.match(c.message, /delete 2 of AURA's 4/);
    assert.equal(checkCsvImport(new Set(['A', 'B']), aura, 0.25, true).refused, false);
    assert.equal(checkCsvImport(new Set(), [], 0, false).refused, false);
  });

  it('counts created, updated and deleted by id and says how each planned issue ended', () => {
    const platform = [p('A'), p('B', { name: 'Renamed' }), p('C')];
    const before = [a(1, 'A'), a(2, 'B'), a(3, 'Z')];
    const after = [a(1, 'A'), a(2, 'B', { name: 'Renamed' }), a(4, 'C')];
    const out = csvImportOutcome(platform, before, after);
    assert.deepEqual(out.counts, { platform: 3, aura: 3, matched: 3, created: 1, updated: 1, deleted: 1, missing: 0, duplicates: 0 });
    const detail = Object.fromEntries(out.issues.map((i) => [`${i.kind}:${i.externalReferenceId}`, i.detail]));
    assert.match(detail['MISSING_IN_AURA:C']!, /created by the CSV import \(id 4\)/);
    assert.match(detail['MISSING_IN_PLATFORM:Z']!, /deleted by the CSV import/);
    assert.match(detail['RENAMED:B']!, /updated by the CSV import/);
    assert.deepEqual(out.index, { A: [1], B: [2], C: [4] });
  });

  it('writes the portfolio as AURA\'s import file (coordinates as strings, quoting where needed)', () => {
    const csv = fixedLocationsCsv([p('A', { name: 'Smith, "The" Shop', address: '1 Main Road' })]);
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    assert.deepEqual(rows, [
      { externalReferenceId: 'A', locationIdentifier: 'A', locationDescription: 'Smith, "The" Shop', formattedAddress: '1 Main Road', latitude: '-26.100000', longitude: '28.050000' },
    ]);
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
    for (const s of ['[TEST] Alarm: BURGLARY · zone 3', 'alarm A-1', 'platform location P-1', 'incident alarm-A-1', 'Keyholder J', 'Gate code 4411#', 'two zones', 'staging/test']) {
      assert.ok(m.includes(s), s);
    }
    assert.ok(!alarmContextMessage({ alarmId: 'B', incidentId: 'alarm-B', alarmType: 'FIRE', location: p('P') }).includes('TEST'));
  });
});

describe('PlatformLocationStore', () => {
  it('survives a reopen, ignores a torn last line, and compacts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pls-'));
    try {
      const s = await PlatformLocationStore.open(dir);
      assert.equal((await s.put(p('A'))).created, true);
      assert.equal((await s.put(p('A', { name: 'A2' }))).created, false);
      await s.put(p('B'));
      assert.equal(await s.delete('B'), true);
      assert.equal(await s.delete('B'), false);
      appendFileSync(s.path, '{"op":"put","loc":{"platformLoc'); // a crash mid-append
      const r = await PlatformLocationStore.open(dir);
      assert.deepEqual(r.list().map((x) => [x.platformLocationId, x.name]), [['A', 'A2']]);
      await r.replaceAll([p('X'), p('Y')]);
      assert.equal((await PlatformLocationStore.open(dir)).size, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the portfolio file when new or changed, and keeps API changes while it is unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pls-'));
    try {
      const file = join(dir, 'portfolio.csv');
      writeFileSync(file, 'platformLocationId,name,address,latitude,longitude,contactNotes,gateInstructions\nP-1,Shop,"1 Main Road, Sandton",-26.1,28.05,,Gate 1\nP-2,Depot,2 Main Road,-26.2,28.06,Keyholder,\n');
      const s = await PlatformLocationStore.open(dir);
      assert.deepEqual(await s.loadFileIfChanged(file), { loaded: true, count: 2 });
      assert.equal(s.get('P-1')!.address, '1 Main Road, Sandton');
      assert.equal(s.get('P-1')!.latitude, -26.1);
      assert.equal(s.get('P-1')!.contactNotes, null);
      await s.delete('P-2');
      const again = await PlatformLocationStore.open(dir);
      assert.deepEqual(await again.loadFileIfChanged(file), { loaded: false, count: 1 });
      writeFileSync(file, JSON.stringify([{ platformLocationId: 'J-1', name: 'J', address: 'x', latitude: 1, longitude: 2 }]));
      assert.deepEqual(await again.loadFileIfChanged(file), { loaded: true, count: 1 });
      writeFileSync(file, 'platformLocationId,name,address,latitude,longitude\nP-1,Shop,addr,200,28\n');
      await assert.rejects(() => again.loadFileIfChanged(file), /record 1: latitude/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the index file is re-read only when it changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pls-'));
    try {
      const f = new FixedLocationFiles(dir);
      assert.equal(f.readIndex(), null);
      await f.writeIndex({ updatedAt: 'now', runId: 'r1', refs: { A: [1] } });
      assert.deepEqual(f.readIndex()!.refs, { A: [1] });
      await f.writeIndex({ updatedAt: 'now', runId: 'r2', refs: { A: [1], B: [2, 3] } });
      assert.deepEqual(f.readIndex()!.refs.B, [2, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('configuration of the adapter', () => {
  it('loads the shipped sample portfolio once into DATA_DIR and derives the worker settings', async () => {
    const { loadEnv } = await import('../../src/config.js');
    const { fixedLocationApiFromEnv, fixedLocationSettingsFromEnv } = await import('../../src/runtime.js');
    const dir = mkdtempSync(join(tmpdir(), 'pls-'));
    try {
      const env = loadEnv({ DATA_DIR: dir, PLATFORM_LOCATIONS_FILE: join(import.meta.dirname, '..', '..', 'data', 'platform-locations.sample.csv'), FIXED_LOCATION_SYNC_MODE: 'csv' });
      const api = await fixedLocationApiFromEnv(env);
      assert.equal(api.store.size, 300);
      assert.equal((await fixedLocationApiFromEnv(env)).store.size, 300);
      const s = fixedLocationSettingsFromEnv(env);
      assert.equal(s.mode, 'csv');
      assert.equal(s.maxDeleteShare, 0.1);
      assert.equal(s.callbackBaseUrl, 'http://127.0.0.1:3000');
      assert.equal(s.callbackSecret, api.callbackSecret);
      assert.throws(() => loadEnv({ FIXED_LOCATION_SYNC_MODE: 'both' }), /FIXED_LOCATION_SYNC_MODE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
