// Connections to Temporal following Temporal's own environment conventions (address, namespace, TLS, API key), read
// through @temporalio/envconfig, with profiles from TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Env } from '../config.js';
import { dataConverterFor, payloadKeysFrom } from './codec.js';
import { temporalConnectionOptions } from './envconfig.js';

type TemporalEnv = Pick<
  Env,
  | 'TEMPORAL_ADDRESS'
  | 'TEMPORAL_NAMESPACE'
  | 'TEMPORAL_API_KEY'
  | 'TEMPORAL_TLS'
  | 'TEMPORAL_TLS_CLIENT_CERT_PATH'
  | 'TEMPORAL_TLS_CLIENT_KEY_PATH'
> &
  Partial<
    Pick<
      Env,
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH' | 'TEMPORAL_TLS_SERVER_NAME' | 'TEMPORAL_PROFILE' | 'TEMPORAL_CONFIG_FILE'
    >
  > &
  Partial<Pick<Env, 'TEMPORAL_PAYLOAD_KEY' | 'TEMPORAL_PAYLOAD_KEY_ID' | 'TEMPORAL_PAYLOAD_PREVIOUS_KEYS'>>;

/** The payload keys, when payload encryption is configured. */
export function payloadKeysOf(
  env: Partial<Pick<Env, 'TEMPORAL_PAYLOAD_KEY' | 'TEMPORAL_PAYLOAD_KEY_ID' | 'TEMPORAL_PAYLOAD_PREVIOUS_KEYS'>>,
) {
  return env.TEMPORAL_PAYLOAD_KEY
    ? payloadKeysFrom(env.TEMPORAL_PAYLOAD_KEY, env.TEMPORAL_PAYLOAD_KEY_ID ?? 'k1', env.TEMPORAL_PAYLOAD_PREVIOUS_KEYS)
    : null;
}

/**
 * Address, TLS, API key and gRPC metadata: the variables, over the profile of TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE.
 */
export function connectionOptionsOf(env: TemporalEnv) {
  return temporalConnectionOptions({
    ...env,
    HOME: process.env.HOME,
    XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME,
    APPDATA: process.env.APPDATA,
  });
}

export async function connectClient(env: TemporalEnv): Promise<Client> {
  const connection = await Connection.connect(connectionOptionsOf(env));
  const dataConverter = dataConverterFor(payloadKeysOf(env));
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) });
}

/**
 * A client over the Rust core's connection (the worker's kind, NativeConnection) rather than @grpc/grpc-js: its gRPC
 * (HTTP/2 framing, TLS, retries) runs on the core's own threads, so a call costs the event loop about half the CPU
 * time and none of the network work. The webhook receiver signals through one (see service.ts).
 */
export async function connectNativeClient(env: TemporalEnv): Promise<Client> {
  const connection = await NativeConnection.connect(connectionOptionsOf(env));
  const dataConverter = dataConverterFor(payloadKeysOf(env));
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) });
}

export async function connectWorker(env: TemporalEnv): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptionsOf(env));
}
