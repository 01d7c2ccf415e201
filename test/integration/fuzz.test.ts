// Hostile input: thousands of generated requests (fast-check) against the real API on a real stack: malformed and
// near-valid bodies, odd paths, methods and headers. No answer may be a 5xx, and every 4xx carries the contract's
// error body {error: {code, message}}.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, startTemporal, WEBHOOK_TOKEN, type Stack } from '../helpers/stack.js';

let env: TestWorkflowEnvironment;
let stack: Stack;
let sent = 0;
const fiveHundreds: string[] = [];
const badErrorBodies: string[] = [];

before(async () => {
  env = await startTemporal();
  stack = await startStack(env, { pollIntervalMs: 1000 });
});
after(async () => {
  console.log(
    `fuzz: ${sent} requests sent, ${fiveHundreds.length} answered 5xx, ${badErrorBodies.length} 4xx without the error body`,
  );
  await stack?.close();
  await env?.teardown();
});

async function send(
  method: string,
  path: string,
  body: string | undefined,
  headers: Record<string, string>,
): Promise<number> {
  sent++;
  let res: Response;
  try {
    res = await fetch(stack.apiUrl + path, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
    });
  } catch (err) {
    // An invalid header value or URL is refused by fetch itself before anything is sent: not a server answer.
    if (err instanceof TypeError) return 0;
    throw err;
  }
  const text = await res.text();
  const what = `${method} ${path} ${JSON.stringify(headers).slice(0, 200)} ${String(body).slice(0, 200)} -> ${res.status} ${text.slice(0, 200)}`;
  if (res.status >= 500) fiveHundreds.push(what);
  else if (res.status >= 400 && method !== 'HEAD') {
    try {
      const b = JSON.parse(text);
      if (typeof b?.error?.code !== 'string' || typeof b?.error?.message !== 'string') badErrorBodies.push(what);
    } catch {
      badErrorBodies.push(what);
    }
  }
  return res.status;
}

const json = { 'content-type': 'application/json' };
const live = { latitude: -26.1, longitude: 28.05 };

// Values of every JSON type, including the awkward ones (huge numbers, deep nesting, odd strings).
const anyJson = fc.jsonValue({ maxDepth: 4 });
const oddString = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '../..', '%00', '\u0000', 'a'.repeat(300), '💥', '<script>', "' OR 1=1 --"),
);
const oddNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 1.5));

// A near-valid create body: start from a valid one and break one or two fields.
const createBody = fc.record(
  {
    incidentId: fc.oneof(oddString, fc.constant(undefined)),
    customerId: fc.oneof(oddNumber, oddString, fc.constant(null)),
    responseType: fc.oneof(oddString, fc.constant('SECURITY')),
    responseTypeId: fc.oneof(oddNumber, oddString),
    location: fc.oneof(
      fc.constant(live),
      fc.record({ latitude: fc.oneof(oddNumber, oddString), longitude: fc.oneof(oddNumber, oddString) }),
      anyJson,
    ),
    predefinedLocationId: fc.oneof(oddNumber, oddString),
    notes: fc.oneof(oddString, fc.constant('x'.repeat(3000))),
    test: fc.oneof(fc.boolean(), oddString),
    extra: anyJson,
  },
  { requiredKeys: [] },
);

