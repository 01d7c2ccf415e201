// "Get a callout map" (GET /v2/callouts/:calloutId/maps) through the real Panic API client against the real simulator
// over HTTP: the endpoint declared in src/aura/resources/callouts.ts, served by src/simulator/routers/callouts.ts.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AuraClient } from '../../src/aura/client.js';
import { AuraNotFoundError } from '../../src/aura/errors.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';

let sim: RunningSimulator;
let aura: AuraClient;

async function simCall(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(sim.url + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

before(async () => {
  sim = await startSimulator({});
  // The OAuth exchange with the development credentials, as `npm run dev` configures the client.
  aura = new AuraClient({
    baseUrl: sim.panicApiUrl,
    clientId: 'dev-client',
    clientSecret: 'dev-secret',
    timeoutMs: 5_000,
  });
});
after(async () => {
  await sim.close();
});
beforeEach(async () => {
  await simCall('POST', '/__sim/reset');
});

describe('getCalloutMap', () => {
  it('reads the map of a closed callout; an open or unknown callout is 404', async () => {
    const { callout } = await aura.createCustomerCallout({
      customerId: 184708,
      responseTypeId: 1,
      location: { latitude: -26.10911, longitude: 28.053037 },
    });

    await assert.rejects(aura.getCalloutMap(callout.id), AuraNotFoundError, 'no map while the callout is open');

    await simCall('POST', `/__sim/callouts/${callout.id}/status`, { status: 'closed', webhook: false });
    const map = await aura.getCalloutMap(callout.id);
    assert.match(map.url, new RegExp(`/maps/callouts/${callout.id}/map\\.png$`));
    assert.equal(map.image, null);

    await assert.rejects(aura.getCalloutMap(999_999_999), AuraNotFoundError);

    const requests = (await simCall('GET', '/__sim/requests')) as { method: string; path: string; status: number }[];
    const maps = requests.filter((r) => r.method === 'GET' && r.path.endsWith('/maps'));
    assert.deepEqual(
      maps.map((r) => [r.path, r.status]),
      [
        [`/panic-api/v2/callouts/${callout.id}/maps`, 404],
        [`/panic-api/v2/callouts/${callout.id}/maps`, 200],
        ['/panic-api/v2/callouts/999999999/maps', 404],
      ],
    );
  });
});
