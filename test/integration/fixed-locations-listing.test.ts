// The Fixed Location reconciliation fails closed when AURA's listing cannot be trusted (issue item 2), on a real dev
// server with the simulator: a list under another key than the documented `predefinedLocations`, a short page when a
// stated total says more, and AURA Fixed Locations without an externalReferenceId. In each case nothing is written to
// AURA that the listing does not justify (counted in GET /__sim/requests, and checked in the simulator's state), and
// the report says why.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fixedLocationBody, type PlatformLocation } from '../../src/domain/fixed-locations.js';
import { samplePortfolio } from '../../src/fixed-locations/sample.js';
import {
  eventually,
  startStack,
  startTemporal,
  issuesOf,
  panicApi,
  simFixedLocations,
  type Stack,
} from '../helpers/stack.js';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const LIST_PATH = '/panic-api/v2/predefinedLocations';

async function sync(stack: Stack, body: Record<string, unknown> = {}): Promise<any> {
  const r = await stack.api('POST', '/v1/fixed-locations/sync', body);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const report = await eventually(async () => {
    const l = await stack.api('GET', '/v1/fixed-locations/sync/latest');
    return l.status === 200 && l.body.runId === r.body.runId && l.body.finishedAt ? l.body : null;
  }, 30_000);
  await stack.env.client.workflow.getHandle(r.body.workflowId).result();
  return report;
}

/** Run a sync and read its report once the workflow has ended: a run that fails must still leave its report. */
async function syncToTheEnd(stack: Stack): Promise<{ result: any; report: any }> {
  const r = await stack.api('POST', '/v1/fixed-locations/sync', {});
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const result = await stack.env.client.workflow.getHandle(r.body.workflowId).result();
  const l = await stack.api('GET', '/v1/fixed-locations/sync/latest');
  assert.equal(l.status, 200);
  assert.equal(l.body.runId, r.body.runId, 'the report of this run');
  return { result, report: l.body };
}

const panic = panicApi;
const simLocations = simFixedLocations;

/** A fresh simulator (no Fixed Locations, faults or request log) and this portfolio on the platform side. */
async function fresh(stack: Stack, portfolio: PlatformLocation[]): Promise<void> {
  await stack.sim_('POST', '/__sim/reset');
  await stack.store.replaceAll(portfolio);
}

