// The monitoring-platform adapter on a real dev server: Fixed Location reconciliation in rest and csv mode, and an
// alarm dispatched to a mapped location through to closed.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PlatformLocation } from '../../src/domain/fixed-locations.js';
import { samplePortfolio } from '../../src/fixed-locations/sample.js';
import { ensureFixedLocationSchedule } from '../../src/fixed-locations/schedule.js';
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

const bodyOf = ({ platformLocationId: _id, updatedAt: _u, ...rest }: PlatformLocation) => rest;

async function putAll(stack: Stack, locs: PlatformLocation[]): Promise<void> {
  for (const l of locs) {
    const r = await stack.api('PUT', `/v1/platform-locations/${l.platformLocationId}`, bodyOf(l));
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
}

async function sync(stack: Stack, body: Record<string, unknown> = {}): Promise<any> {
  const r = await stack.api('POST', '/v1/fixed-locations/sync', body);
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.ok(r.body.runId);
  const report = await eventually(async () => {
    const l = await stack.api('GET', '/v1/fixed-locations/sync/latest');
    return l.status === 200 && l.body.runId === r.body.runId && l.body.finishedAt ? l.body : null;
  }, 30_000);
  // The report is written just before the workflow completes; a sync requested in between joins the finishing run.
  await stack.env.client.workflow.getHandle(r.body.workflowId).result();
  return report;
}

const simLocations = simFixedLocations;
const panic = panicApi;

describe('Fixed Location reconciliation (rest mode) and alarm dispatch', () => {
  let stack: Stack;
  let receiver: Server;
  const platformEvents: any[] = [];
  const portfolio = samplePortfolio(20, 11, 'T1');
  const idOf = async (ref: string) =>
    (await simLocations(stack)).find((f) => f.externalReferenceId === ref).id as number;

  before(async () => {
    receiver = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        platformEvents.push(JSON.parse(b));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    stack = await startStack(env, {
      pollIntervalMs: 300,
      platformEventsUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`,
      // Small pages, batches and history threshold: 20 locations take 4 list pages, 3 batches and a continue-as-new.
      fixedLocations: { batchSize: 7, pageSize: 6, continueAsNewEvents: 20 },
    });
  });
  after(async () => {
    await stack.close();
    receiver.close();
  });

  it('a first sync creates every platform location in the simulator (all pages, several batches)', async () => {
    await putAll(stack, portfolio);
    const report = await sync(stack);
    assert.equal(report.mode, 'api');
    assert.equal(report.status, 'completed');
    assert.deepEqual(
      { ...report.counts },
      { platform: 20, aura: 0, matched: 0, created: 20, updated: 0, deleted: 0, missing: 0, duplicates: 0 },
    );
    assert.equal(issuesOf(report, 'MISSING_IN_AURA').length, 20);
    const sim = await simLocations(stack);
    assert.equal(sim.length, 20);
    for (const p of portfolio) {
      const f = sim.find((x) => x.externalReferenceId === p.platformLocationId);
      assert.ok(f, p.platformLocationId);
      assert.equal(f.locationDescription, p.name);
      assert.equal(f.formattedAddress, p.address);
      assert.equal(Number(f.latitude), p.latitude);
      assert.equal(typeof f.latitude, 'string');
    }
    // The run continued as new (bounded history) and still reports under its first run id.
    const latest = await env.client.workflow.getHandle(`fixed-location-sync-${stack.taskQueue}`).describe();
    assert.notEqual(latest.runId, report.runId);
    assert.equal((await stack.api('GET', '/v1/fixed-locations/sync/current')).body.error.code, 'NO_SYNC_RUNNING');
    // The per-location read shows the mapping.
    const one = await stack.api('GET', `/v1/platform-locations/${portfolio[0]!.platformLocationId}`);
    assert.equal(one.body.auraFixedLocationIds.length, 1);
  });

  it('renames, moves and deletions on either side, and a duplicated reference, are detected and reported on the next sync', async () => {
    const [p1, p2, p3, p4, p5, p6, p7] = portfolio;
    // Platform side: rename, move, delete.
    await stack.api('PUT', `/v1/platform-locations/${p1!.platformLocationId}`, {
      ...bodyOf(p1!),
      name: 'Renamed on the platform',
    });
    await stack.api('PUT', `/v1/platform-locations/${p2!.platformLocationId}`, {
      ...bodyOf(p2!),
      latitude: p2!.latitude + 0.01,
    });
    assert.equal((await stack.api('DELETE', `/v1/platform-locations/${p3!.platformLocationId}`)).status, 204);
    // AURA side: rename, move, delete, and a second Fixed Location with an existing reference.
    const id3 = await idOf(p3!.platformLocationId);
    const id4 = await idOf(p4!.platformLocationId);
    const id5 = await idOf(p5!.platformLocationId);
    const id6 = await idOf(p6!.platformLocationId);
    const id7 = await idOf(p7!.platformLocationId);
    assert.equal(
      (
        await panic(stack, 'PUT', `/v2/predefinedLocations/${id4}`, {
          externalReferenceId: p4!.platformLocationId,
          name: 'Renamed in AURA',
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await panic(stack, 'PUT', `/v2/predefinedLocations/${id5}`, {
          externalReferenceId: p5!.platformLocationId,
          locationIdentifier: p5!.platformLocationId,
          latitude: '-26.5',
          longitude: '28.5',
        })
      ).status,
      200,
    );
    assert.equal((await panic(stack, 'DELETE', `/v2/predefinedLocations/${id6}`)).status, 200);
    const dup = await panic(stack, 'POST', '/v2/predefinedLocations', {
      externalReferenceId: p7!.platformLocationId,
      locationIdentifier: 'copy',
      latitude: '-26.1',
      longitude: '28.0',
    });
    assert.equal(dup.status, 201);

    const report = await sync(stack);
    assert.deepEqual(
      { ...report.counts },
      { platform: 19, aura: 20, matched: 17, created: 1, updated: 4, deleted: 0, missing: 1, duplicates: 1 },
    );
    const byKind = (k: string) =>
      issuesOf(report, k)
        .map((i: any) => i.externalReferenceId)
        .sort();
    assert.deepEqual(byKind('RENAMED'), [p1!.platformLocationId, p4!.platformLocationId].sort());
    assert.deepEqual(byKind('MOVED'), [p2!.platformLocationId, p5!.platformLocationId].sort());
    assert.deepEqual(byKind('MISSING_IN_PLATFORM'), [p3!.platformLocationId]);
    assert.equal(issuesOf(report, 'MISSING_IN_PLATFORM')[0].auraFixedLocationId, id3);
    assert.deepEqual(byKind('MISSING_IN_AURA'), [p6!.platformLocationId]);
    assert.match(issuesOf(report, 'MISSING_IN_AURA')[0].detail, /created in AURA/);
    const d = issuesOf(report, 'DUPLICATE_REFERENCE');
    assert.equal(d.length, 1);
    assert.equal(d[0].externalReferenceId, p7!.platformLocationId);
    assert.match(d[0].detail, new RegExp(`${id7}.*${dup.body.id}`));

    // AURA now matches the platform again (the AURA-only location is reported, not deleted).
    const sim = await simLocations(stack);
    assert.equal(sim.find((f) => f.id === id4).locationDescription, p4!.name);
    assert.equal(Number(sim.find((f) => f.id === id5).latitude), p5!.latitude);
    assert.equal(
      sim.find((f) => f.externalReferenceId === p1!.platformLocationId).locationDescription,
      'Renamed on the platform',
    );
    assert.ok(sim.some((f) => f.id === id3));

    // A sync without changes changes nothing.
    const again = await sync(stack);
    assert.equal(again.counts.created, 0);
    assert.equal(again.counts.updated, 0);
    assert.equal(again.counts.duplicates, 1);
  });

  it('an alarm is refused with 422 and what to do when its location is ambiguous or not mapped', async () => {
    const amb = await stack.api('POST', '/v1/alarms', {
      alarmId: 'amb-1',
      platformLocationId: portfolio[6]!.platformLocationId,
      alarmType: 'BURGLARY',
    });
    assert.equal(amb.status, 422);
    assert.equal(amb.body.error.code, 'LOCATION_AMBIGUOUS');
    assert.match(amb.body.error.message, /delete all but/);
    const unknown = await stack.api('POST', '/v1/alarms', {
      alarmId: 'unk-1',
      platformLocationId: 'NOPE-1',
      alarmType: 'BURGLARY',
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.error.code, 'LOCATION_NOT_MAPPED');
    await stack.api('PUT', '/v1/platform-locations/T1-NEW', {
      name: 'New site',
      address: '1 Main Road, Sandton',
      latitude: -26.1,
      longitude: 28.05,
    });
    const unsynced = await stack.api('POST', '/v1/alarms', {
      alarmId: 'uns-1',
      platformLocationId: 'T1-NEW',
      alarmType: 'FIRE',
    });
    assert.equal(unsynced.status, 422);
    assert.equal(unsynced.body.error.code, 'LOCATION_NOT_MAPPED');
    assert.match(unsynced.body.error.message, /fixed-locations\/sync/);
    const numeric = await stack.api('POST', '/v1/alarms', { alarmId: 5512, platformLocationId: 77, alarmType: 'FIRE' });
    assert.equal(numeric.status, 422);
    assert.match(numeric.body.error.message, /"77"/);
    const mismatch = await stack.api('PUT', '/v1/platform-locations/T1-NEW', {
      platformLocationId: 'OTHER',
      name: 'x',
      address: 'y',
      latitude: 0,
      longitude: 0,
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error.details[0].path, 'platformLocationId');
    const bad = await stack.api('POST', '/v1/alarms', { alarmId: 'bad 1', platformLocationId: 'T1-NEW' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  });

  it('an alarm on a mapped location reaches closed, with its context in the callout events and the write-back mapped', async () => {
    const p = portfolio[9]!;
    const fixedId = await idOf(p.platformLocationId);
    await stack.sim_('PUT', '/__sim/autopilot', { enabled: true, stepMs: 1000, emitWebhooks: false });
    const alarm = {
      alarmId: 'A-1001',
      platformLocationId: p.platformLocationId,
      alarmType: 'BURGLARY',
      zone: '3 Back door',
      notes: 'Two zones triggered',
      test: true,
      references: { account: 'ACC-88231' },
    };
    const first = await stack.api('POST', '/v1/alarms', alarm);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.incidentId, 'alarm-A-1001');
    const second = await stack.api('POST', '/v1/alarms', alarm);
    assert.ok(second.status === 200 || second.status === 202);
    assert.equal(second.body.incidentId, 'alarm-A-1001');

    const done = await stack.incidentWhen('alarm-A-1001', (b) => b.status === 'closed', 30_000);
    assert.equal(done.phase, 'closed');
    const callouts = (await stack.sim_('GET', '/__sim/callouts')).filter((c: any) => c.id === done.auraCalloutId);
    assert.equal(callouts.length, 1);
    assert.equal(callouts[0].internalTest, true);
    const created = (await stack.sim_('GET', '/__sim/requests')).filter(
      (r: any) => r.method === 'POST' && r.path.includes('/externalRef/'),
    );
    assert.equal(created.length, 1, 'one Fixed Location callout create');
    assert.equal(created[0].path, `/panic-api/v2/predefinedLocations/externalRef/${p.platformLocationId}/callouts`);
    const events = callouts[0].incidentInformation[0].calloutEvents;
    assert.ok(events.length >= 1);
    const ctx = events[0].message as string;
    for (const s of [
      '[TEST]',
      'BURGLARY',
      'zone 3 Back door',
      'alarm A-1001',
      p.platformLocationId,
      p.name,
      'Two zones triggered',
      'account ACC-88231',
    ])
      assert.ok(ctx.includes(s), `${s} in ${ctx}`);
    if (p.gateInstructions) assert.ok(ctx.includes(p.gateInstructions));
    if (p.contactNotes) assert.ok(ctx.includes(p.contactNotes));
    assert.ok(fixedId > 0);

    const mine = await eventually(async () => {
      const m = platformEvents.filter((e) => e.incidentId === 'alarm-A-1001');
      return m.some((e) => e.action === 'lifecycle_closed') ? m : null;
    });
    assert.equal(mine[0].type, 'incident.aura_requested');
    assert.equal(mine[0].action, 'response_requested');
    const actions = mine.filter((e) => e.type === 'incident.status_changed').map((e) => e.action);
    assert.deepEqual(actions, [
      'response_requested',
      'responder_dispatched',
      'responder_on_location',
      'response_complete',
      'lifecycle_closed',
    ]);
    await stack.sim_('PUT', '/__sim/autopilot', { enabled: false });
  });

  it('the Schedule runs the reconciliation on its own', async () => {
    const before = (await stack.api('GET', '/v1/fixed-locations/sync/latest')).body.runId;
    await ensureFixedLocationSchedule(env.client, { taskQueue: stack.taskQueue, intervalMs: 1_000 });
    try {
      // Ticks come every second: the run that creates T1-NEW may already be followed by one that finds it, so the
      // test looks for the report that created it rather than the first new one it happens to read.
      const report = await eventually(async () => {
        const l = await stack.api('GET', '/v1/fixed-locations/sync/latest');
        return l.body.runId !== before &&
          (l.body.counts.created === 1 ||
            (await stack.api('GET', '/v1/platform-locations/T1-NEW')).body.auraFixedLocationIds?.length === 1)
          ? l.body
          : null;
      }, 20_000);
      assert.equal(report.status, 'completed', JSON.stringify(report));
      assert.deepEqual((await stack.api('GET', '/v1/platform-locations/T1-NEW')).body.auraFixedLocationIds.length, 1); // T1-NEW, once
    } finally {
      await ensureFixedLocationSchedule(env.client, { taskQueue: stack.taskQueue, intervalMs: 0 });
    }
  });
});

describe('Fixed Location reconciliation (csv mode)', () => {
  let stack: Stack;
  const portfolio = samplePortfolio(20, 12, 'C1');
  before(async () => {
    stack = await startStack(env, { fixedLocations: { mode: 'csv', maxDeleteShare: 0.25 } });
  });
  after(() => stack.close());

  it('uploads the whole portfolio, handles the callback, and deletes only what the file leaves out', async () => {
    await putAll(stack, portfolio);
    // AURA already holds ten of the platform's sites (one of them under an old name) and two the platform does not
    // know: the file deletes 2 of 12 (16.7%), within the 25% limit.
    const p0 = portfolio[0]!;
    for (const p of portfolio.slice(0, 10)) {
      await panic(stack, 'POST', '/v2/predefinedLocations', {
        externalReferenceId: p.platformLocationId,
        locationIdentifier: p.platformLocationId,
        locationDescription: p === p0 ? 'Old name' : p.name,
        formattedAddress: p.address,
        latitude: p.latitude.toFixed(6),
        longitude: p.longitude.toFixed(6),
      });
    }
    for (const ref of ['X-1', 'X-2'])
      await panic(stack, 'POST', '/v2/predefinedLocations', {
        externalReferenceId: ref,
        locationIdentifier: ref,
        latitude: '-26.2',
        longitude: '28.1',
      });

    const report = await sync(stack);
    assert.equal(report.mode, 'csv-import');
    assert.equal(report.status, 'completed', JSON.stringify({ counts: report.counts, message: report.message }));
    assert.equal(report.importResult.received, true);
    assert.deepEqual(
      { ...report.counts },
      { platform: 20, aura: 12, matched: 20, created: 10, updated: 1, deleted: 2, missing: 0, duplicates: 0 },
    );
    const imports = await stack.sim_('GET', '/__sim/fixed-location-imports');
    assert.equal(imports.length, 1);
    assert.equal(imports[0].rows, 20);
    assert.match(imports[0].callbackUrl, /\/callbacks\/aura\/fixed-location-import\//);
    const sim = await simLocations(stack);
    assert.deepEqual(sim.map((f) => f.externalReferenceId).sort(), portfolio.map((p) => p.platformLocationId).sort());
    assert.equal(sim.find((f) => f.externalReferenceId === p0.platformLocationId).locationDescription, p0.name);
    const gone = issuesOf(report, 'MISSING_IN_PLATFORM');
    assert.deepEqual(gone.map((i: any) => i.externalReferenceId).sort(), ['X-1', 'X-2']);
    assert.match(gone[0].detail, /deleted by the CSV import/);
    // The index follows: alarms on these sites resolve.
    const r = await stack.api('GET', `/v1/platform-locations/${portfolio[5]!.platformLocationId}`);
    assert.equal(r.body.auraFixedLocationIds.length, 1);
  });

  it('refuses a file that would delete too much, and uploads it only with the explicit override', async () => {
    for (const p of portfolio.slice(0, 10)) await stack.api('DELETE', `/v1/platform-locations/${p.platformLocationId}`);
    const refused = await sync(stack);
    assert.equal(refused.status, 'refused');
    assert.match(refused.message, /would delete 10 of AURA's 20/);
    assert.equal(refused.counts.deleted, 0);
    assert.equal((await stack.sim_('GET', '/__sim/fixed-location-imports')).length, 1, 'nothing uploaded');
    assert.equal((await simLocations(stack)).length, 20);

    const forced = await sync(stack, { overrideDeleteLimit: true });
    assert.equal(forced.status, 'completed');
    assert.equal(forced.counts.deleted, 10);
    assert.equal((await simLocations(stack)).length, 10);
  });

  it('a callback with a forged signature is refused', async () => {
    const r = await stack.api(
      'POST',
      '/callbacks/aura/fixed-location-import/some-workflow/some-run/0123456789abcdef0123456789abcdef',
      { status: 'COMPLETED' },
    );
    assert.equal(r.status, 401);
  });
});

describe('Fixed Location reconciliation (csv mode, callback lost)', () => {
  let stack: Stack;
  before(async () => {
    // The callback URL points nowhere: AURA's one attempt fails, and the workflow goes on after its timeout.
    stack = await startStack(env, {
      fixedLocations: { mode: 'csv', callbackBaseUrl: 'http://127.0.0.1:9', callbackTimeoutMs: 4_000 },
    });
  });
  after(() => stack.close());

  it('reconciles by listing AURA when the callback never comes', async () => {
    await putAll(stack, samplePortfolio(5, 13, 'L1'));
    const report = await sync(stack);
    assert.equal(report.status, 'completed');
    assert.equal(report.importResult.received, false);
    assert.match(report.message, /did not call back/);
    assert.equal(report.counts.created, 5);
    assert.equal((await simLocations(stack)).length, 5);
    assert.equal((await stack.sim_('GET', '/__sim/fixed-location-imports'))[0].callbackStatus, 'failed');
  });

  it('a scheduled tick while a reconciliation runs is skipped (one at a time)', async () => {
    const r = await stack.api('POST', '/v1/fixed-locations/sync', {});
    assert.equal(r.status, 202);
    const joined = await stack.api('POST', '/v1/fixed-locations/sync', {});
    assert.equal(joined.body.runId, r.body.runId, 'an on-demand request joins the running reconciliation');
    // The reconciliation now waits 4 s for a callback that never comes; the Schedule's first tick fires at once.
    const scheduleId = await ensureFixedLocationSchedule(env.client, {
      taskQueue: stack.taskQueue,
      intervalMs: 3_600_000,
    });
    try {
      const tick = await eventually(
        async () =>
          (await env.client.schedule.getHandle(scheduleId!).describe()).info.recentActions[0]?.action.workflow
            .workflowId,
      );
      assert.deepEqual(await env.client.workflow.getHandle(tick).result(), { skipped: true });
    } finally {
      await ensureFixedLocationSchedule(env.client, { taskQueue: stack.taskQueue, intervalMs: 0 });
    }
    await env.client.workflow.getHandle(r.body.workflowId).result();
  });
});
