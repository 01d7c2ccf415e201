// Hostile bodies at POST /webhooks/aura (issue item 13): deep nesting, huge arrays, wrong types for ids and message,
// JSON scalars, empty bodies, odd content types. Every answer is a 2xx or a 4xx with the contract's error body, small,
// never a 5xx; the server keeps answering; the work a delivery can cause is bounded (nesting and size are refused
// before parsing, routing arrays are capped, error details are capped); customers' personal data never reaches a
// log line. A real Temporal dev server and the real app, as in receiver-hardening.test.ts.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import { startTemporal } from '../helpers/stack.js';

const TOKEN = 'hostile-token';
const MIB = 1024 * 1024;
/** Personal data planted in hostile customer bodies: it must never appear in a log line. */
const MEDICAL = 'HOSTILE-MEDICAL-DETAIL-7f3a';
const MOBILE = '+27821234567-hostile';

let env: TestWorkflowEnvironment;
let server: Server;
let base: string;
const logLines: string[] = [];

before(async () => {
  env = await startTemporal();
  // Everything the app logs, at the most verbose level, is kept to check for personal data.
  const log = createLogger({ level: 'trace', destination: { write: (line: string) => void logLines.push(line) } });
  const app = createApp({
    client: env.client,
    taskQueue: 'hostile',
    namespace: 'default',
    log,
    webhookToken: TOKEN,
    responseTypes: { SECURITY: 1 },
    customerRouteWaitMs: 0,
  });
  server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server?.closeAllConnections();
  server?.close();
  await env?.teardown();
});

interface Answer {
  status: number;
  text: string;
  body: any;
  ms: number;
}

/** Every case of an `it` is run; what went wrong is collected and reported together at the end. */
class Problems {
  readonly list: string[] = [];
  expect(ok: boolean, what: string): boolean {
    if (!ok) this.list.push(what);
    return ok;
  }
  assertNone(): void {
    assert.deepEqual(this.list, []);
  }
}

/** Deliver a raw body and check what every answer must satisfy, whatever the body. */
async function deliver(
  p: Problems,
  what: string,
  body: string | Buffer | undefined,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Answer> {
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(`${base}/webhooks/aura`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      body,
    });
  } catch (err) {
    p.expect(false, `${what}: no answer (${(err as Error).message})`);
    return { status: 0, text: '', body: null, ms: Date.now() - started };
  }
  const text = await res.text();
  const ms = Date.now() - started;
  const short = `${res.status} ${text.slice(0, 200)}`;
  p.expect(res.status >= 200 && res.status < 500, `${what}: answered ${short}`);
  // The answer stays small whatever the body: no error detail per array element.
  p.expect(text.length < 64 * 1024, `${what}: a ${text.length}-character answer`);
  let parsed: any = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    p.expect(false, `${what}: answer is not JSON: ${short}`);
  }
  if (res.status >= 400) {
    p.expect(
      /^[A-Z][A-Z0-9_]*$/.test(String(parsed?.error?.code)) && typeof parsed?.error?.message === 'string',
      `${what}: not the contract error body: ${short}`,
    );
  }
  return { status: res.status, text, body: parsed, ms };
}

/** The answer has this status and, for a 4xx, this error code. */
function expectAnswer(p: Problems, what: string, r: Answer, status: number, code?: string): boolean {
  return p.expect(
    r.status === status && (code === undefined || r.body?.error?.code === code),
    `${what}: expected ${status}${code ? ` ${code}` : ''}, answered ${r.status} ${r.text.slice(0, 200)}`,
  );
}

