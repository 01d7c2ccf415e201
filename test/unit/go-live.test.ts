// The go-live kit's pure parts: result aggregation, the table, the Markdown report, the JSON, redaction, location
// resolution, probe judgement, the alert-rules reader against deploy/prometheus/alerts.yml, and the config rule the
// credentials item checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuraInvalidRequestError, AuraNotFoundError, AuraResponseError } from '../../src/aura/errors.js';
import { ConfigError, loadEnv } from '../../src/config.js';
import { acceptedIn } from '../../src/go-live/context.js';
import { resolveLocations } from '../../src/go-live/locations.js';
import {
  ALERTS_FILE,
  DASHBOARD_FILE,
  metricNamesIn,
  parseAlertRules,
  REQUIRED_COVERAGE,
} from '../../src/go-live/operations.js';
import { judgeProbe } from '../../src/go-live/probes.js';
import {
  allPassed,
  exitCode,
  markdownTable,
  redact,
  renderMarkdown,
  renderTable,
  toJson,
} from '../../src/go-live/report.js';
import type { GoLiveReport, ItemResult } from '../../src/go-live/types.js';
import { mappingRows } from '../../src/go-live/webhook.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';

const item = (name: string, status: ItemResult['status'], detail = `${name} detail`): ItemResult => ({
  name,
  title: `Title of ${name}`,
  status,
  detail,
});

const report = (items: ItemResult[]): GoLiveReport => ({
  startedAt: '2026-12-02T03:00:00.000Z',
  finishedAt: '2026-12-02T03:01:00.000Z',
  aura: { baseUrl: 'http://127.0.0.1:4010/panic-api', simulator: true },
  api: 'http://127.0.0.1:3000',
  items,
  ok: allPassed(items),
});

describe('go-live: aggregation', () => {
  it('exits 0 only when every item passes; skipped is not a pass', () => {
    assert.equal(exitCode([item('a', 'pass'), item('b', 'pass')]), 0);
    assert.equal(exitCode([item('a', 'pass'), item('b', 'skipped')]), 1);
    assert.equal(exitCode([item('a', 'fail')]), 1);
    assert.equal(exitCode([]), 1, 'an empty run proves nothing');
  });
});

