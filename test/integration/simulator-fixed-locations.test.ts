// The simulator's Fixed Locations as the Panic API reference documents them, through the project's AURA client and
// raw HTTP: shapes, paging, the Fixed Location callout (unknown reference: 400 with the detail in `message`), and
// the CSV import as a full sync with its callback.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AuraClient } from '../../src/aura/client.js';
import { AuraError } from '../../src/aura/errors.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';
import { eventually } from '../helpers/stack.js';

describe('simulator: Fixed Locations', () => {
  let sim: RunningSimulator;
  let aura: AuraClient;
  let receiver: Server;
  const callbacks: any[] = [];
  const raw = async (method: string, path: string, body?: unknown, token = 'dev-token') => {
    const res = await fetch(sim.url + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  before(async () => {
    sim = await startSimulator({ fixedLocationImportDelayMs: 50 });
    aura = new AuraClient({ baseUrl: sim.panicApiUrl, clientId: 'dev-client', clientSecret: 'dev-secret' });
    receiver = createServer((req, res) => {
      let b = '';
      req.on('data', (c) => (b += c));
      req.on('end', () => {
        callbacks.push(JSON.parse(b));
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  });
  after(async () => {
    await sim.close();
    receiver.close();
  });

  it('creates with string coordinates and the dotted calloutLocationType keys; validates; needs a token', async () => {
    const r = await raw('POST', '/panic-api/v2/predefinedLocations', {
      externalReferenceId: 'site_9944',
      locationIdentifier: 'site_9944',
      locationDescription: 'Downtown Branch',
      latitude: '-26.12345',
      longitude: '28.12345',
      formattedAddress: '123 Main Street, Johannesburg',
      calloutLocationTypeId: 3,
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.latitude, '-26.12345');
    assert.equal(r.body.customerSourceId, 591);
    assert.ok('calloutLocationType.id' in r.body);
    assert.equal(
      (
        await raw('POST', '/panic-api/v2/predefinedLocations', {
          externalReferenceId: 'x',
          locationIdentifier: 'x',
          latitude: 'north',
          longitude: '1',
        })
      ).status,
      400,
    );
    const noToken = await raw('GET', '/panic-api/v2/predefinedLocations', undefined, '');
    assert.equal(noToken.status, 401);
    assert.deepEqual(noToken.body, { errors: 'No authorization token was found' });
  });

  it('lists page by page, updates in both reference generations, deletes', async () => {
    for (let i = 0; i < 4; i++)
      await aura.createFixedLocation({
        externalReferenceId: `pg-${i}`,
        locationIdentifier: `pg-${i}`,
        latitude: '-26.1',
        longitude: '28.0',
      });
    const p1 = await aura.listFixedLocations(1, 2);
    const p3 = await aura.listFixedLocations(3, 2);
    assert.equal(p1.items.length, 2);
    assert.equal(p1.total, 5);
    assert.equal(p1.totalPages, 3);
    assert.equal(p3.items.length, 1);
    const id = p1.items[1]!.id;
    await aura.updateFixedLocation(id, {
      externalReferenceId: 'pg-0',
      name: 'A-style name',
      address: 'A-style address',
      latitude: -26.2,
    });
    const got = await raw('GET', `/panic-api/v2/predefinedLocations/${id}`);
    assert.equal(got.body.locationDescription, 'A-style name');
    assert.equal(got.body.formattedAddress, 'A-style address');
    assert.equal((await raw('DELETE', `/panic-api/v2/predefinedLocations/${id}`)).status, 200);
    assert.equal((await raw('GET', `/panic-api/v2/predefinedLocations/${id}`)).status, 404);
    assert.equal((await aura.listFixedLocations(1, 50)).total, 4);
  });

  it('creates a Fixed Location callout by external reference; an unknown reference is 400 with the detail in message', async () => {
    const created = await aura.createFixedLocationCallout('site_9944', { responseTypeId: 1, internalTest: true });
    assert.equal(created.existing, false);
    assert.equal(created.callout.status, 'created');
    const again = await aura.createFixedLocationCallout('site_9944', {});
    assert.equal(again.existing, true);
    assert.equal(again.callout.id, created.callout.id);
    const empty = await raw('POST', '/panic-api/v2/predefinedLocations/externalRef/pg-2/callouts');
    assert.equal(empty.status, 201, 'the body is optional');
    assert.equal(empty.body.externalReferenceId, 'pg-2');
    await assert.rejects(
      () => aura.createFixedLocationCallout('nope', {}),
      (err: unknown) => err instanceof AuraError && err.status === 400 && /nope/.test(err.auraMessage ?? ''),
    );
  });

  it('imports a CSV as a full sync and POSTs the result to the callback; refuses a plain-HTTP non-loopback callback', async () => {
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/cb`;
    const csv =
      'externalReferenceId,locationIdentifier,locationDescription,formattedAddress,latitude,longitude\nsite_9944,site_9944,Downtown Branch,"123 Main Street, Johannesburg",-26.12345,28.12345\nnew-1,new-1,New,1 Road,-26.3,28.3\nbad,,,,,\n';
    const r = await aura.uploadFixedLocationsCsv({ csv, callbackUrl });
    assert.match(r.message ?? '', /asynchronously/);
    const cb = await eventually(async () => callbacks[0]);
    assert.deepEqual(
      { created: cb.created, updated: cb.updated, deleted: cb.deleted, failed: cb.failed },
      { created: 1, updated: 0, deleted: 3, failed: 1 },
    );
    const refs = (await aura.listFixedLocations(1, 50)).items.map((f) => f.externalReferenceId).sort();
    assert.deepEqual(refs, ['new-1', 'site_9944']);
    await assert.rejects(
      () => aura.uploadFixedLocationsCsv({ csv, callbackUrl: 'http://example.com/cb' }),
      (err: unknown) => err instanceof AuraError && err.status === 400,
    );
  });
});
