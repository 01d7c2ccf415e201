// Logs: secrets and personal data redacted; lines about a callout carry the incident and AURA callout ids; every
// line of a request carries its request id.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { createApp } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import { activityLogInterceptor, idsOf } from '../../src/worker/activity-log.js';

function capture() {
  const lines: any[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'debug', destination }) };
}

describe('logs', () => {
  it('redact secrets and personal data', () => {
    const { lines, log } = capture();
    log.info(
      {
        req: { headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k' } },
        clientSecret: 'cs',
        payload: {
          mobile: '+27821234567',
          email: 'a@b.c',
          dateOfBirth: '1981-03-06',
          medicalConditions: 'asthma',
          safeCode: '4567',
        },
        customer: { name: 'Khona', surname: 'Test' },
      },
      'x',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['s3cret', '"k"', 'cs"', '+27821234567', 'a@b.c', '1981-03-06', 'asthma', '4567', 'Khona'])
      assert.ok(!text.includes(secret), `${secret} redacted: ${text}`);
  });

  it('activity lines carry the incident id and the AURA callout id', async () => {
    assert.deepEqual(idsOf('incident-demo-1', { customerId: 1 }), { incidentId: 'demo-1' });
    assert.deepEqual(idsOf('aura-callout-81290', {}), { auraCalloutId: 81290 });
    assert.deepEqual(idsOf('incident-demo-1', { auraCalloutId: 7, incidentId: 'demo-1' }), {
      incidentId: 'demo-1',
      auraCalloutId: 7,
    });
    const { lines, log } = capture();
    const factory = activityLogInterceptor(log);
    const ctx = {
      info: {
        activityType: 'pollCallout',
        attempt: 2,
        workflowExecution: { workflowId: 'aura-callout-81290', runId: 'r' },
      },
    } as never;
    const { inbound } = factory(ctx);
    await assert.rejects(
      inbound!.execute!(
        { args: [{ auraCalloutId: 81290, location: { latitude: 1, longitude: 2 } }], headers: {} } as never,
        async () => {
          throw new Error('AURA answered 503');
        },
      ),
    );
    assert.equal(lines[0].msg, 'activity failed');
    assert.equal(lines[0].auraCalloutId, 81290);
    assert.equal(lines[0].activity, 'pollCallout');
    assert.ok(!JSON.stringify(lines[0]).includes('latitude'), 'inputs are not logged');
  });

  it('every line of a request carries its request id, and lines about an incident its id', async () => {
    const { lines, log } = capture();
    const unreachable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('no Temporal');
        },
      },
    ) as unknown as Client;
    const app = createApp({
      client: unreachable,
      taskQueue: 'q',
      namespace: 'default',
      log,
      webhookToken: 'logging-test-token',
      responseTypes: { SECURITY: 1 },
    });
    const server = await new Promise<import('node:http').Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const port = (server.address() as { port: number }).port;
      await fetch(`http://127.0.0.1:${port}/v1/callouts/demo-9`, { headers: { 'x-request-id': 'req-abc' } });
      await fetch(`http://127.0.0.1:${port}/webhooks/aura`, {
        method: 'POST',
        headers: { 'x-request-id': 'req-def', authorization: 'Bearer logging-test-token' },
        body: '{"message":"SOMETHING_NEW"}',
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
    const first = lines.filter((l) => l.req?.id === 'req-abc' || l.reqId === 'req-abc');
    assert.ok(first.length >= 1);
    assert.ok(
      first.every((l) => l.incidentId === 'demo-9'),
      JSON.stringify(first),
    );
    const second = lines.filter((l) => l.reqId === 'req-def' || l.req?.id === 'req-def');
    assert.ok(second.length >= 2, `the receiver's own line and the request line: ${JSON.stringify(lines)}`);
    assert.ok(!JSON.stringify(lines).includes('logging-test-token'));
  });
});
