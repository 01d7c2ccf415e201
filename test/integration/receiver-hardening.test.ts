// Receiver rules not covered by webhook-receiver.test.ts: the IP allowlist behind a trusted proxy, counting of
// unknown events, and 503 (never a 2xx) when Temporal cannot take the event, over either kind of connection.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import { createApp, type AppOptions } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { startTemporal } from '../helpers/stack.js';

const TOKEN = 'hardening-token';
const servers: Server[] = [];
let env: TestWorkflowEnvironment;

async function serve(client: Client, extra: Partial<AppOptions>): Promise<string> {
  const app = createApp({
    client,
    taskQueue: 'hardening',
    namespace: 'default',
    log: createLogger({ level: 'silent' }),
    webhookToken: TOKEN,
    responseTypes: { SECURITY: 1 },
    ...extra,
  });
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function deliver(base: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/webhooks/aura`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const callout = (id: number) => ({
  message: 'RESPONDER_MANUALLY_DISPATCHED',
  callout: { id, status: 'Responder Dispatched' },
});

before(async () => {
  env = await startTemporal();
});
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await env?.teardown();
});

describe('webhook receiver hardening', () => {
  it('with an allowlist, the source is the socket address unless a trusted proxy forwarded the request', async () => {
    const allowlist = ['10.0.0.0/8', '192.0.2.7'];
    const direct = await serve(env.client, { webhookIpAllowlist: allowlist });
    // 127.0.0.1 is not on the list, and X-Forwarded-For from an untrusted peer is ignored.
    const spoofed = await deliver(direct, callout(710001), { 'x-forwarded-for': '10.1.2.3' });
    assert.equal(spoofed.status, 403);
    assert.equal(spoofed.body.error.code, 'FORBIDDEN_SOURCE');

    const proxied = await serve(env.client, { webhookIpAllowlist: allowlist, trustProxy: 'loopback' });
    assert.equal((await deliver(proxied, callout(710002), { 'x-forwarded-for': '10.1.2.3' })).status, 200);
    assert.equal((await deliver(proxied, callout(710003), { 'x-forwarded-for': '192.0.2.7' })).status, 200);
    const outside = await deliver(proxied, callout(710004), { 'x-forwarded-for': '198.51.100.9' });
    assert.equal(outside.status, 403);
    // Credentials still matter for an allowed source.
    assert.equal(
      (await deliver(proxied, callout(710005), { 'x-forwarded-for': '10.1.2.3', authorization: 'Bearer wrong' }))
        .status,
      401,
    );
  });

  it('acknowledges and counts unknown events; counts accepted ones by event', async () => {
    const seen: string[] = [];
    const base = await serve(env.client, {
      onWebhookOutcome: (event, outcome) => void seen.push(`${event}:${outcome}`),
    });
    for (let i = 0; i < 3; i++) {
      const r = await deliver(base, { message: 'SOMETHING_AURA_ADDS_LATER', callout: { id: 1 } });
      assert.equal(r.status, 200);
    }
    assert.equal((await deliver(base, callout(710010))).status, 200);
    assert.deepEqual(seen.filter((s) => s.endsWith(':ignored')).length, 3);
    assert.ok(seen.includes('RESPONDER_MANUALLY_DISPATCHED:accepted'), seen.join(', '));
  });

  it('an accepted delivery logs one line, the access line, naming the event, the callout and its status', async () => {
    const lines: any[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const base = await serve(env.client, { log: createLogger({ level: 'info', destination }) });
    assert.equal((await deliver(base, callout(710040))).status, 200);
    await new Promise((r) => setImmediate(r));
    const about = lines.filter((l) => l.req?.url === '/webhooks/aura' || l.auraCalloutId === 710040);
    assert.equal(about.length, 1, JSON.stringify(lines));
    assert.equal(about[0].msg, 'webhook accepted');
    assert.equal(about[0].event, 'RESPONDER_MANUALLY_DISPATCHED');
    assert.equal(about[0].auraCalloutId, 710040);
    assert.equal(about[0].status, 'Responder Dispatched');
    assert.equal(about[0].res.statusCode, 200);
    assert.equal(typeof about[0].responseTime, 'number');
    // Other requests keep pino-http's message.
    await fetch(`${base}/healthz`);
    await fetch(`${base}/v1/nothing-here`);
    await new Promise((r) => setImmediate(r));
    assert.ok(
      lines.some((l) => l.req?.url === '/v1/nothing-here' && l.msg === 'request completed'),
      JSON.stringify(lines),
    );
  });

  it("answers 503 when Temporal cannot take the event, so AURA's delivery is not acknowledged as kept", async () => {
    const deadPort = await freePort();
    const client = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${deadPort}` }),
      namespace: 'default',
    });
    const base = await serve(client, {});
    const started = Date.now();
    const r = await deliver(base, callout(710020));
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, 'TEMPORAL_UNAVAILABLE');
    console.log(`503 after ${Date.now() - started} ms`);
  });

  it("answers 503 through the Rust core's connection (as the service signals) once Temporal has gone away, and 200 while it is there", async () => {
    const doomed = await startTemporal();
    let gone = false;
    const connection = await NativeConnection.connect({ address: doomed.address });
    try {
      const signalClient = new Client({ connection, namespace: 'default' });
      const base = await serve(env.client, { webhookSignalClient: signalClient });
      assert.equal((await deliver(base, callout(710030))).status, 200);
      await doomed.teardown();
      gone = true;
      const started = Date.now();
      const r = await deliver(base, callout(710031));
      console.log(`503 after ${Date.now() - started} ms`);
      assert.equal(r.status, 503);
      assert.equal(r.body.error.code, 'TEMPORAL_UNAVAILABLE');
    } finally {
      if (!gone) await doomed.teardown();
      await connection.close().catch(() => undefined);
    }
  });
});
