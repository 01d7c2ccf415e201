// The OpenAPI document tells the truth: every case is derived from /openapi.json itself (so a new route is covered
// as soon as it is documented) and sent to the real API on a real stack. A JSON Schema validator (draft 2020-12, as
// OpenAPI 3.1) says whether each generated request is valid by the document; the service must agree:
//   (a) a request valid by the document is not rejected as invalid (no 400);
//   (b) a request that violates it (unknown field, wrong type, out of range, a cross-field rule) is 400;
//   (c) a documented path asked with another method is 405 with `Allow` listing exactly its methods (HEAD with GET,
//       OPTIONS everywhere), OPTIONS is 204 with the same `Allow`, and an unknown path stays 404;
//   (d) every status the service answered is documented for that operation.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import { CODEC_TOKEN, startStack, startTemporal, WEBHOOK_TOKEN, type Stack } from '../helpers/stack.js';

type Json = any;

// ajv-formats is CommonJS: its plugin is the module itself, or its `default`, depending on the loader.
const addFormats = ((formatsPlugin as unknown as { default?: unknown }).default ?? formatsPlugin) as (
  ajv: Ajv2020,
) => void;

let env: TestWorkflowEnvironment;
let stack: Stack;
let doc: Json;
let sent = 0;

before(async () => {
  env = await startTemporal();
  // With payload encryption the codec endpoint is mounted (and documented) too.
  stack = await startStack(env, { pollIntervalMs: 1000, payloadKey: randomBytes(32).toString('base64') });
  doc = (await stack.api('GET', '/openapi.json')).body;
  V = validators();
});
after(async () => {
  console.log(`openapi-conformance: ${sent} requests sent`);
  await stack?.close();
  await env?.teardown();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Json;
  text: string;
}

/** Any method (fetch refuses TRACE), any body, raw headers. */
function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  sent++;
  const url = new URL(stack.apiUrl + path);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        headers: {
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }
            : {}),
          ...headers,
        },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          let parsed: Json;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// ---- the document as cases ---------------------------------------------------------------------------------------

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
const PROBE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE'];

interface Operation {
  path: string;
  method: string;
  op: Json;
  label: string;
}

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths)) {
    for (const method of METHODS)
      if (item[method]) out.push({ path, method, op: item[method], label: `${method.toUpperCase()} ${path}` });
  }
  return out;
}

/** Validators over the document's own schemas (`#/components/...` resolved within the document). */
function validators() {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  // Parameters arrive as text: a validator that reads "5" as the integer 5, as the server does.
  const params = new Ajv2020({ strict: false, coerceTypes: true });
  addFormats(params);
  const rebase = (schema: Json): Json =>
    JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"doc#/components/'));
  for (const a of [ajv, params]) a.addSchema({ $id: 'doc', components: rebase(doc.components ?? {}) });
  return {
    body: (schema: Json) => ajv.compile(rebase(schema)),
    param: (schema: Json) => {
      const v = params.compile({ type: 'object', properties: { v: rebase(schema) }, required: ['v'] });
      return (value: string) => v({ v: value });
    },
  };
}

let V: ReturnType<typeof validators>;

const deref = (s: Json): Json => (s?.$ref ? deref(doc.components.schemas[String(s.$ref).split('/').pop()!]) : s);
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
const stringify = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v));

function setIn(root: Json, path: (string | number)[], value: unknown): Json {
  if (!path.length) return value;
  const copy = clone(root) ?? {};
  let at = copy;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (at[k] === null || typeof at[k] !== 'object') at[k] = typeof path[i + 1] === 'number' ? [] : {};
    at = at[k];
  }
  if (value === undefined) delete at[path.at(-1)!];
  else at[path.at(-1)!] = value;
  return copy;
}

function getIn(root: Json, path: (string | number)[]): Json {
  return path.reduce((v, k) => (v == null ? undefined : v[k]), root);
}

/** The schemas a value may take: the branches of anyOf/oneOf, flattened. */
function branches(schema: Json): Json[] {
  const s = deref(schema);
  if (!s) return [];
  const alts = s.anyOf ?? s.oneOf;
  return alts && !s.properties ? alts.flatMap(branches) : [s];
}