describe('fuzzing the intake API and the receiver', () => {
  it('create bodies: malformed, near-valid and of the wrong type', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(createBody, anyJson), async (body) => {
        await send('POST', '/v1/callouts', JSON.stringify(body), json);
      }),
      { numRuns: 1200, seed: 20261123 },
    );
  });

  it('raw bodies that are not JSON, and wrong content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.constantFrom('{', '{"a":', '[1,2', 'null', '""', '{"customerId": 1e999}', '\u0000\u0001'),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          '',
        ),
        fc.constantFrom(
          '/v1/callouts',
          '/v1/callouts/fz-1/location',
          '/v1/callouts/fz-1/notes',
          '/v1/callouts/fz-1/cancel',
          '/v1/callouts/fz-1/rating',
        ),
        async (body, type, path) => {
          await send('POST', path, body, type ? { 'content-type': type } : {});
        },
      ),
      { numRuns: 600, seed: 7 },
    );
  });

  it('operations on a real incident with random bodies', async () => {
    const customerId = await stack.newCustomer();
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'fz-real', customerId, location: live });
    assert.equal(r.status, 202);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('location', 'notes', 'cancel', 'rating'),
        fc.oneof(
          anyJson,
          fc.record({ latitude: oddNumber, longitude: oddNumber }),
          fc.record({ text: oddString }),
          fc.record({ safeCode: oddString, reasons: fc.array(oddString) }),
          fc.record({ rating: oddNumber, comment: oddString }),
        ),
        async (op, body) => {
          await send('POST', `/v1/callouts/fz-real/${op}`, JSON.stringify(body), json);
        },
      ),
      { numRuns: 400, seed: 11 },
    );
  });

  it('paths, methods, query strings and headers', async () => {
    const segment = fc.oneof(
      oddString.map((s) => encodeURIComponent(s)),
      fc.constantFrom('%', '%E0%A4%A', '..', '%2e%2e', ';', '~', 'fz-1'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.array(segment, { minLength: 0, maxLength: 4 }),
        fc.constantFrom('/v1/callouts', '/v1', '/webhooks', '', '/v1/callouts/fz-1'),
        fc.dictionary(
          oddString.map((s) => encodeURIComponent(s)),
          oddString.map((s) => encodeURIComponent(s)),
          { maxKeys: 3 },
        ),
        fc.dictionary(
          fc.constantFrom(
            'x-request-id',
            'accept',
            'content-type',
            'authorization',
            'x-forwarded-for',
            'content-encoding',
          ),
          fc.string({ maxLength: 100 }),
          { maxKeys: 3 },
        ),
        async (method, segments, prefix, query, headers) => {
          const qs = new URLSearchParams(query).toString();
          await send(method, `${prefix}/${segments.join('/')}${qs ? `?${qs}` : ''}`, '{}', headers);
        },
      ),
      { numRuns: 800, seed: 3 },
    );
    // Query parameters of the list route, specifically.
    await fc.assert(
      fc.asyncProperty(oddString, oddString, async (status, limit) => {
        await send(
          'GET',
          `/v1/callouts?status=${encodeURIComponent(status)}&limit=${encodeURIComponent(limit)}`,
          undefined,
          {},
        );
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('webhook bodies, with and without credentials', async () => {
    const callout = fc.record(
      { id: fc.oneof(oddNumber, oddString), status: fc.oneof(oddString, fc.constant('Responder Dispatched')) },
      { requiredKeys: [] },
    );
    const message = fc.oneof(
      oddString,
      fc.constantFrom(
        'NEW_CALLOUT',
        'CALLOUT_CLOSED',
        'SUBSCRIPTION_UPDATED',
        'CREATED_CUSTOMER',
        'RESPONDER_ARRIVED_ON_SCENE',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record(
            { message, callout: fc.oneof(callout, anyJson), customer: anyJson, subscription: anyJson },
            { requiredKeys: [] },
          ),
          anyJson,
        ),
        fc.constantFrom(
          `Bearer ${WEBHOOK_TOKEN}`,
          `Bearer ${WEBHOOK_TOKEN} `,
          'Bearer',
          '',
          WEBHOOK_TOKEN,
          `bearer ${WEBHOOK_TOKEN}`,
        ),
        async (body, auth) => {
          await send('POST', '/webhooks/aura', JSON.stringify(body), auth ? { ...json, authorization: auth } : json);
        },
      ),
      { numRuns: 800, seed: 13 },
    );
  });

  it('no answer was a 5xx, and every 4xx carried the contract error body', () => {
    assert.ok(sent >= 3000, `${sent} requests sent`);
    assert.deepEqual(fiveHundreds.slice(0, 10), []);
    assert.deepEqual(badErrorBodies.slice(0, 10), []);
  });
});
