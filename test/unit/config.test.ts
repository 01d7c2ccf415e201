import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, EnvSchema, loadEnv } from '../../src/config.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';

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
      for (const name of ['API_PORT', 'POLL_INTERVAL_MS', 'AURA_BASE_URL', 'RESPONSE_TYPES'])
        assert.match(text, new RegExp(name));
    }
  });

  it('refuses development credentials in production', () => {
    assert.throws(() => loadEnv({ NODE_ENV: 'production' }), /AURA_CLIENT_ID[\s\S]*WEBHOOK_TOKEN/);
  });
});

describe('.env.example', () => {
  const text = readFileSync(join(PROJECT_ROOT, '.env.example'), 'utf8');
  const documented = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^#?\s?([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) documented.set(m[1]!, m[2]!);
  }

  it('documents every variable of the schema, and only those', () => {
    const keys = Object.keys(EnvSchema.shape).sort();
    assert.deepEqual(
      keys.filter((k) => !documented.has(k)),
      [],
      'variables missing from .env.example',
    );
    // Anything else must be a docker compose interpolation variable.
    const compose = readFileSync(join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8');
    const unknown = [...documented.keys()].filter((k) => !keys.includes(k) && !compose.includes(`\${${k}`));
    assert.deepEqual(unknown, [], '.env.example names variables neither the schema nor docker-compose.yml reads');
  });

  it('its active lines form a valid production configuration', () => {
    const active: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const m = /^([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) active[m[1]!] = m[2]!;
    }
    const env = loadEnv(active);
    assert.equal(env.NODE_ENV, 'production');
  });

  it('a production start with nothing set lists each missing variable by name', () => {
    assert.throws(
      () => loadEnv({ NODE_ENV: 'production', API_PORT: 'x', TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['API_PORT', 'AURA_CLIENT_ID', 'WEBHOOK_TOKEN', 'TEMPORAL_TLS_CLIENT_KEY_PATH'])
          assert.match(err.message, new RegExp(name));
        return true;
      },
    );
  });
});