/** AURA already holds these platform locations, exactly as the platform has them. */
async function seedAura(stack: Stack, locs: PlatformLocation[]): Promise<void> {
  for (const p of locs)
    assert.equal((await panic(stack, 'POST', '/v2/predefinedLocations', fixedLocationBody(p))).status, 201);
}
async function seedAuraOnly(stack: Stack, refs: string[]): Promise<void> {
  for (const ref of refs)
    assert.equal(
      (
        await panic(stack, 'POST', '/v2/predefinedLocations', {
          externalReferenceId: ref,
          locationIdentifier: ref,
          latitude: '-26.2',
          longitude: '28.1',
        })
      ).status,
      201,
    );
}
/** A Fixed Location made in AURA's portal without an externalReferenceId (simulator control route). */
async function seedUnreferenced(stack: Stack, body: Record<string, unknown>): Promise<number> {
  const r = await fetch(`${stack.sim.url}/__sim/fixed-locations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ latitude: '-26.3', longitude: '28.2', ...body }),
  });
  assert.equal(r.status, 201);
  const f = (await r.json()) as any;
  assert.equal(f.externalReferenceId, null);
  return f.id as number;
}

const requestCount = async (stack: Stack) => ((await stack.sim_('GET', '/__sim/requests')) as any[]).length;
/** Panic API writes since `from`: every request but reads and the token exchange. */
async function writesSince(stack: Stack, from: number): Promise<string[]> {
  const log = ((await stack.sim_('GET', '/__sim/requests')) as any[]).slice(from);
  return log.filter((r) => r.method !== 'GET' && !r.path.endsWith('/oauth/token')).map((r) => `${r.method} ${r.path}`);
}

/** Route faults that make the listing answer these pages, one request each, in order. */
function scriptedPages(
  pages: unknown[][],
  pagination: (i: number) => Record<string, unknown>,
  key = 'predefinedLocations',
) {
  return pages.map((items, i) => ({
    method: 'GET',
    path: LIST_PATH,
    status: 200,
    times: 1,
    body: { message: 'Fixed locations retrieved', [key]: items, pagination: pagination(i) },
  }));
}
const chunks = <T>(xs: T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));
const setRoutes = async (stack: Stack, routes: unknown[]) =>
  assert.ok((await stack.sim_('PUT', '/__sim/faults', { routes })).routes);
const mapped = async (stack: Stack, ref: string): Promise<number[]> =>
  (await stack.api('GET', `/v1/platform-locations/${ref}`)).body.auraFixedLocationIds;

describe('Fixed Location listing that cannot be trusted (rest mode)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { fixedLocations: { pageSize: 6 } });
  });
  after(() => stack.close());
  beforeEach(() => stack.sim_('PUT', '/__sim/faults', { routes: [] }));

  it('a list under another key than predefinedLocations fails the run with LISTING_FAILED and writes nothing', async () => {
    const portfolio = samplePortfolio(5, 21, 'W1');
    await fresh(stack, portfolio);
    await seedAura(stack, portfolio);
    const clean = await sync(stack);
    assert.equal(clean.status, 'completed');
    assert.equal(clean.counts.matched, 5);
    const items = await simLocations(stack);

    await setRoutes(stack, [
      {
        method: 'GET',
        path: LIST_PATH,
        status: 200,
        body: {
          message: 'Fixed locations retrieved',
          results: items,
          pagination: { page: 1, limit: 6, total: 5, totalPages: 1 },
        },
      },
    ]);
    const from = await requestCount(stack);
    const report = await sync(stack);
    assert.equal(
      report.status,
      'failed',
      JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
    );
    const failed = issuesOf(report, 'LISTING_FAILED');
    assert.equal(failed.length, 1);
    assert.match(failed[0].detail, /predefinedLocations/);
    assert.match(failed[0].detail, /results/);
    assert.equal(report.counts.created, 0);
    assert.deepEqual(await writesSince(stack, from), [], 'nothing written to AURA');
    assert.equal((await simLocations(stack)).length, 5);
    // The previous run's index is kept: alarms still resolve to the one Fixed Location of each site.
    assert.equal((await mapped(stack, portfolio[0]!.platformLocationId)).length, 1);
  });

  it('a short page does not end the listing while the stated total says more: nothing is recreated', async () => {
    const portfolio = samplePortfolio(10, 22, 'S1');
    await fresh(stack, portfolio);
    await seedAura(stack, portfolio);
    const items = await simLocations(stack);
    // AURA pages by 4 whatever `limit` asks (6 here): every page is "short".
    await setRoutes(
      stack,
      scriptedPages(chunks(items, 4), (i) => ({ page: i + 1, limit: 4, total: 10, totalPages: 3 })),
    );
    const from = await requestCount(stack);
    const report = await sync(stack);
    assert.equal(
      report.status,
      'completed',
      JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
    );
    assert.deepEqual(
      { ...report.counts },
      { platform: 10, aura: 10, matched: 10, created: 0, updated: 0, deleted: 0, missing: 0, duplicates: 0 },
    );
    assert.deepEqual(await writesSince(stack, from), [], 'nothing recreated');
    assert.equal((await simLocations(stack)).length, 10);
    assert.equal(report.listing.pages, 3);
    assert.equal(report.listing.listed, 10);
  });

  it('a listing that ends before its stated total fails the run and writes nothing', async () => {
    const portfolio = samplePortfolio(10, 23, 'S2');
    await fresh(stack, portfolio);
    await seedAura(stack, portfolio);
    const items = await simLocations(stack);
    await setRoutes(
      stack,
      scriptedPages([items.slice(0, 4), []], (i) => ({ page: i + 1, limit: 4, total: 10, totalPages: 3 })),
    );
    const from = await requestCount(stack);
    const report = await sync(stack);
    assert.equal(
      report.status,
      'failed',
      JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
    );
    const failed = issuesOf(report, 'LISTING_FAILED');
    assert.equal(failed.length, 1);
    assert.match(failed[0].detail, /4 of the 10/);
    assert.deepEqual(await writesSince(stack, from), [], 'nothing written to AURA');
    assert.equal((await simLocations(stack)).length, 10);
  });

  it('AURA Fixed Locations without an externalReferenceId are counted and reported, never matched, updated or deleted', async () => {
    const portfolio = samplePortfolio(5, 24, 'U1');
    const [p1, p2, p3, p4, p5] = portfolio;
    await fresh(stack, portfolio);
    await seedAura(stack, [p1!, p2!, p3!, p4!]);
    // One made in the portal, one whose locationIdentifier happens to be the platform id of a site AURA lacks.
    const u1 = await seedUnreferenced(stack, {
      locationIdentifier: 'portal-7',
      locationDescription: 'Made in the portal',
    });
    const u2 = await seedUnreferenced(stack, {
      locationIdentifier: p5!.platformLocationId,
      locationDescription: 'Someone else',
    });
    const from = await requestCount(stack);
    const report = await sync(stack);
    assert.equal(
      report.status,
      'completed',
      JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
    );
    // One create (p5), and no update or delete of either unreferenced location.
    assert.deepEqual(await writesSince(stack, from), ['POST /panic-api/v2/predefinedLocations']);
    assert.equal(report.listing.unreferenced, 2);
    const unref = issuesOf(report, 'UNREFERENCED_IN_AURA');
    assert.deepEqual(unref.map((i) => i.auraFixedLocationId).sort(), [u1, u2].sort());
    assert.ok(unref.every((i) => i.externalReferenceId === ''));
    assert.equal(issuesOf(report, 'MISSING_IN_PLATFORM').length, 0, 'not AURA-only sites of ours');
    // p5 has no Fixed Location of its own: it is created, not matched to the unreferenced one.
    assert.equal(report.counts.created, 1);
    assert.equal(report.counts.matched, 4);
    assert.equal(report.counts.aura, 6);
    const sim = await simLocations(stack);
    assert.equal(sim.find((f) => f.id === u2).locationDescription, 'Someone else', 'not updated');
    assert.ok(
      sim.some((f) => f.id === u1),
      'not deleted',
    );
    const ids = await mapped(stack, p5!.platformLocationId);
    assert.equal(ids.length, 1);
    assert.notEqual(ids[0], u2);
  });

  it('a listing AURA refuses for good (404) ends the run with a failed report, not a failed workflow and no report', async () => {
    const portfolio = samplePortfolio(3, 25, 'N1');
    await fresh(stack, portfolio);
    await setRoutes(stack, [{ method: 'GET', path: LIST_PATH, status: 404, body: { message: 'Not found' } }]);
    const from = await requestCount(stack);
    const { result, report } = await syncToTheEnd(stack);
    assert.equal(result.status, 'failed');
    assert.equal(report.status, 'failed');
    assert.match(report.message, /listing AURA's Fixed Locations/);
    const failed = issuesOf(report, 'LISTING_FAILED');
    assert.equal(failed.length, 1);
    assert.match(failed[0].detail, /404|Not found/);
    assert.deepEqual(await writesSince(stack, from), [], 'nothing written to AURA');
  });
});

describe('Fixed Location listing that cannot be trusted (csv mode)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack(env, { fixedLocations: { mode: 'csv', maxDeleteShare: 0.25 } });
  });
  after(() => stack.close());

  const uploads = async () => ((await stack.sim_('GET', '/__sim/fixed-location-imports')) as any[]).length;

  it('a list under another key than predefinedLocations fails the run: no CSV upload, no AURA-only site deleted', async () => {
    const portfolio = samplePortfolio(5, 31, 'CW');
    await fresh(stack, portfolio);
    await seedAura(stack, portfolio);
    await seedAuraOnly(stack, ['CW-X1', 'CW-X2', 'CW-X3']);
    const items = await simLocations(stack);
    await setRoutes(stack, [
      {
        method: 'GET',
        path: LIST_PATH,
        status: 200,
        body: {
          message: 'Fixed locations retrieved',
          results: items,
          pagination: { page: 1, limit: 500, total: 8, totalPages: 1 },
        },
      },
    ]);
    const from = await requestCount(stack);
    const report = await sync(stack);
    assert.equal(
      report.status,
      'failed',
      JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
    );
    assert.equal(issuesOf(report, 'LISTING_FAILED').length, 1);
    assert.match(report.message, /nothing was uploaded/i);
    assert.equal(await uploads(), 0, 'no CSV upload');
    assert.deepEqual(await writesSince(stack, from), []);
    assert.equal((await simLocations(stack)).length, 8, 'the AURA-only sites are still there');
  });

  it('a short page does not end the listing: the delete guard sees every page and refuses', async () => {
    const portfolio = samplePortfolio(10, 32, 'CS');
    await fresh(stack, portfolio);
    await seedAura(stack, portfolio);
    // Four AURA-only sites after the platform's ten: 4 of 14 (28.6%) is more than the allowed 25%.
    await seedAuraOnly(stack, ['CS-X1', 'CS-X2', 'CS-X3', 'CS-X4']);
    const items = await simLocations(stack);
    await setRoutes(
      stack,
      scriptedPages(chunks(items, 4), (i) => ({ page: i + 1, limit: 4, total: 14, totalPages: 4 })),
    );
    const from = await requestCount(stack);
    const report = await sync(stack);
    assert.equal(
      report.status,
      'refused',
      JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
    );
    assert.match(report.message, /would delete 4 of AURA's 14/);
    assert.equal(await uploads(), 0, 'no CSV upload');
    assert.deepEqual(await writesSince(stack, from), []);
    assert.equal((await simLocations(stack)).length, 14);
  });

  it('a listing with fewer locations than its stated total refuses the upload', async () => {
    const portfolio = samplePortfolio(5, 33, 'CI');
    await fresh(stack, portfolio);
    await seedAura(stack, portfolio);
    await seedAuraOnly(stack, ['CI-X1', 'CI-X2', 'CI-X3']);
    const items = await simLocations(stack);
    // The first page shows three platform sites and says 8; the next page (the simulator's own) is empty.
    await setRoutes(
      stack,
      scriptedPages([items.slice(0, 3)], () => ({ page: 1, limit: 500, total: 8, totalPages: 1 })),
    );
    const from = await requestCount(stack);
    const report = await sync(stack);
    assert.notEqual(
      report.status,
      'completed',
      JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
    );
    assert.equal(issuesOf(report, 'LISTING_FAILED').length, 1);
    assert.match(issuesOf(report, 'LISTING_FAILED')[0].detail, /3 of the 8/);
    assert.equal(await uploads(), 0, 'no CSV upload');
    assert.deepEqual(await writesSince(stack, from), []);
    assert.equal((await simLocations(stack)).length, 8);
  });

  it('AURA Fixed Locations without an externalReferenceId refuse the upload (a full sync would delete them), even with the override', async () => {
    const portfolio = samplePortfolio(5, 34, 'CU');
    await fresh(stack, portfolio);
    await seedAura(stack, portfolio);
    const u = await seedUnreferenced(stack, {
      locationIdentifier: 'portal-9',
      locationDescription: 'Made in the portal',
    });
    const from = await requestCount(stack);
    for (const body of [{}, { overrideDeleteLimit: true }]) {
      const report = await sync(stack, body);
      assert.equal(
        report.status,
        'refused',
        JSON.stringify({ status: report.status, counts: report.counts, message: report.message }),
      );
      assert.match(report.message, /externalReferenceId/);
      assert.equal(report.listing.unreferenced, 1);
      assert.deepEqual(
        issuesOf(report, 'UNREFERENCED_IN_AURA').map((i) => i.auraFixedLocationId),
        [u],
      );
      assert.equal(report.counts.deleted, 0);
    }
    assert.equal(await uploads(), 0, 'no CSV upload');
    assert.deepEqual(await writesSince(stack, from), []);
    assert.ok(
      (await simLocations(stack)).some((f) => f.id === u),
      'still in AURA',
    );
  });

  it('an upload AURA refuses for good (400) ends the run with a failed report, not a failed workflow and no report', async () => {
    const portfolio = samplePortfolio(3, 35, 'CF');
    await fresh(stack, portfolio);
    await setRoutes(stack, [
      {
        method: 'POST',
        path: '/v1/predefinedlocations/upload',
        status: 400,
        body: { message: 'callbackUrl is required and must be an HTTPS URL' },
      },
    ]);
    const { result, report } = await syncToTheEnd(stack);
    assert.equal(result.status, 'failed');
    assert.equal(report.status, 'failed');
    assert.match(report.message, /uploading the CSV import.*HTTPS/);
    assert.equal(issuesOf(report, 'LISTING_FAILED').length, 0, 'the listing was fine');
    assert.equal((await simLocations(stack)).length, 0);
  });
});
