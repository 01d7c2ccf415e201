// The create activities (customer and Fixed Location callouts) against the simulator over HTTP, in a mocked activity
// context: the attempt number, the timeouts and cancellation are set by the test, so the cases a real retry policy
// reaches only after minutes (the last attempt) run in a second.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import { createCalloutActivities } from '../../src/activities/callouts.js';
import { createFixedLocationActivities } from '../../src/activities/fixed-locations.js';
import { defaultFixedLocationSettings } from '../../src/activities/fixed-locations/shared.js';
import { AuraClient, type AuraClientOptions } from '../../src/aura/client.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';

let sim: RunningSimulator;
let dataDir: string;
const live = { latitude: -26.10911, longitude: 28.053037 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  sim = await startSimulator({ fixedLocationCalloutDedupe: false, firstCalloutId: 700_000 });
  dataDir = mkdtempSync(join(tmpdir(), 'aura-create-activity-'));
});
after(async () => {
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await simCall('POST', '/__sim/reset');
});

async function simCall(method: string, path: string, body?: unknown, panic = false): Promise<any> {
  const res = await fetch((panic ? sim.panicApiUrl : sim.url) + path, {
    method,
    headers: { 'content-type': 'application/json', authorization: 'Bearer dev-token' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

function activitiesWith(over: Partial<AuraClientOptions> = {}) {
  const aura = new AuraClient({ baseUrl: sim.panicApiUrl, staticToken: 'dev-token', timeoutMs: 2_000, ...over });
  const deps = { aura, temporal: {} as Client, taskQueue: 't', workflowConfig: {} as never };
  return {
    aura,
    ...createCalloutActivities(deps),
    ...createFixedLocationActivities({ aura, settings: defaultFixedLocationSettings({}) }),
  };
}

/** Run an activity in a mocked context (typed: the mock's own signature does not infer the result). */
const runIn = <A extends unknown[], R>(
  env: MockActivityEnvironment,
  fn: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> => env.run(fn, ...args) as Promise<R>;

/** Activity info of an attempt: `attempt`, its start-to-close, and how much of the schedule-to-close is left. */
function info(attempt: number, opts: { startToCloseMs?: number; scheduleLeftMs?: number } = {}): Partial<Info> {
  const scheduleToCloseTimeoutMs = 15 * 60_000;
  const left = opts.scheduleLeftMs ?? scheduleToCloseTimeoutMs;
  return {
    attempt,
    startToCloseTimeoutMs: opts.startToCloseMs ?? 30_000,
    scheduleToCloseTimeoutMs,
    scheduledTimestampMs: Date.now() - (scheduleToCloseTimeoutMs - left),
    currentAttemptScheduledTimestampMs: Date.now(),
    heartbeatTimeoutMs: 5_000,
  };
}

async function fixedLocation(ref: string): Promise<number> {
  const f = await simCall(
    'POST',
    '/v2/predefinedLocations',
    { externalReferenceId: ref, locationIdentifier: ref, latitude: '-26.1', longitude: '28.05' },
    true,
  );
  return f.id as number;
}
/** The location's callouts, from AURA's list in the flat shape (which names the location), after clearing faults. */
async function calloutsAt(fixedLocationId: number): Promise<any[]> {
  await simCall('PUT', '/__sim/faults', {});
  return ((await simCall('GET', '/v2/callouts/activeCallouts', undefined, true)) as any[]).filter(
    (c) => c.predefinedLocationId === fixedLocationId,
  );
}
const requests = async (method: string, re: RegExp) =>
  ((await simCall('GET', '/__sim/requests')) as any[]).filter((r) => r.method === method && re.test(r.path));
const FIXED_CREATE = /\/predefinedLocations\/externalRef\/[^/]+\/callouts$/;

describe('create activities', () => {
  it('an alarm on a Fixed Location that has an active callout joins it, on the first attempt too (AURA documents no dedupe there)', async () => {
    const acts = activitiesWith();
    const id = await fixedLocation('SITE-JOIN');
    const first = await runIn(new MockActivityEnvironment(info(1)), acts.createFixedLocationCallout, {
      incidentId: 'alarm-1',
      externalReferenceId: 'SITE-JOIN',
      fixedLocationId: id,
      responseTypeId: 1,
    });
    const second = await runIn(new MockActivityEnvironment(info(1)), acts.createFixedLocationCallout, {
      incidentId: 'alarm-2',
      externalReferenceId: 'SITE-JOIN',
      fixedLocationId: id,
      responseTypeId: 1,
    });
    assert.equal(second.auraCalloutId, first.auraCalloutId);
    assert.equal(second.existing, true);
    assert.equal((await calloutsAt(id)).length, 1, 'one callout for the location');
  });

  it('alarms at once share the listing of active callouts, and two alarms at once on one location still make one callout', async () => {
    const acts = activitiesWith();
    const ids = await Promise.all(['SITE-A', 'SITE-B', 'SITE-C', 'SITE-D'].map(fixedLocation));
    const before = (await requests('GET', /\/activeCallouts$/)).length;
    const alarm = (ref: string, fixedLocationId: number, n: number) =>
      runIn(new MockActivityEnvironment(info(1)), acts.createFixedLocationCallout, {
        incidentId: `alarm-${ref}-${n}`,
        externalReferenceId: ref,
        fixedLocationId,
        responseTypeId: 1,
      });
    // Two alarms for SITE-A (the second looks only after the first's create), one for each of the others.
    const [a1, a2] = await Promise.all([
      alarm('SITE-A', ids[0]!, 1),
      alarm('SITE-A', ids[0]!, 2),
      alarm('SITE-B', ids[1]!, 1),
      alarm('SITE-C', ids[2]!, 1),
      alarm('SITE-D', ids[3]!, 1),
    ]);
    const listings = (await requests('GET', /\/activeCallouts$/)).length - before;
    assert.equal(a2.auraCalloutId, a1.auraCalloutId);
    for (const id of ids) assert.equal((await calloutsAt(id)).length, 1, `one callout at Fixed Location ${id}`);
    // Five looks: the first four share a listing (how many exactly depends on when each attempt gets there); the second
    // SITE-A alarm needs one sent after the first's create.
    assert.ok(listings >= 2 && listings < 5, `${listings} listings for 5 looks`);
  });

  it('a create whose answer was lost is looked up before the attempt gives up: even the last attempt finds the live callout', async () => {
    const acts = activitiesWith();
    const id = await fixedLocation('SITE-LAST');
    await simCall('PUT', '/__sim/faults', {
      routes: [
        { method: 'POST', path: '/panic-api/v2/predefinedLocations/externalRef/*/callouts', kind: 'lost', times: 1 },
      ],
    });
    // A minute of the schedule-to-close left: no further attempt would fit after this one.
    const env = new MockActivityEnvironment(info(4, { scheduleLeftMs: 60_000 }));
    const r = await runIn(env, acts.createFixedLocationCallout, {
      incidentId: 'alarm-last',
      externalReferenceId: 'SITE-LAST',
      fixedLocationId: id,
      responseTypeId: 1,
    });
    const [callout] = await calloutsAt(id);
    assert.equal(r.auraCalloutId, callout.id);
    assert.equal((await requests('POST', FIXED_CREATE)).length, 1);
  });

  it('a refused create (after a lost answer and failed lookups) is looked up once more before the incident fails', async () => {
    const acts = activitiesWith();
    const customer = await simCall(
      'POST',
      '/v2/customers',
      { customer: { name: 'T', surname: 'C', mobile: '+27820000001' }, subscription: { subscriptionTypeId: 12 } },
      true,
    );
    const customerId = customer.customer.id as number;
    // The callout exists (the earlier attempt's answer was lost); this attempt's lookups fail and AURA refuses the create.
    const existing = await simCall(
      'POST',
      `/v2/customers/${customerId}/callouts`,
      { responseTypeId: 1, location: live },
      true,
    );
    await simCall('PUT', '/__sim/faults', {
      routes: [
        { method: 'GET', path: '/panic-api/v2/customers/*/callouts', status: 404, times: 1 },
        { method: 'GET', path: '/panic-api/v2/callouts/activeCallouts', status: 404, times: 1 },
        {
          method: 'POST',
          path: '/panic-api/v2/customers/*/callouts',
          status: 400,
          body: { message: 'Invalid request' },
          times: 1,
        },
      ],
    });
    const r = await runIn(new MockActivityEnvironment(info(2)), acts.createCallout, {
      incidentId: 'i-refused',
      customerId,
      responseTypeId: 1,
      location: live,
    });
    assert.equal(r.auraCalloutId, existing.callout.id);
    assert.equal(r.existing, true);
  });

  it('an attempt cancelled while its create waits for the pacer never sends the create', async () => {
    const acts = activitiesWith({ maxRequestsPerSecond: 0.5 }); // a slot every 2 s
    const id = await fixedLocation('SITE-CANCEL');
    await acts.aura.getCallout(1).catch(() => undefined); // takes the slot
    const env = new MockActivityEnvironment(info(1));
    const run = runIn(env, acts.createFixedLocationCallout, {
      incidentId: 'alarm-cancel',
      externalReferenceId: 'SITE-CANCEL',
      fixedLocationId: id,
      responseTypeId: 1,
    });
    setTimeout(() => env.cancel(), 200);
    await assert.rejects(run);
    await sleep(2_500);
    assert.equal((await requests('POST', FIXED_CREATE)).length, 0, 'no create reached AURA after the cancellation');
    assert.equal((await calloutsAt(id)).length, 0);
  });

  it('an attempt that runs out of its start-to-close gives up before Temporal retries it, and never sends its create afterwards', async () => {
    const acts = activitiesWith({ maxRequestsPerSecond: 0.25, maxQueueWaitMs: 60_000 }); // a slot every 4 s
    const id = await fixedLocation('SITE-TIMEOUT');
    await acts.aura.getCallout(1).catch(() => undefined);
    const started = Date.now();
    await assert.rejects(
      runIn(new MockActivityEnvironment(info(1, { startToCloseMs: 2_500 })), acts.createFixedLocationCallout, {
        incidentId: 'alarm-timeout',
        externalReferenceId: 'SITE-TIMEOUT',
        fixedLocationId: id,
        responseTypeId: 1,
      }),
    );
    assert.ok(Date.now() - started < 2_500, 'the attempt ended within its start-to-close');
    await sleep(4_000);
    assert.equal((await requests('POST', FIXED_CREATE)).length, 0, 'no create reached AURA after the attempt ended');
  });

  it('heartbeats while it waits, so that Temporal can deliver a cancellation', async () => {
    const acts = activitiesWith({ maxRequestsPerSecond: 0.5 });
    const id = await fixedLocation('SITE-HB');
    await acts.aura.getCallout(1).catch(() => undefined);
    const env = new MockActivityEnvironment(info(1));
    let beats = 0;
    env.on('heartbeat', () => beats++);
    await runIn(env, acts.createFixedLocationCallout, {
      incidentId: 'alarm-hb',
      externalReferenceId: 'SITE-HB',
      fixedLocationId: id,
      responseTypeId: 1,
    });
    assert.ok(beats >= 1, `heartbeats: ${beats}`);
  });
});

describe('other activities that write to AURA', () => {
  it('a note still waiting for its pacer turn when its attempt runs out is never sent afterwards (Temporal sends it again)', async () => {
    const acts = activitiesWith({ maxRequestsPerSecond: 0.25, maxQueueWaitMs: 60_000 }); // a slot every 4 s
    const c = await simCall('POST', '/v2/customers/184708/callouts', { responseTypeId: 1, location: live }, true);
    await acts.aura.getCallout(1).catch(() => undefined);
    await assert.rejects(
      runIn(new MockActivityEnvironment(info(1, { startToCloseMs: 3_000 })), acts.sendCalloutEvent, {
        auraCalloutId: c.callout.id,
        message: 'Gate code 4411',
      }),
    );
    await sleep(4_500);
    assert.equal(
      (await requests('POST', /\/callouts\/\d+\/events$/)).length,
      0,
      'the note was not sent after its attempt ended',
    );
  });
});