describe('go-live: rendering', () => {
  const items = [
    item('credentials', 'pass'),
    item('dispatch', 'fail', 'POST /panic-api/v2/callouts/1/locationAndReturnCallout answered 404 | pipe'),
    item('csv-import', 'skipped'),
  ];
  items[1]!.steps = [{ name: 'position', request: 'POST /v1/callouts/x/location', answer: '202', ok: false }];
  items[1]!.markdown = ['extra line'];

  it('prints one row per item with its status and what it saw, and the verdict', () => {
    const t = renderTable(items, 100);
    const lines = t.split('\n');
    assert.match(lines[0]!, /STATUS/);
    assert.ok(lines.some((l) => /^1\s+PASS\s+Title of credentials/.test(l)));
    assert.ok(lines.some((l) => /^2\s+FAIL\s+Title of dispatch/.test(l)));
    assert.ok(lines.some((l) => /^3\s+SKIPPED/.test(l)));
    assert.match(t, /locationAndReturnCallout/);
    assert.match(t, /1 passed, 1 failed, 1 skipped: NOT ready/);
    assert.ok(
      lines.every((l) => l.length <= 100),
      'wrapped to the width',
    );
  });

  it('writes a Markdown report with a summary table, a section per item and its steps', () => {
    const md = renderMarkdown(report(items));
    assert.match(md, /^# Go-live report/);
    assert.match(
      md,
      /\| 2 \| Title of dispatch \| FAIL \| POST \/panic-api\/v2\/callouts\/1\/locationAndReturnCallout answered 404 \\\| pipe \|/,
    );
    assert.match(md, /## 2\. Title of dispatch: FAIL/);
    assert.match(md, /\| position \| `POST \/v1\/callouts\/x\/location` \| `202` \| \*\*no\*\* \|/);
    assert.match(md, /extra line/);
    assert.match(md, /exit 1/);
  });

  it('gives the contract JSON: items of {name, status, detail}', () => {
    const j = toJson(report(items), '/tmp/r.md');
    assert.deepEqual(Object.keys(j.items[0]!).sort(), ['detail', 'name', 'status']);
    assert.deepEqual(
      j.items.map((i) => i.status),
      ['pass', 'fail', 'skipped'],
    );
    assert.equal(j.ok, false);
    assert.equal(j.report, '/tmp/r.md');
  });

  it('redacts every secret, longest first, and ignores short or empty ones', () => {
    const text = 'token dev-secret and dev-secret-long, abc, and Bearer s3cr3t-token';
    const out = redact(text, ['dev-secret', 'dev-secret-long', 's3cr3t-token', 'abc', '', undefined]);
    assert.equal(out, 'token [redacted] and [redacted], abc, and Bearer [redacted]');
  });

  it('builds Markdown tables', () => {
    assert.deepEqual(
      markdownTable([
        ['a', 'b'],
        ['1', 'x|y'],
      ]),
      ['| a | b |', '| --- | --- |', '| 1 | x\\|y |'],
    );
  });
});

describe('go-live: resolution of platform locations', () => {
  it('finds exactly one, none and several', () => {
    const aura = [
      { id: 1, externalReferenceId: 'A', name: null, address: null, latitude: 0, longitude: 0 },
      { id: 2, externalReferenceId: 'B', name: null, address: null, latitude: 0, longitude: 0 },
      { id: 3, externalReferenceId: 'B', name: null, address: null, latitude: 0, longitude: 0 },
      { id: 4, externalReferenceId: 'Z', name: null, address: null, latitude: 0, longitude: 0 },
    ];
    const r = resolveLocations(['A', 'B', 'C'], { locations: aura });
    assert.equal(r.resolved, 1);
    assert.deepEqual(r.missing, ['C']);
    assert.deepEqual(r.duplicated, [{ ref: 'B', auraIds: [2, 3] }]);
  });
});

describe('go-live: probe judgement', () => {
  it('an answer read with our schema passes; 404 and a wrong shape fail; a refusal probe wants 400/422', () => {
    assert.equal(judgeProbe('answer', undefined).ok, true);
    const notFound = new AuraNotFoundError({ status: 404, message: 'AURA answered 404', code: 'AURA_NOT_FOUND' });
    assert.deepEqual(judgeProbe('answer', notFound).status, '404');
    assert.equal(judgeProbe('answer', notFound).ok, false);
    const shape = new AuraResponseError({ status: 200, message: 'did not match', code: 'AURA_BAD_RESPONSE' });
    assert.match(judgeProbe('answer', shape).note, /unexpected shape/);
    const refused = new AuraInvalidRequestError({ status: 400, message: 'bad', code: 'AURA_BAD_REQUEST' });
    assert.equal(judgeProbe('refusal', refused).ok, true);
    assert.equal(judgeProbe('refusal', undefined).ok, false, 'accepting what it must refuse is a failure');
    assert.equal(judgeProbe('refusal', notFound).ok, false, 'a missing route is a failure');
  });
});

describe('go-live: alert rules and dashboard', () => {
  const rules = parseAlertRules(readFileSync(join(PROJECT_ROOT, ALERTS_FILE), 'utf8'));
  it('reads every alert with its expression', () => {
    assert.ok(rules.length >= 10);
    for (const r of rules) assert.ok(r.expr.length > 0, `${r.alert} has an expression`);
    assert.ok(rules.find((r) => r.alert === 'AuraPanicApiRateLimited')?.expr.includes('status="429"'));
  });
  it('covers missing Fixed Locations, duplicate references and webhook delivery failures', () => {
    for (const c of REQUIRED_COVERAGE) assert.ok(rules.some(c.test), `a rule covers ${c.case}`);
  });
  it('names only our metrics families (buckets folded), in rules and dashboard', () => {
    const dash = readFileSync(join(PROJECT_ROOT, DASHBOARD_FILE), 'utf8');
    const names = metricNamesIn(rules.map((r) => r.expr).join('\n') + dash);
    assert.ok(names.includes('aura_incident_time_to_dispatch_seconds'));
    assert.ok(!names.some((n) => n.endsWith('_bucket')));
  });
  it('parses block expressions', () => {
    const r = parseAlertRules(
      'groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: |\n          sum(a)\n          > 0\n        for: 1m\n',
    );
    assert.deepEqual(r, [{ alert: 'X', expr: 'sum(a) > 0' }]);
  });
});

describe("go-live: the receiver's accepted deliveries", () => {
  it('sums aura_webhook_deliveries_total over events for outcome accepted only', () => {
    const text = [
      '# TYPE aura_webhook_deliveries_total counter',
      'aura_webhook_deliveries_total{event="NEW_CALLOUT",outcome="accepted"} 2',
      'aura_webhook_deliveries_total{event="CALLOUT_CLOSED",outcome="accepted"} 3',
      'aura_webhook_deliveries_total{event="unparsed",outcome="unauthenticated"} 7',
    ].join('\n');
    assert.equal(acceptedIn(text), 5);
  });
});

describe('go-live: the mapping table', () => {
  it('maps each event to its AURA status, phase and platform action (the seed)', () => {
    const rows = new Map(mappingRows().map((r) => [r[0], r.slice(1)]));
    assert.deepEqual(rows.get('NEW_CALLOUT'), ['created', 'requested', 'response_requested']);
    assert.deepEqual(rows.get('RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA'), [
      'Responder Dispatched',
      'dispatched',
      'eta_available',
    ]);
    assert.deepEqual(rows.get('CALLOUT_CLOSED'), ['closed', 'closed', 'lifecycle_closed']);
  });
});

describe('go-live: development credentials in production (src/config.ts)', () => {
  const prod = {
    NODE_ENV: 'production',
    AURA_BASE_URL: 'https://staging-panic.aura.services/panic-api',
    WEBHOOK_TOKEN: 'a-long-production-token',
  };
  const refused = (over: Record<string, string>) => {
    try {
      loadEnv({ ...prod, ...over });
      return false;
    } catch (err) {
      return err instanceof ConfigError;
    }
  };
  it('refuses the development client credentials and static token against a real AURA', () => {
    assert.equal(refused({ AURA_CLIENT_ID: 'dev-client', AURA_CLIENT_SECRET: 'dev-secret' }), true);
    assert.equal(refused({ AURA_STATIC_TOKEN: 'dev-token' }), true);
    assert.equal(refused({ AURA_CLIENT_ID: 'real-client', AURA_CLIENT_SECRET: 'real-secret' }), false);
  });
  it('still lets production-mode tests use them against a loopback simulator', () => {
    assert.equal(
      refused({
        AURA_BASE_URL: 'http://127.0.0.1:4010/panic-api',
        AURA_CLIENT_ID: 'dev-client',
        AURA_CLIENT_SECRET: 'dev-secret',
      }),
      false,
    );
  });
});
