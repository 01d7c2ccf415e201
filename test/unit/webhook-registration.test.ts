import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkWebhookRegistration,
  DEFAULT_WEBHOOK_EVENTS,
  webhookRegistrationFromEnv,
} from '../../src/aura/webhook-registration.js';

const headers = { authorization: 'Bearer dev-webhook-token' };

describe('webhook registration check', () => {
  it('accepts documented events over HTTPS', () => {
    const r = checkWebhookRegistration({
      url: 'https://hooks.example.com/webhooks/aura',
      events: DEFAULT_WEBHOOK_EVENTS,
      headers,
      allowLoopbackHttp: false,
    });
    assert.ok(r.ok);
    assert.deepEqual(r.warnings, []);
  });

  it('accepts the deprecated _WITH_ETA name with a warning', () => {
    const r = checkWebhookRegistration({
      url: 'https://h.example.com/x',
      events: ['RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA'],
      headers,
      allowLoopbackHttp: false,
    });
    assert.ok(r.ok);
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0]!, /deprecated/);
  });

  it('refuses an unknown event, naming it', () => {
    const r = checkWebhookRegistration({
      url: 'https://h.example.com/x',
      events: ['NEW_CALLOUT', 'CALLOUT_EXPLODED'],
      headers,
      allowLoopbackHttp: false,
    });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.problems.some((p) => p.includes('CALLOUT_EXPLODED')));
  });

  it('refuses plain HTTP on a public host; allows loopback HTTP only in development', () => {
    assert.equal(
      checkWebhookRegistration({
        url: 'http://hooks.example.com/x',
        events: ['NEW_CALLOUT'],
        headers,
        allowLoopbackHttp: true,
      }).ok,
      false,
    );
    assert.equal(
      checkWebhookRegistration({
        url: 'http://127.0.0.1:3000/x',
        events: ['NEW_CALLOUT'],
        headers,
        allowLoopbackHttp: true,
      }).ok,
      true,
    );
    assert.equal(
      checkWebhookRegistration({
        url: 'http://localhost:3000/x',
        events: ['NEW_CALLOUT'],
        headers,
        allowLoopbackHttp: false,
      }).ok,
      false,
    );
    assert.equal(
      checkWebhookRegistration({
        url: 'ftp://h.example.com/x',
        events: ['NEW_CALLOUT'],
        headers,
        allowLoopbackHttp: true,
      }).ok,
      false,
    );
  });

  it('requires a custom auth header', () => {
    const r = checkWebhookRegistration({
      url: 'https://h.example.com/x',
      events: ['NEW_CALLOUT'],
      headers: {},
      allowLoopbackHttp: false,
    });
    assert.equal(r.ok, false);
  });

  it('builds the registration from configuration', () => {
    const input = webhookRegistrationFromEnv({
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://callouts.example.com/',
      API_HOST: '0.0.0.0',
      API_PORT: 3000,
      WEBHOOK_AUTH_HEADER: 'x-aura-token',
      WEBHOOK_TOKEN: 'secret-token-123',
    });
    assert.equal(input.url, 'https://callouts.example.com/webhooks/aura');
    assert.deepEqual(input.headers, { 'x-aura-token': 'secret-token-123' });
    assert.equal(input.allowLoopbackHttp, false);
  });
});
