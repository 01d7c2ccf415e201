// The OpenAPI document: valid OpenAPI 3.1 by a real validator, and covering every contract route the app serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Client } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import { FixedLocationStore } from '../../src/fixed-locations/store.js';
import { createLogger } from '../../src/logger.js';

/** Contract §1, every route. */
const CONTRACT_ROUTES = [
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /metrics',
  'POST /v1/callouts',
  'GET /v1/callouts',
  'GET /v1/callouts/:incidentId',
  'POST /v1/callouts/:incidentId/location',
  'POST /v1/callouts/:incidentId/cancel',
  'POST /v1/callouts/:incidentId/notes',
  'POST /v1/callouts/:incidentId/rating',
  'POST /v1/alarms',
  'PUT /v1/platform-locations/:platformLocationId',
  'DELETE /v1/platform-locations/:platformLocationId',
  'POST /v1/fixed-locations/sync',
  'GET /v1/fixed-locations/sync/latest',
  'POST /webhooks/aura',
];

/**
 * PENDING: contract routes not built yet (none now). They may be absent from the app; once one is served it must be
 * documented like any other (its router calls documentRoute), and should leave this list.
 */
const PENDING_ROUTES = new Set<string>([]);

const SAMPLE_PARAMS: Record<string, string> = {
  incidentId: 'probe-1',
  customerRef: 'probe-ref',
  platformLocationId: 'probe-loc',
};

// The app is built with a client that cannot reach Temporal: every route then answers 400/401/503 rather than
// the router's 404 NOT_FOUND, which is how a served route is told from an absent one.
const unreachable = new Proxy(
  {},
  {
    get: () => {
      throw new Error('no Temporal in this test');
    },
  },
) as unknown as Client;

async function withApp<T>(fn: (url: string) => Promise<T>): Promise<T> {
  // Every optional router mounted, as the service mounts them; the adapter's store has no database behind it (a route
  // that reaches it answers 500, still not the router's 404).
  const noDatabase = () => Promise.reject(new Error('no database in this test'));
  const app = createApp({
    fixedLocations: {
      store: new FixedLocationStore({ query: noDatabase, connect: noDatabase }),
      callbackSecret: 'openapi-test-callback-secret',
    },
    client: unreachable,
    taskQueue: 'openapi-test',
    namespace: 'default',
    log: createLogger({ level: 'silent' }),
    webhookToken: 'openapi-test-token',
    responseTypes: { SECURITY: 1 },
    auraBaseUrl: 'http://127.0.0.1:4010/panic-api',
  });
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  try {
    return await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

async function served(url: string, route: string): Promise<boolean> {
  const [method, path] = route.split(' ') as [string, string];
  const concrete = path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => SAMPLE_PARAMS[name] ?? 'probe');
  const res = await fetch(url + concrete, {
    method,
    ...(method === 'GET' || method === 'DELETE' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
  });
  const text = await res.text();
  if (res.status !== 404) return true;
  try {
    return JSON.parse(text)?.error?.code !== 'NOT_FOUND';
  } catch {
    return true;
  }
}

const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

test('unit: /openapi.json is a valid OpenAPI 3.1 document (real validator) and /docs renders it', async () => {
  await withApp(async (url) => {
    const res = await fetch(`${url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as any;
    assert.equal(doc.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.equal(result.valid, true, `OpenAPI validation errors: ${JSON.stringify(result.errors, null, 2)}`);
    assert.equal(validator.version, '3.1');

    const docs = await fetch(`${url}/docs`);
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    const html = await docs.text();
    for (const path of Object.keys(doc.paths))
      assert.ok(html.includes(path.replace(/&/g, '&amp;')), `/docs lists ${path}`);
  });
});

test('unit: every contract route the app serves is in the OpenAPI document; only pending routes may be absent', async () => {
  await withApp(async (url) => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as any;
    const missingFromApp: string[] = [];
    const undocumented: string[] = [];
    const pendingServed: string[] = [];
    for (const route of CONTRACT_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      const isServed = await served(url, route);
      if (!isServed) {
        if (!PENDING_ROUTES.has(route)) missingFromApp.push(route);
        continue;
      }
      if (PENDING_ROUTES.has(route)) pendingServed.push(route);
      if (!doc.paths?.[toOpenApiPath(path)]?.[method.toLowerCase()]) undocumented.push(route);
    }
    assert.deepEqual(missingFromApp, [], 'contract routes not served by the app (and not marked pending)');
    assert.deepEqual(undocumented, [], 'routes served by the app but missing from /openapi.json');
    if (pendingServed.length)
      console.log(`[openapi] served and documented, can leave PENDING_ROUTES: ${pendingServed.join(', ')}`);
  });
});

test('unit: every documented operation has an id, declares its path parameters, and gives examples', async () => {
  await withApp(async (url) => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as any;
    const ids = new Set<string>();
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries<any>(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(op.operationId, `${where} has an operationId`);
        assert.ok(!ids.has(op.operationId), `${where}: operationId ${op.operationId} is unique`);
        ids.add(op.operationId);
        const declared = (op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name);
        assert.deepEqual(declared.sort(), [...pathParams].sort(), `${where} declares its path parameters`);
        const body = op.requestBody?.content?.['application/json'];
        if (body) assert.ok(body.example !== undefined, `${where} has a request example`);
        const ok = Object.entries<any>(op.responses).find(([s]) => s.startsWith('2'));
        assert.ok(ok, `${where} documents a 2xx response`);
        const json = ok[1].content?.['application/json'];
        if (json && !['/openapi.json'].includes(path))
          assert.ok(json.example !== undefined, `${where} has a response example`);
        for (const [status, r] of Object.entries<any>(op.responses)) {
          // /readyz's 503 is the contract's own {status, problems} shape.
          if (Number(status) >= 400 && path !== '/readyz')
            assert.equal(
              r.content?.['application/json']?.schema?.$ref,
              '#/components/schemas/Error',
              `${where} ${status} uses the Error body`,
            );
        }
      }
    }
    // The request schemas are the validating ones: a field the schema rejects is named in the document.
    const create = doc.paths['/v1/callouts'].post.requestBody.content['application/json'].schema;
    const resolved = create.$ref ? doc.components.schemas[create.$ref.split('/').pop()] : create;
    assert.deepEqual(
      Object.keys(resolved.properties).sort(),
      [
        'customerId',
        'incidentId',
        'location',
        'notes',
        'predefinedLocationId',
        'responseType',
        'responseTypeId',
        'test',
      ].sort(),
    );
    assert.equal(resolved.additionalProperties, false);
  });
});
