// Personal data: a lifecycle fed with AURA's documented payloads (medical details, next of kin, mobile numbers)
// leaves none of them in the logs, and with TEMPORAL_PAYLOAD_KEY set none of them in Temporal's history either;
// the API's codec endpoint gives operators holding the codec token the plaintext back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { incidentWorkflowId, lifecycleWorkflowId } from '../../src/domain/incident.js';
import { captureSdkLogs, CODEC_TOKEN, startStack, startTemporal, WEBHOOK_TOKEN, type Stack } from '../helpers/stack.js';

const { temporal } = proto;
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'webhook-payloads');
const SEED_CUSTOMER = 184708;
// Values from the seed payloads and the simulator's seed customer that must never be seen in the clear.
const PERSONAL = [
  'Arthritis',
  'Body does not react well to serums',
  'StilPayne',
  'Shellfish',
  '+27831231234',
  '+27841231234',
  '+27821234567',
  'test22@gmail.com',
  'ProfMed',
];
const NOTE = 'Gate code 7788, patient is Mrs Ndlovu';
const SECRETS = [WEBHOOK_TOKEN, CODEC_TOKEN, 'dev-secret'];

let env: TestWorkflowEnvironment;
let stack: Stack;
const apiLog: string[] = [];
const sdkLog: string[] = [];
let stopCapture: () => void;

before(async () => {
  env = await startTemporal();
  stopCapture = captureSdkLogs((l) => sdkLog.push(l));
  stack = await startStack(env, {
    pollIntervalMs: 200,
    registerWebhook: true,
    payloadKey: randomBytes(32).toString('base64'),
    logLevel: 'trace',
    logDestination: { write: (l: string) => void apiLog.push(l) },
  });
});
after(async () => {
  stopCapture?.();
  await stack?.close();
  await env?.teardown();
});

async function historyBytes(workflowId: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const r = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
      nextPageToken,
    });
    chunks.push(Buffer.from(temporal.api.history.v1.History.encode(r.history ?? {}).finish()));
    nextPageToken = r.nextPageToken?.length ? r.nextPageToken : undefined;
  } while (nextPageToken);
  return Buffer.concat(chunks);
}

describe('personal data', () => {
  let auraId: number;

  it('runs a lifecycle fed with every documented webhook payload', async () => {
    const created = await stack.api('POST', '/v1/callouts', {
      incidentId: 'pii-1',
      customerId: SEED_CUSTOMER,
      location: { latitude: -26.1, longitude: 28.05 },
      notes: NOTE,
    });
    assert.equal(created.status, 202);
    const inc = await stack.incidentWhen('pii-1', (i) => i.auraCalloutId != null);
    auraId = inc.auraCalloutId;
    for (const file of readdirSync(fixtures).sort()) {
      const r = await stack.api('POST', '/webhooks/aura', readFileSync(join(fixtures, file), 'utf8'), {
        'content-type': 'application/json',
        authorization: `Bearer ${WEBHOOK_TOKEN}`,
      });
      assert.ok(r.status < 300, `${file}: ${r.status}`);
    }
    await stack.api('POST', '/v1/callouts/pii-1/notes', { text: `Next of kin Anna on +27831231234` });
    for (const status of ['Responder Dispatched', 'Responder Arrived', 'Responder Completed', 'closed']) {
      await stack.sim_('POST', `/__sim/callouts/${auraId}/status`, { status, webhook: true });
    }
    const closed = await stack.incidentWhen('pii-1', (i) => i.phase === 'closed');
    assert.equal(closed.auraCalloutId, auraId);
  });

  it('the logs hold no personal data and no secret', () => {
    assert.ok(
      apiLog.length > 10 && sdkLog.length > 5,
      `logs were captured (${apiLog.length} API lines, ${sdkLog.length} SDK lines)`,
    );
    const all = [...apiLog, ...sdkLog].join('\n');
    for (const value of [...PERSONAL, ...SECRETS, 'Mrs Ndlovu'])
      assert.ok(!all.includes(value), `the logs contain ${value}`);
    // The lines that are there still say what happened.
    assert.ok(all.includes(lifecycleWorkflowId(auraId)), 'logs name the lifecycle workflow');
  });

  it('with a payload key, the history read straight from the server holds none of the plaintext', async () => {
    for (const id of [incidentWorkflowId('pii-1'), lifecycleWorkflowId(auraId)]) {
      const bytes = await historyBytes(id);
      assert.ok(bytes.length > 1000, `${id}: history read (${bytes.length} bytes)`);
      for (const value of [...PERSONAL, 'Mrs Ndlovu', 'Gate code 7788']) {
        assert.ok(!bytes.includes(Buffer.from(value)), `${id}: history holds "${value}" in the clear`);
      }
    }
  });

  it('the codec endpoint decodes the history for a caller with the codec token, and refuses one without', async () => {
    // The incident's start input, as the Temporal UI would send it.
    const r = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: incidentWorkflowId('pii-1') },
    });
    const input = r.history!.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads!;
    const body = {
      payloads: input.map((p) => ({
        metadata: Object.fromEntries(
          Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(p.data ?? []).toString('base64'),
      })),
    };
    const refused = await stack.api('POST', '/codec/decode', body);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'UNAUTHENTICATED');
    const decoded = await stack.api('POST', '/codec/decode', body, { authorization: `Bearer ${CODEC_TOKEN}` });
    assert.equal(decoded.status, 200);
    const plain = decoded.body.payloads
      .map((p: { data: string }) => Buffer.from(p.data, 'base64').toString('utf8'))
      .join('');
    assert.ok(plain.includes(NOTE), 'the decoded start input carries the incident notes');
    const garbage = await stack.api(
      'POST',
      '/codec/decode',
      { payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: 'AAAA' }] },
      { authorization: `Bearer ${CODEC_TOKEN}` },
    );
    assert.equal(garbage.status, 422);
  });
});
