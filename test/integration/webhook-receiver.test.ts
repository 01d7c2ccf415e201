// The webhook receiver over real HTTP, signalling real workflows on a real Temporal dev server.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { lifecycleWorkflowId } from '../../src/domain/incident.js';
import { getCalloutQuery } from '../../src/workflows/messages.js';
import { eventually, startStack, startTemporal, WEBHOOK_TOKEN, type Stack } from '../helpers/stack.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'webhook-payloads');
const auth = { authorization: `Bearer ${WEBHOOK_TOKEN}` };
const live = { latitude: -26.10911, longitude: 28.053037 };

let env: TestWorkflowEnvironment;
let stack: Stack;
before(async () => {
  env = await startTemporal();
  stack = await startStack(env, { pollIntervalMs: 200 });
});
after(async () => {
  await stack?.close();
  await env?.teardown();
});

function post(body: string | object, headers: Record<string, string> = auth) {
  return stack.api('POST', '/webhooks/aura', typeof body === 'string' ? body : JSON.stringify(body), {
    'content-type': 'application/json',
    ...headers,
  });
}

describe('POST /webhooks/aura', () => {
  it('accepts every documented seed payload exactly as AURA sends it', async () => {
    for (const file of readdirSync(fixtures).sort()) {
      const text = readFileSync(join(fixtures, file), 'utf8');
      const r = await post(text);
      assert.ok(r.status >= 200 && r.status < 300, `${file}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.ok(['accepted', 'acknowledged'].includes(r.body.status), `${file}: ${JSON.stringify(r.body)}`);
    }
    // A callout seed reached its lifecycle as a signal: the workflow holds the status the payload carried.
    const snap = await eventually(async () => {
      const s = await env.client.workflow.getHandle(lifecycleWorkflowId(81347)).query(getCalloutQuery);
      return s.status === 'Responder Arrived' ? s : null;
    });
    assert.deepEqual(
      snap.timeline.map((t) => t.event),
      ['RESPONDER_ARRIVED_ON_SCENE'],
    );
    // RESPONDER_MANUALLY_DISPATCHED for the same callout was delivered after it (files in name order): stale, dropped.
  });

  it('refuses a missing or wrong token with 401 and the contract error body', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: WEBHOOK_TOKEN }] as Record<
      string,
      string
    >[]) {
      const r = await post({ message: 'NEW_CALLOUT', callout: { id: 1, status: 'created' } }, headers);
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'UNAUTHENTICATED');
      assert.equal(typeof r.body.error.message, 'string');
    }
  });

  it('answers malformed JSON with 400, a body over 1 MiB with 413, a callout without id with 400', async () => {
    const bad = await post('{"message": "NEW_CALLOUT", ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'MALFORMED_JSON');
    const big = await post(JSON.stringify({ message: 'NEW_CALLOUT', pad: 'x'.repeat(1024 * 1024 + 10) }));
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'PAYLOAD_TOO_LARGE');
    const noId = await post({ message: 'RESPONDER_ARRIVED_ON_SCENE', callout: { status: 'Responder Arrived' } });
    assert.equal(noId.status, 400);
    assert.equal(noId.body.error.code, 'VALIDATION_FAILED');
    assert.ok(noId.body.error.details.some((d: any) => d.path === 'callout.id'));
  });

  it('acknowledges an unknown message with 2xx (never an error to AURA)', async () => {
    const r = await post({ message: 'SOMETHING_NEW_FROM_AURA', thing: { id: 3 } });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ignored');
  });

  it('keeps a webhook that arrives before the create call returns', async () => {
    await stack.sim_('PUT', '/__sim/faults', { apiLatencyMs: 0 });
    // Deliver NEW_CALLOUT and a dispatch for a callout id nobody has attached to yet.
    const sim = await fetch(`${stack.sim.panicApiUrl}/v2/customers/184708/callouts`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' },
      body: JSON.stringify({ responseTypeId: 1, location: live }),
    }).then((r) => r.json() as Promise<any>);
    const id = sim.callout.id;
    await stack.sim_('POST', `/__sim/callouts/${id}/status`, { status: 'Responder Dispatched' });
    const early = await post({
      message: 'RESPONDER_MANUALLY_DISPATCHED',
      callout: { id, status: 'Responder Dispatched' },
    });
    assert.equal(early.status, 200);
    // Now the incident arrives: AURA answers with the customer's existing callout, the incident joins the lifecycle
    // the webhook started and sees the early status.
    await stack.api('POST', '/v1/callouts', { incidentId: 'early-1', customerId: 184708, location: live });
    const inc = await eventually(async () => {
      const b = (await stack.api('GET', '/v1/callouts/early-1')).body;
      return b.status === 'Responder Dispatched' ? b : null;
    });
    assert.equal(inc.auraCalloutId, id);
    assert.equal(inc.timeline.find((t: any) => t.status === 'Responder Dispatched').source, 'webhook');
    await stack.sim_('POST', `/__sim/callouts/${id}/status`, { status: 'closed' });
    await env.client.workflow.getHandle('incident-early-1').result();
  });

  it('a late webhook for a finished lifecycle starts nothing', async () => {
    const r = await stack.api('POST', '/v1/callouts', { incidentId: 'late-1', customerId: 184708, location: live });
    assert.equal(r.status, 202);
    const id = await eventually(async () => (await stack.api('GET', '/v1/callouts/late-1')).body.auraCalloutId);
    await stack.sim_('POST', `/__sim/callouts/${id}/status`, { status: 'closed' });
    await env.client.workflow.getHandle('incident-late-1').result();
    const handle = env.client.workflow.getHandle(lifecycleWorkflowId(id));
    await handle.result();
    const runBefore = (await handle.describe()).runId;

    const late = await post({ message: 'RESPONDER_ARRIVED_ON_SCENE', callout: { id, status: 'Responder Arrived' } });
    assert.equal(late.status, 200);
    assert.equal(late.body.status, 'ignored');
    const d = await env.client.workflow.getHandle(lifecycleWorkflowId(id)).describe();
    assert.equal(d.runId, runBefore, 'no new run');
    assert.equal(d.status.name, 'COMPLETED');
  });

  it('a flood of the same delivery has the effect of one', async () => {
    const r0 = await stack.api('POST', '/v1/callouts', {
      incidentId: 'flood-1',
      customerId: await stack.newCustomer(),
      location: live,
    });
    assert.equal(r0.status, 202);
    const id = await eventually(async () => (await stack.api('GET', '/v1/callouts/flood-1')).body.auraCalloutId);
    const payload = { message: 'RESPONDER_MANUALLY_DISPATCHED', callout: { id, status: 'Responder Dispatched' } };
    const results = await Promise.all(Array.from({ length: 25 }, () => post(payload)));
    assert.ok(results.every((r) => r.status === 200));
    const inc = await eventually(async () => {
      const b = (await stack.api('GET', '/v1/callouts/flood-1')).body;
      return b.status === 'Responder Dispatched' ? b : null;
    });
    assert.equal(inc.timeline.filter((t: any) => t.status === 'Responder Dispatched').length, 1);
  });
});

describe('intake API errors', () => {
  it('400 VALIDATION_FAILED naming both location fields when both or neither are given', async () => {
    for (const body of [{ customerId: 184708, location: live, predefinedLocationId: 5512 }, { customerId: 184708 }]) {
      const r = await stack.api('POST', '/v1/callouts', body);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
      const paths = r.body.error.details.map((d: any) => d.path);
      assert.ok(paths.includes('location') && paths.includes('predefinedLocationId'), JSON.stringify(paths));
    }
  });

  it('400 for coordinates out of range, naming the field', async () => {
    const r = await stack.api('POST', '/v1/callouts', {
      customerId: 184708,
      location: { latitude: 91, longitude: 200 },
    });
    assert.equal(r.status, 400);
    const paths = r.body.error.details.map((d: any) => d.path);
    assert.deepEqual(paths.sort(), ['location.latitude', 'location.longitude']);
  });

  it('400 for an unknown response type, malformed JSON, unknown fields', async () => {
    const a = await stack.api('POST', '/v1/callouts', { customerId: 184708, location: live, responseType: 'PIZZA' });
    assert.equal(a.status, 400);
    assert.equal(a.body.error.details[0].path, 'responseType');
    const b = await stack.api('POST', '/v1/callouts', '{"customerId": ', { 'content-type': 'application/json' });
    assert.equal(b.status, 400);
    assert.equal(b.body.error.code, 'MALFORMED_JSON');
    const c = await stack.api('POST', '/v1/callouts', { customerId: 184708, location: live, surprise: true });
    assert.equal(c.status, 400);
  });

  it('404 INCIDENT_NOT_FOUND, 404 JSON for unknown routes, healthz', async () => {
    const a = await stack.api('GET', '/v1/callouts/does-not-exist');
    assert.equal(a.status, 404);
    assert.equal(a.body.error.code, 'INCIDENT_NOT_FOUND');
    const b = await stack.api('GET', '/nope');
    assert.equal(b.status, 404);
    assert.equal(b.body.error.code, 'NOT_FOUND');
    const h = await stack.api('GET', '/healthz');
    assert.deepEqual(h.body, { status: 'ok' });
    const ready = await stack.api('GET', '/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
  });

  it('lists incidents newest first, filtered by status', async () => {
    const closed = await eventually(async () => {
      const r = await stack.api('GET', '/v1/callouts?status=closed&limit=100');
      const ids = r.body.items.map((i: any) => i.incidentId);
      return ids.includes('late-1') ? r.body.items : null;
    });
    assert.ok(closed.every((i: any) => ['closed', 'failed'].includes(i.phase)));
    const times = closed.map((i: any) => i.createdAt);
    assert.deepEqual(times, [...times].sort().reverse());
    const bad = await stack.api('GET', '/v1/callouts?status=weird');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].path, 'query.status');
  });
});
