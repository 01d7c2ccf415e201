import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadEnv } from '../../src/config.js';

describe('configuration', () => {
  it('has working development defaults', () => {
    const env = loadEnv({});
    assert.equal(env.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(env.AURA_CLIENT_ID, 'dev-client');
    assert.deepEqual(env.RESPONSE_TYPES, { SECURITY: 1, MEDICAL: 2 });
  });

  it('names every invalid variable at once', () => {
    try {
      loadEnv({ API_PORT: 'eighty', POLL_INTERVAL_MS: '5', AURA_BASE_URL: 'not a url', RESPONSE_TYPES: 'SECURITY' });
      assert.fail('should have thrown');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const text = err.message;
      for (const name of ['API_PORT', 'POLL_INTERVAL_MS', 'AURA_BASE_URL', 'RESPONSE_TYPES']) assert.match(text, new RegExp(name));
    }
  });

  it('refuses development credentials in production', () => {
    assert.throws(() => loadEnv({ NODE_ENV: 'production' }), /AURA_CLIENT_ID[\s\S]*WEBHOOK_TOKEN/);
  });
});
