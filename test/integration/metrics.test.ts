// /metrics after real lifecycles: webhooks by event and outcome, Panic API calls by route and status with latency,
// polls, transitions by phase, time to dispatch / arrival / close, active incidents.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStack, startTemporal, type Stack } from '../helpers/stack.js';

const live = { latitude: -26.10911, longitude: 28.053037, accuracy: 12 };

/** `name{labels} value` lines of the Prometheus text, as [series, value]. */
function samples(text: string): [string, number][] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const i = l.lastIndexOf(' ');
      return [l.slice(0, i), Number(l.slice(i + 1))] as [string, number];
    });
}
const value = (all: [string, number][], series: string) => all.find(([s]) => s === series)?.[1];
const sum = (all: [string, number][], prefix: string) =>
  all.filter(([s]) => s.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

describe('/metrics after a lifecycle', () => {
  let stack: Stack;
  before(async () => {
    // Webhooks drive it and a short poll interval polls too.
    stack = await startStack(env, {
      pollIntervalMs: 300,
      registerWebhook: true,
      simulator: { autopilot: { enabled: true, stepMs: 400, emitWebhooks: true } },
    });
  });
  after(() => stack.close());

  it('shows every named series with the lifecycle counted', async () => {
    const res = await stack.api('POST', '/v1/callouts', {
      incidentId: 'metrics-1',
      customerId: 184708,
      responseType: 'SECURITY',
      location: live,
    });
    assert.equal(res.status, 202);
    await stack.incidentWhen('metrics-1', (b) => b.status === 'closed', 30_000);
    // The incident workflow reports its last transition through the sink as it applies the closing view.
    await new Promise((r) => setTimeout(r, 500));
    // A delivery the receiver refuses counts too.
    const refused = await fetch(`${stack.apiUrl}/webhooks/aura`, { method: 'POST', body: '{}' });
    assert.equal(refused.status, 401);

    const m = await fetch(`${stack.apiUrl}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
    const text = await m.text();
    const all = samples(text);

    for (const name of [
      'aura_webhook_deliveries_total',
      'aura_panic_api_requests_total',
      'aura_panic_api_request_duration_seconds',
      'aura_callout_polls_total',
      'aura_incident_transitions_total',
      'aura_incident_time_to_dispatch_seconds',
      'aura_incident_time_to_arrival_seconds',
      'aura_incident_time_to_close_seconds',
      'aura_active_incidents',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`);
    }
    const lines = (name: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(name))
        .join('\n');
    assert.ok(
      (value(all, 'aura_webhook_deliveries_total{event="RESPONDER_ARRIVED_ON_SCENE",outcome="accepted"}') ?? 0) >= 1,
      lines('aura_webhook'),
    );
    assert.ok((value(all, 'aura_webhook_deliveries_total{event="CALLOUT_CLOSED",outcome="accepted"}') ?? 0) >= 1);
    assert.equal(value(all, 'aura_webhook_deliveries_total{event="unparsed",outcome="unauthenticated"}'), 1);
    assert.ok(
      (value(all, 'aura_panic_api_requests_total{route="POST /v2/customers/:customerId/callouts",status="201"}') ??
        0) >= 1,
      lines('aura_panic_api_requests_total'),
    );
    assert.ok(sum(all, 'aura_panic_api_request_duration_seconds_count') >= 2);
    // The first "poll" of a live-location callout is the position update that returns the callout.
    const okPolls =
      (value(all, 'aura_callout_polls_total{kind="poll",outcome="ok"}') ?? 0) +
      (value(all, 'aura_callout_polls_total{kind="location",outcome="ok"}') ?? 0);
    assert.ok(okPolls >= 1, lines('aura_callout_polls_total'));
    for (const phase of ['requested', 'dispatched', 'on_scene', 'completed', 'closed']) {
      assert.equal(
        value(all, `aura_incident_transitions_total{phase="${phase}"}`),
        1,
        `one transition to ${phase}: ${lines('aura_incident_transitions_total')}`,
      );
    }
    assert.equal(value(all, 'aura_incident_time_to_dispatch_seconds_count'), 1);
    assert.equal(value(all, 'aura_incident_time_to_arrival_seconds_count'), 1);
    assert.equal(value(all, 'aura_incident_time_to_close_seconds_count'), 1);
    const toClose = value(all, 'aura_incident_time_to_close_seconds_sum')!;
    const toDispatch = value(all, 'aura_incident_time_to_dispatch_seconds_sum')!;
    assert.ok(toClose > toDispatch && toDispatch > 0, `close (${toClose}s) after dispatch (${toDispatch}s)`);
    assert.ok(value(all, 'aura_active_incidents') !== undefined);
    assert.ok(text.includes('process_cpu_user_seconds_total'), 'default process metrics');
  });
});