const typesOf = (s: Json): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** Values to try for one schema: at and beyond each bound, of every other type, each enum value and one outside. */
function candidates(schema: Json): unknown[] {
  const out: unknown[] = [12345, 1.5, 'text', true, null, {}, []];
  for (const s of branches(schema)) {
    const types = typesOf(s);
    if (s.example !== undefined) out.push(s.example);
    if (s.default !== undefined) out.push(s.default);
    if (s.enum) out.push(...s.enum, 'NOT-IN-ENUM');
    if (s.const !== undefined) out.push(s.const, 'NOT-THE-CONST');
    if (types.includes('integer') || types.includes('number')) {
      const step = types.includes('integer') ? 1 : 0.5;
      for (const k of ['minimum', 'maximum'] as const)
        if (typeof s[k] === 'number') out.push(s[k], s[k] + (k === 'minimum' ? -step : step));
      if (typeof s.exclusiveMinimum === 'number') out.push(s.exclusiveMinimum, s.exclusiveMinimum + step);
      if (typeof s.exclusiveMaximum === 'number') out.push(s.exclusiveMaximum, s.exclusiveMaximum - step);
      out.push(2 ** 53 + 2, -(2 ** 53 + 2), 0, 7);
    }
    if (types.includes('string')) {
      out.push('', ' ', '   ', ' padded ', 'a', 'x\u0000y', '×', 'a b');
      if (typeof s.maxLength === 'number')
        out.push('a'.repeat(s.maxLength), 'a'.repeat(s.maxLength + 1), '1'.repeat(s.maxLength + 1));
      if (typeof s.minLength === 'number' && s.minLength > 1)
        out.push('a'.repeat(s.minLength - 1), 'a'.repeat(s.minLength));
      if (s.format === 'email')
        out.push('user@example.com', 'a!b@example.com', '"quoted"@example.com', 'user@[127.0.0.1]');
      if (s.format === 'date-time')
        out.push(
          '2026-11-23T10:00:00Z',
          '2026-11-23t10:00:00z',
          '2026-12-31T23:59:60Z',
          '2026-11-23T10:00:00+0200',
          '2026-11-23T10:00:00',
        );
      if (s.pattern) out.push('1234', '12345', 'security', 'Medical', 'PIZZA', '-x', '+27821234567', ' +27821234567 ');
    }
    if (types.includes('array')) {
      const item = deref(s.items);
      const sample = item?.example ?? (typesOf(item ?? {}).includes('string') ? 'FALSE_ALARM' : 1);
      out.push([sample]);
      if (typeof s.maxItems === 'number')
        out.push(
          Array.from({ length: s.maxItems + 1 }, () => sample),
          Array.from({ length: s.maxItems }, () => sample),
        );
    }
    if (types.includes('object') && typeof s.maxProperties === 'number') {
      out.push(
        Object.fromEntries(Array.from({ length: s.maxProperties + 1 }, (_v, i) => [`k${i}`, 'v'])),
        { '': 'v' },
        { ['k'.repeat(51)]: 'v' },
        { ok: 'v' },
      );
    }
  }
  const seen = new Set<string>();
  return out.filter((v) => {
    const k = stringify(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Bodies derived from the example: each field (two levels deep) set to each candidate, removed, or joined by an unknown one. */
function bodyCases(schema: Json, example: Json): { label: string; body: unknown }[] {
  const cases: { label: string; body: unknown }[] = [];
  const walk = (s: Json, path: (string | number)[], depth: number) => {
    const props = new Map<string, Json>();
    for (const b of branches(s))
      for (const [name, ps] of Object.entries<Json>(b.properties ?? {})) if (!props.has(name)) props.set(name, ps);
    if (!props.size) return;
    cases.push({
      label: `${path.join('.') || '(body)'} + unknown field`,
      body: setIn(example, [...path, 'x-unknown-field'], 1),
    });
    for (const [name, ps] of props) {
      const at = [...path, name];
      cases.push({ label: `${at.join('.')} removed`, body: setIn(example, at, undefined) });
      for (const v of candidates(ps))
        cases.push({ label: `${at.join('.')} = ${stringify(v).slice(0, 60)}`, body: setIn(example, at, v) });
      if (depth < 2) walk(ps, at, depth + 1);
      const items = branches(ps).find((b) => b.items)?.items;
      if (items && Array.isArray(getIn(example, at)))
        for (const v of candidates(items))
          cases.push({
            label: `${at.join('.')}[0] = ${stringify(v).slice(0, 60)}`,
            body: setIn(example, [...at, 0], v),
          });
    }
  };
  for (const whole of [[], 'text', 42, null, {}]) cases.push({ label: `body = ${stringify(whole)}`, body: whole });
  walk(schema, [], 0);
  return cases;
}

function authHeaders(op: Json): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const requirement of op.security ?? []) {
    for (const name of Object.keys(requirement)) {
      const scheme = doc.components.securitySchemes[name];
      const token = name === 'codecToken' ? CODEC_TOKEN : WEBHOOK_TOKEN;
      if (scheme.type === 'http') headers.authorization = `Bearer ${token}`;
      else if (scheme.type === 'apiKey' && scheme.in === 'header') headers[scheme.name] = token;
    }
  }
  return headers;
}

const paramsIn = (op: Json, where: string): Json[] => (op.parameters ?? []).filter((p: Json) => p.in === where);
const exampleOf = (p: Json) => p.example ?? p.schema?.example ?? p.schema?.default ?? p.schema?.enum?.[0];

function concretePath(o: Operation, values: Record<string, string> = {}): string {
  return o.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const p = paramsIn(o.op, 'path').find((x) => x.name === name);
    return encodeURIComponent(values[name] ?? String(exampleOf(p)));
  });
}

