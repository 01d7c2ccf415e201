// The Temporal connection follows Temporal's environment configuration (@temporalio/envconfig): TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY and the TEMPORAL_TLS_* variables as before, plus profiles from a TOML file
// (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), the variables overriding the profile.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadEnv } from '../../src/config.js';
import { connectionOptionsOf } from '../../src/temporal/connection.js';

const dir = mkdtempSync(join(tmpdir(), 'envconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const configFile = join(dir, 'temporal.toml');
writeFileSync(
  configFile,
  `[profile.default]
address = "default-host:7233"

[profile.staging]
address = "staging.example:7234"
namespace = "callouts-staging"

[profile.cloud]
address = "callouts.abc12.tmprl.cloud:7233"
namespace = "callouts.abc12"
api_key = "cloud-api-key"

[profile.mtls]
address = "temporal.internal:7233"
[profile.mtls.tls]
server_name = "temporal.internal"
client_cert_data = "CERT"
client_key_data = "KEY"
[profile.mtls.grpc_meta]
x-tenant = "callouts"
`,
);

describe('Temporal connection settings from environment configuration profiles', () => {
  it('TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE select the address and namespace', () => {
    const env = loadEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'staging' });
    assert.equal(env.TEMPORAL_ADDRESS, 'staging.example:7234');
    assert.equal(env.TEMPORAL_NAMESPACE, 'callouts-staging');
  });

  it('the profile named "default" is used when TEMPORAL_PROFILE is not set', () => {
    const env = loadEnv({ TEMPORAL_CONFIG_FILE: configFile });
    assert.equal(env.TEMPORAL_ADDRESS, 'default-host:7233');
    assert.equal(env.TEMPORAL_NAMESPACE, 'default');
  });

  it('TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE override the profile', () => {
    const env = loadEnv({
      TEMPORAL_CONFIG_FILE: configFile,
      TEMPORAL_PROFILE: 'staging',
      TEMPORAL_ADDRESS: '127.0.0.1:7999',
    });
    assert.equal(env.TEMPORAL_ADDRESS, '127.0.0.1:7999');
    assert.equal(env.TEMPORAL_NAMESPACE, 'callouts-staging');
  });

  it("a profile's API key is used", () => {
    const env = loadEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'cloud' });
    assert.equal(env.TEMPORAL_ADDRESS, 'callouts.abc12.tmprl.cloud:7233');
    assert.equal(env.TEMPORAL_API_KEY, 'cloud-api-key');
  });

  it('TEMPORAL_PROFILE alone reads the default file ($XDG_CONFIG_HOME/temporalio/temporal.toml)', () => {
    const xdg = join(dir, 'xdg');
    mkdirSync(join(xdg, 'temporalio'), { recursive: true });
    writeFileSync(join(xdg, 'temporalio', 'temporal.toml'), '[profile.local]\naddress = "127.0.0.1:7444"\n');
    const env = loadEnv({ TEMPORAL_PROFILE: 'local', XDG_CONFIG_HOME: xdg });
    assert.equal(env.TEMPORAL_ADDRESS, '127.0.0.1:7444');
  });

  it('an unknown profile or a missing file fails the start, naming the variable', () => {
    assert.throws(
      () => loadEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'nope' }),
      (err: unknown) => err instanceof ConfigError && /TEMPORAL_PROFILE/.test(err.message) && /nope/.test(err.message),
    );
    assert.throws(
      () => loadEnv({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') }),
      (err: unknown) => err instanceof ConfigError && /TEMPORAL_CONFIG_FILE/.test(err.message),
    );
  });

  it('without TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE no file is read: the variables and defaults as before', () => {
    const xdg = join(dir, 'xdg-default');
    mkdirSync(join(xdg, 'temporalio'), { recursive: true });
    writeFileSync(join(xdg, 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "should-not-be-read:1"\n');
    assert.equal(loadEnv({ XDG_CONFIG_HOME: xdg }).TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(
      loadEnv({ XDG_CONFIG_HOME: xdg, TEMPORAL_ADDRESS: 'temporal:7233' }).TEMPORAL_ADDRESS,
      'temporal:7233',
    );
  });
});

describe('connection options (address, TLS, API key, gRPC metadata)', () => {
  it('variables alone: as before (no TLS; TEMPORAL_TLS; an API key implies TLS; mTLS from files)', () => {
    assert.deepEqual(connectionOptionsOf(loadEnv({})), { address: '127.0.0.1:7233' });
    const tls = connectionOptionsOf(loadEnv({ TEMPORAL_TLS: 'yes' })).tls;
    assert.ok(tls && typeof tls === 'object', 'TEMPORAL_TLS=yes turns TLS on');
    assert.deepEqual(connectionOptionsOf(loadEnv({ TEMPORAL_API_KEY: 'k' })), {
      address: '127.0.0.1:7233',
      apiKey: 'k',
      tls: true,
    });
    writeFileSync(join(dir, 'client.pem'), 'CRT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    const mtls = connectionOptionsOf(
      loadEnv({
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
        TEMPORAL_TLS_SERVER_NAME: 'srv',
      }),
    ).tls as any;
    assert.equal(Buffer.from(mtls.clientCertPair.crt).toString(), 'CRT');
    assert.equal(Buffer.from(mtls.clientCertPair.key).toString(), 'KEY');
    assert.equal(mtls.serverNameOverride, 'srv');
  });

  it("a profile's API key, TLS and gRPC metadata reach the connection", () => {
    const cloud = connectionOptionsOf(loadEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'cloud' }));
    assert.deepEqual(cloud, { address: 'callouts.abc12.tmprl.cloud:7233', apiKey: 'cloud-api-key', tls: true });
    const mtls = connectionOptionsOf(loadEnv({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'mtls' })) as any;
    assert.equal(mtls.address, 'temporal.internal:7233');
    assert.equal(mtls.tls.serverNameOverride, 'temporal.internal');
    assert.equal(Buffer.from(mtls.tls.clientCertPair.crt).toString(), 'CERT');
    assert.deepEqual(mtls.metadata, { 'x-tenant': 'callouts' });
  });
});