async function assertHealthy(): Promise<void> {
  const res = await fetch(`${base}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok' });
}

function withinLimit(what: string, body: string): string {
  assert.ok(
    Buffer.byteLength(body) <= MIB,
    `${what}: the hostile body itself must fit the 1 MiB limit (${Buffer.byteLength(body)} bytes)`,
  );
  return body;
}

const DEPTHS = [5_000, 100_000];
const SHAPES: Record<string, (n: number, inner?: string) => string> = {
  arrays: (n, inner = '1') => '['.repeat(n) + inner + ']'.repeat(n),
  objects: (n, inner = '1') => '{"a":'.repeat(n) + inner + '}'.repeat(n),
};

/** Where a deep value is placed: everywhere the receiver (and the code behind it) looks, and where it does not. */
const PLACES: Record<string, (deep: string) => string> = {
  'the whole body': (d) => d,
  message: (d) => `{"message":${d}}`,
  'an unknown field of a callout event': (d) =>
    `{"message":"NEW_CALLOUT","callout":{"id":720001,"status":"created"},"extra":${d}}`,
  callout: (d) => `{"message":"NEW_CALLOUT","callout":${d}}`,
  'an unknown field inside callout': (d) =>
    `{"message":"NEW_CALLOUT","callout":{"id":720002,"status":"created","extra":${d}}}`,
  'callout.incidentInformation': (d) => `{"message":"NEW_CALLOUT","callout":{"id":720003,"incidentInformation":${d}}}`,
  'the responder ETA': (d) =>
    `{"message":"RESPONDER_ACKNOWLEDGED_CALLOUT","callout":{"id":720004,"status":"Responder Dispatched","incidentInformation":[{"dispatchInformation":{"calloutResponseEta":${d}}}]}}`,
  'the responder location': (d) =>
    `{"message":"RESPONDER_LOCATION_CHANGED","callout":{"id":720005,"incidentInformation":[{"dispatchInformation":{"responder":{"callsign":"R1","responderLocation":{"latitude":-26.1,"longitude":28.05,"extra":${d}}}}}]}}`,
  'the responder route': (d) =>
    `{"message":"RESPONDER_LOCATION_CHANGED","callout":{"id":720006,"incidentInformation":[{"dispatchInformation":{"responderRoute":${d}}}]}}`,
  'an unknown field of a customer': (d) =>
    `{"message":"UPDATED_CUSTOMER","customer":{"id":720007,"mobile":"${MOBILE}","medicalConditions":"${MEDICAL}","extra":${d}}}`,
  'customer.subscriptions': (d) =>
    `{"message":"CREATED_CUSTOMER","customer":{"id":720008,"medicalConditions":"${MEDICAL}","subscriptions":${d}}}`,
  subscription: (d) => `{"message":"SUBSCRIPTION_UPDATED","subscription":${d}}`,
  links: (d) => `{"message":"SUBSCRIPTION_UPDATED","subscription":{"id":720009},"links":${d}}`,
};

/** A JSON array of as many copies of `element` as fit, with its wrapper, in just under 1 MiB. */
function hugeArray(wrap: (arr: string) => string, element: string): string {
  const room = MIB - Buffer.byteLength(wrap('[]')) - 16;
  const n = Math.floor(room / (element.length + 1));
  return wrap(`[${Array(n).fill(element).join(',')}]`);
}

describe('hostile bodies at POST /webhooks/aura', () => {
  it('deep nesting (5,000 and 100,000 levels) anywhere in the body is refused with 400 before any parsing', async () => {
    const p = new Problems();
    for (const depth of DEPTHS) {
      for (const [shape, nest] of Object.entries(SHAPES)) {
        for (const [place, wrap] of Object.entries(PLACES)) {
          const what = `${depth} levels of ${shape} in ${place}`;
          const r = await deliver(p, what, withinLimit(what, wrap(nest(depth))));
          expectAnswer(p, what, r, 400, 'JSON_TOO_COMPLEX');
          if (place === 'an unknown field inside callout' || place === 'the responder ETA')
            console.log(`${what}: answered ${r.status} in ${r.ms} ms`);
        }
      }
      // The one leniency (a trailing comma) does not open a way around the bound.
      const what = `${depth} levels of arrays with a trailing comma inside`;
      expectAnswer(
        p,
        what,
        await deliver(p, what, withinLimit(what, SHAPES.arrays!(depth, '1,'))),
        400,
        'JSON_TOO_COMPLEX',
      );
    }
    await assertHealthy();
    p.assertNone();
  });

  it('nesting as deep as real payloads get (and well beyond) is still accepted', async () => {
    const p = new Problems();
    const r = await deliver(
      p,
      '40 levels in an unknown field',
      `{"message":"NEW_CALLOUT","callout":{"id":720010,"status":"created","extra":${SHAPES.objects!(40)}}}`,
    );
    expectAnswer(p, '40 levels in an unknown field', r, 200);
    p.expect(r.body?.status === 'accepted', `40 levels: ${r.text}`);
    expectAnswer(
      p,
      'an ETA object 20 levels deep',
      await deliver(p, 'an ETA object 20 levels deep', PLACES['the responder ETA']!(SHAPES.objects!(20))),
      200,
    );
    await assertHealthy();
    p.assertNone();
  });

  it('huge arrays (1 MiB of small elements) at the top level and inside the payload are refused with 400', async () => {
    const p = new Problems();
    const cases: Record<string, string> = {
      'the whole body': hugeArray((a) => a, '0'),
      'the whole body, of objects': hugeArray((a) => a, '{"message":"NEW_CALLOUT"}'),
      callout: hugeArray((a) => `{"message":"NEW_CALLOUT","callout":${a}}`, '0'),
      'an unknown field': hugeArray(
        (a) => `{"message":"NEW_CALLOUT","callout":{"id":720011,"status":"created"},"extra":${a}}`,
        '0',
      ),
      'callout.incidentInformation, of numbers': hugeArray(
        (a) => `{"message":"NEW_CALLOUT","callout":{"id":720012,"incidentInformation":${a}}}`,
        '0',
      ),
      'callout.incidentInformation, of objects': hugeArray(
        (a) => `{"message":"NEW_CALLOUT","callout":{"id":720013,"incidentInformation":${a}}}`,
        '{}',
      ),
      calloutEvents: hugeArray(
        (a) =>
          `{"message":"CALLOUT_EVENTS_CHANGED","callout":{"id":720014,"incidentInformation":[{"calloutEvents":${a}}]}}`,
        '0',
      ),
      'the responder route': hugeArray((a) => PLACES['the responder route']!(a), '[1,2]'),
      subscription: hugeArray((a) => `{"message":"SUBSCRIPTION_UPDATED","subscription":${a}}`, '{"id":720015}'),
      links: hugeArray(
        (a) => `{"message":"SUBSCRIPTION_UPDATED","subscription":{"id":720016},"links":${a}}`,
        '{"customerId":720017,"subscriptionId":720016}',
      ),
      'customer.subscriptions': hugeArray(
        (a) =>
          `{"message":"UPDATED_CUSTOMER","customer":{"id":720018,"medicalConditions":"${MEDICAL}","subscriptions":${a}}}`,
        '{"id":1}',
      ),
    };
    for (const [place, body] of Object.entries(cases)) {
      const what = `a 1 MiB array in ${place}`;
      const r = await deliver(p, what, withinLimit(what, body));
      expectAnswer(p, what, r, 400, 'JSON_TOO_COMPLEX');
      console.log(`${what}: answered ${r.status} (${r.text.length} characters) in ${r.ms} ms`);
    }
    await assertHealthy();
    p.assertNone();
  });

  it('arrays under the size bound: routing arrays are capped, error details are capped, other arrays accepted', async () => {
    const p = new Problems();
    const ids = (n: number, f: (i: number) => string) => `[${Array.from({ length: n }, (_, i) => f(i)).join(',')}]`;
    // Each id of a subscription or link is a Temporal lookup: more than any customer has is refused, naming the field.
    for (const [path, body] of [
      ['subscription', `{"message":"SUBSCRIPTION_UPDATED","subscription":${ids(2000, (i) => `{"id":${730000 + i}}`)}}`],
      [
        'links',
        `{"message":"SUBSCRIPTION_UPDATED","subscription":{"id":720020},"links":${ids(2000, (i) => `{"customerId":${740000 + i},"subscriptionId":720020}`)}}`,
      ],
      [
        'customer.subscriptions',
        `{"message":"UPDATED_CUSTOMER","customer":{"id":720021,"mobile":"${MOBILE}","subscriptions":${ids(2000, (i) => `{"id":${750000 + i}}`)}}}`,
      ],
    ] as const) {
      const what = `2,000 entries in ${path}`;
      const r = await deliver(p, what, body);
      if (expectAnswer(p, what, r, 400, 'VALIDATION_FAILED'))
        p.expect(
          r.body.error.details?.some((d: any) => d.path === path),
          `${what}: ${r.text.slice(0, 200)}`,
        );
      console.log(`${what}: answered ${r.status} in ${r.ms} ms`);
    }
    // 10,000 invalid elements: one 400 with a bounded list of details, not one detail each.
    const what = '10,000 invalid incidentInformation entries';
    const r = await deliver(
      p,
      what,
      `{"message":"NEW_CALLOUT","callout":{"id":720022,"incidentInformation":[${Array(10_000).fill('0').join(',')}]}}`,
    );
    if (expectAnswer(p, what, r, 400, 'VALIDATION_FAILED'))
      p.expect(
        r.body.error.details?.length >= 1 && r.body.error.details.length <= 100,
        `${what}: ${r.body.error.details?.length} details`,
      );
    // A long list the receiver does not act on per element is fine.
    const ok = await deliver(
      p,
      '1,000 callout events',
      `{"message":"CALLOUT_EVENTS_CHANGED","callout":{"id":720023,"incidentInformation":[{"calloutEvents":${ids(1000, (i) => `{"id":${i + 1},"message":"event ${i}"}`)}}]}}`,
    );
    expectAnswer(p, '1,000 callout events', ok, 200);
    await assertHealthy();
    p.assertNone();
  });

  it('wrong types for message and ids are refused with 400 VALIDATION_FAILED naming the field', async () => {
    const p = new Problems();
    const wrongIds: [string, unknown][] = [
      ['a string', '81347'],
      ['a float', 81347.5],
      ['negative', -81347],
      ['zero', 0],
      ['huge', 1e300],
      ['beyond 2^53', 2 ** 53 + 2],
      ['an object', { id: 81347 }],
      ['an array', [81347]],
      ['null', null],
      ['a boolean', true],
    ];
    const cases: [string, string, unknown][] = [];
    for (const [name, v] of [
      ['a number', 42],
      ['an object', { event: 'NEW_CALLOUT' }],
      ['an array', ['NEW_CALLOUT']],
      ['null', null],
      ['a boolean', false],
    ] as const) {
      cases.push([`message as ${name}`, 'message', { message: v, callout: { id: 720030, status: 'created' } }]);
    }
    cases.push(['no message', 'message', { callout: { id: 720031, status: 'created' } }]);
    for (const [name, v] of wrongIds) {
      cases.push([
        `callout.id as ${name}`,
        'callout.id',
        { message: 'RESPONDER_ARRIVED_ON_SCENE', callout: { id: v, status: 'Responder Arrived' } },
      ]);
      cases.push([
        `customer.id as ${name}`,
        'customer.id',
        { message: 'UPDATED_CUSTOMER', customer: { id: v, mobile: MOBILE, medicalConditions: MEDICAL } },
      ]);
      // `subscription` is one object or an array of them: the error names the field.
      cases.push([
        `subscription.id as ${name}`,
        'subscription',
        { message: 'SUBSCRIPTION_CANCELLED', subscription: { id: v } },
      ]);
      cases.push([
        `links[0].customerId as ${name}`,
        'links.0.customerId',
        {
          message: 'SUBSCRIPTION_UPDATED',
          subscription: [{ id: 720032 }],
          links: [{ customerId: v, subscriptionId: 720032 }],
        },
      ]);
    }
    for (const [name, v] of [
      ['an array', [{ id: 720033, status: 'created' }]],
      ['a string', '720033'],
      ['a number', 720033],
      ['null', null],
      ['empty', {}],
    ] as const) {
      cases.push([
        `callout as ${name}`,
        name === 'empty' ? 'callout.id' : 'callout',
        { message: 'NEW_CALLOUT', callout: v },
      ]);
    }
    cases.push(['no callout', 'callout', { message: 'NEW_CALLOUT' }]);
    cases.push([
      'callout.status as an object',
      'callout.status',
      { message: 'NEW_CALLOUT', callout: { id: 720034, status: { value: 'created' } } },
    ]);
    cases.push([
      'callout.incidentInformation as a string',
      'callout.incidentInformation',
      { message: 'NEW_CALLOUT', callout: { id: 720035, incidentInformation: 'x' } },
    ]);
    for (const [name, v] of [
      ['an array', [{ id: 720036 }]],
      ['a string', MEDICAL],
      ['a number', 720036],
      ['null', null],
    ] as const) {
      cases.push([`customer as ${name}`, 'customer', { message: 'CREATED_CUSTOMER', customer: v }]);
    }
    cases.push(['subscription as a string', 'subscription', { message: 'SUBSCRIPTION_CREATED', subscription: 'x' }]);

    for (const [what, path, body] of cases) {
      const r = await deliver(p, what, JSON.stringify(body));
      if (!expectAnswer(p, what, r, 400, 'VALIDATION_FAILED')) continue;
      const paths: string[] = (r.body.error.details ?? []).map((d: any) => d.path);
      p.expect(
        paths.some((x) => x === path || x.startsWith(`${path}.`)),
        `${what}: expected ${path} among ${JSON.stringify(paths)}`,
      );
    }
    // Odd but well-typed messages are unknown events: acknowledged, never an error.
    for (const message of ['', '__proto__', 'constructor', 'toString', 'x'.repeat(100_000)]) {
      const what = `message ${JSON.stringify(message.slice(0, 20))}`;
      const r = await deliver(p, what, JSON.stringify({ message, callout: { id: 720037 } }));
      if (expectAnswer(p, what, r, 200)) p.expect(r.body.status === 'ignored', `${what}: ${r.text}`);
    }
    await assertHealthy();
    p.assertNone();
  });

  it('JSON scalars, empty bodies, wrong content types, encodings and quirks', async () => {
    const p = new Problems();
    const callout = JSON.stringify({
      message: 'RESPONDER_MANUALLY_DISPATCHED',
      callout: { id: 720040, status: 'Responder Dispatched' },
    });
    for (const body of ['"x"', '1', 'null', 'true', '[]', '{}', '""', '0', '-0', '1e999']) {
      expectAnswer(p, `the body ${body}`, await deliver(p, `the body ${body}`, body), 400, 'VALIDATION_FAILED');
    }
    for (const body of [
      undefined,
      '',
      '   \n',
      '\u0000',
      '\ufeff',
      'not json',
      '{"message":',
      '[[[[',
      '{"message":"NEW_CALLOUT",,}',
    ]) {
      const what = `the body ${JSON.stringify(body)}`;
      expectAnswer(p, what, await deliver(p, what, body), 400, 'MALFORMED_JSON');
    }
    // AURA's documented trailing comma is still tolerated.
    const documented = readFileSync(
      join(
        import.meta.dirname,
        '..',
        'fixtures',
        'webhook-payloads',
        'SUBSCRIPTION_CANCELLED_FAILED.as-documented.txt',
      ),
      'utf8',
    );
    const trailing = await deliver(p, 'the documented trailing comma', documented);
    p.expect(
      trailing.status >= 200 && trailing.status < 300,
      `the documented trailing comma: ${trailing.status} ${trailing.text}`,
    );
    expectAnswer(
      p,
      'a callout with trailing commas',
      await deliver(
        p,
        'a callout with trailing commas',
        '{"message":"NEW_CALLOUT","callout":{"id":720041,"status":"created",},}',
      ),
      200,
    );
    // The body is read as JSON whatever the content type says (AURA's is not guaranteed).
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'application/json; charset=utf-16',
      '',
    ]) {
      const headers: Record<string, string> = type ? { 'content-type': type } : {};
      expectAnswer(
        p,
        `a callout as ${JSON.stringify(type)}`,
        await deliver(p, `a callout as ${JSON.stringify(type)}`, callout, headers),
        200,
      );
      expectAnswer(
        p,
        `a form body as ${JSON.stringify(type)}`,
        await deliver(p, `a form body as ${JSON.stringify(type)}`, 'message=NEW_CALLOUT&callout=1', headers),
        400,
        'MALFORMED_JSON',
      );
    }
    // Bytes that are not UTF-8, a gzip bomb, an unknown encoding.
    const bytes = await deliver(p, 'invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]));
    p.expect(bytes.status === 400, `invalid UTF-8: ${bytes.status} ${bytes.text}`);
    const json = { 'content-type': 'application/json' };
    expectAnswer(
      p,
      'a gzip bomb',
      await deliver(p, 'a gzip bomb', gzipSync(Buffer.alloc(64 * MIB, 0x20)), { ...json, 'content-encoding': 'gzip' }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expectAnswer(
      p,
      'a gzipped callout',
      await deliver(p, 'a gzipped callout', gzipSync(callout), { ...json, 'content-encoding': 'gzip' }),
      200,
    );
    const unknown = await deliver(p, 'an unknown encoding', callout, { ...json, 'content-encoding': 'x-hostile' });
    p.expect(unknown.status >= 400, `an unknown encoding: ${unknown.status} ${unknown.text}`);
    // Keys that mean something to JavaScript objects are data here, nothing more.
    const proto =
      '{"__proto__":{"message":"NEW_CALLOUT"},"message":"NEW_CALLOUT","callout":{"__proto__":{"id":1},"id":720042,"constructor":{"prototype":{"x":1}}}}';
    expectAnswer(p, '__proto__ keys', await deliver(p, '__proto__ keys', proto), 200);
    await assertHealthy();
    p.assertNone();
  });

  it('no customer personal data reached a log line', () => {
    assert.ok(logLines.length > 50, `${logLines.length} log lines captured`);
    const leaks = logLines.filter((l) => l.includes(MEDICAL) || l.includes(MOBILE));
    assert.deepEqual(
      leaks.map((l) => l.slice(0, 300)),
      [],
    );
  });
});