const bodySchemaOf = (op: Json) => op.requestBody?.content?.['application/json'];

// ---- the checks --------------------------------------------------------------------------------------------------

const undocumented: string[] = [];
function observed(o: Operation, status: number, what: string) {
  if (!(String(status) in o.op.responses) && !('default' in o.op.responses))
    undocumented.push(`${o.label}: ${status} is not documented (${what})`);
}

describe('the OpenAPI document against the service', () => {
  it('every operation can be driven from the document: path parameters and bodies have examples valid by their schemas', () => {
    const problems: string[] = [];
    for (const o of operations()) {
      for (const p of paramsIn(o.op, 'path')) {
        const ex = exampleOf(p);
        if (ex === undefined) problems.push(`${o.label}: path parameter ${p.name} has no example`);
        else if (!V.param(p.schema)(String(ex)))
          problems.push(`${o.label}: the example of ${p.name} is not valid by its schema`);
      }
      const body = bodySchemaOf(o.op);
      if (body && !V.body(body.schema)(clone(body.example)))
        problems.push(`${o.label}: the request example is not valid by its schema`);
    }
    assert.deepEqual(problems, []);
  });

  it('(a, b, d) requests valid by the document are not rejected as invalid; requests violating it are 400', async () => {
    const accepted: string[] = [];
    const rejected: string[] = [];
    const check = (o: Operation, valid: boolean, what: string, r: Answer) => {
      observed(o, r.status, what);
      if (valid && r.status === 400)
        rejected.push(`${o.label} ${what}: valid by the document, answered 400 ${r.text.slice(0, 200)}`);
      if (!valid && r.status !== 400)
        accepted.push(`${o.label} ${what}: violates the document, answered ${r.status} ${r.text.slice(0, 120)}`);
    };
    for (const o of operations()) {
      const method = o.method.toUpperCase();
      const auth = authHeaders(o.op);
      const body = bodySchemaOf(o.op);
      const example = body ? clone(body.example) : undefined;
      const path = concretePath(o);

      // The documented example, as is; without a body where the body is optional.
      check(o, true, 'the example', await send(method, path, example, auth));
      if (body && o.op.requestBody.required === false)
        check(o, true, 'without a body', await send(method, path, undefined, auth));
      if (body && o.op.requestBody.required !== false)
        check(o, false, 'without a body', await send(method, path, undefined, auth));

      // Credentials: without them, 401 (documented).
      if (Object.keys(auth).length) {
        const r = await send(method, path, example);
        observed(o, r.status, 'without credentials');
        if (r.status !== 401) accepted.push(`${o.label} without credentials: answered ${r.status}, not 401`);
      }

      // Path parameters.
      for (const p of paramsIn(o.op, 'path')) {
        const valid = V.param(p.schema);
        for (const v of candidates(p.schema)
          .filter((x): x is string | number => (typeof x === 'string' && x !== '') || typeof x === 'number')
          .map(String)) {
          if (v === '.' || v === '..') continue;
          check(
            o,
            valid(v),
            `path ${p.name} = ${JSON.stringify(v).slice(0, 40)}`,
            await send(method, concretePath(o, { [p.name]: v }), example, auth),
          );
        }
      }

      // Query parameters, one at a time.
      for (const p of paramsIn(o.op, 'query')) {
        const valid = V.param(p.schema);
        for (const v of candidates(p.schema)
          .filter((x) => typeof x === 'string' || typeof x === 'number')
          .map(String)) {
          check(
            o,
            valid(v),
            `query ${p.name} = ${JSON.stringify(v)}`,
            await send(method, `${path}?${new URLSearchParams({ [p.name]: v })}`, example, auth),
          );
        }
      }

      // Bodies.
      if (body) {
        const valid = V.body(body.schema);
        for (const c of bodyCases(body.schema, example))
          check(o, valid(clone(c.body)), c.label, await send(method, path, c.body, auth));
        // Not JSON at all: 400 MALFORMED_JSON (or the receiver's lenient reading), never accepted.
        const r = await send(method, path, '{"not json', auth);
        observed(o, r.status, 'a malformed body');
      }
    }
    assert.deepEqual(
      { 'valid by the document, rejected': rejected, 'violating the document, accepted': accepted },
      { 'valid by the document, rejected': [], 'violating the document, accepted': [] },
    );
  });

  it('(c, d) another method on a documented path is 405 with Allow; OPTIONS is 204 with Allow; unknown paths stay 404', async () => {
    const problems: string[] = [];
    const byPath = new Map<string, Operation[]>();
    for (const o of operations()) byPath.set(o.path, [...(byPath.get(o.path) ?? []), o]);
    for (const [path, ops] of byPath) {
      const documented = new Set(ops.map((o) => o.method.toUpperCase()));
      const expected = new Set([...documented, ...(documented.has('GET') ? ['HEAD'] : []), 'OPTIONS']);
      const concrete = concretePath(ops[0]!);
      const auth = Object.assign({}, ...ops.map((o) => authHeaders(o.op)));
      const allowOf = (r: Answer) =>
        new Set(
          String(r.headers.allow ?? '')
            .split(',')
            .map((m) => m.trim())
            .filter(Boolean),
        );
      const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((m) => b.has(m));
      for (const o of ops) if (!('405' in o.op.responses)) problems.push(`${o.label}: 405 is not documented`);
      for (const method of PROBE_METHODS.filter((m) => !expected.has(m))) {
        const r = await send(method, concrete, method === 'GET' ? undefined : {}, auth);
        if (r.status !== 405) problems.push(`${method} ${path}: ${r.status}, not 405 (${r.text.slice(0, 100)})`);
        else if (!sameSet(allowOf(r), expected))
          problems.push(`${method} ${path}: Allow "${r.headers.allow}", documented ${[...expected].join(', ')}`);
        else if (method !== 'HEAD' && r.body?.error?.code !== 'METHOD_NOT_ALLOWED')
          problems.push(`${method} ${path}: 405 without the METHOD_NOT_ALLOWED error body`);
      }
      const options = await send('OPTIONS', concrete, undefined, auth);
      if (options.status !== 204) problems.push(`OPTIONS ${path}: ${options.status}, not 204`);
      else if (!sameSet(allowOf(options), expected))
        problems.push(`OPTIONS ${path}: Allow "${options.headers.allow}", documented ${[...expected].join(', ')}`);
      if (documented.has('GET')) {
        const get = ops.find((o) => o.method === 'get')!;
        const head = await send('HEAD', concrete, undefined, auth);
        observed(get, head.status, 'HEAD');
        if (head.status === 405) problems.push(`HEAD ${path}: 405 although GET is served`);
      }
    }
    for (const method of ['GET', 'POST', 'OPTIONS', 'PATCH']) {
      const r = await send(method, '/v1/no-such-route', method === 'POST' ? {} : undefined);
      if (r.status !== 404 || r.body?.error?.code !== 'NOT_FOUND')
        problems.push(`${method} /v1/no-such-route: ${r.status}, not 404 NOT_FOUND`);
    }
    assert.deepEqual(problems, []);
  });

  it('(d) every status the service answered is documented for its operation', () => {
    assert.ok(sent > 500, `${sent} requests sent`);
    assert.deepEqual(undocumented, []);
  });
});
