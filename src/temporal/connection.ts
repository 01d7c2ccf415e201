// Connections to Temporal following Temporal's own environment conventions (address, namespace, TLS, API key).
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Env } from '../config.js';
import { dataConverterFor, payloadKeysFrom } from './codec.js';

type TemporalEnv = Pick<Env, 'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_CLIENT_CERT_PATH' | 'TEMPORAL_TLS_CLIENT_KEY_PATH'> &
  Partial<Pick<Env, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' | 'TEMPORAL_TLS_SERVER_NAME'>> &
  Partial<Pick<Env, 'TEMPORAL_PAYLOAD_KEY' | 'TEMPORAL_PAYLOAD_KEY_ID' | 'TEMPORAL_PAYLOAD_PREVIOUS_KEYS'>>;

/** The payload keys, when payload encryption is configured. */
export function payloadKeysOf(env: Partial<Pick<Env, 'TEMPORAL_PAYLOAD_KEY' | 'TEMPORAL_PAYLOAD_KEY_ID' | 'TEMPORAL_PAYLOAD_PREVIOUS_KEYS'>>) {
  return env.TEMPORAL_PAYLOAD_KEY ? payloadKeysFrom(env.TEMPORAL_PAYLOAD_KEY, env.TEMPORAL_PAYLOAD_KEY_ID ?? 'k1', env.TEMPORAL_PAYLOAD_PREVIOUS_KEYS) : null;
}

function tlsOptions(env: TemporalEnv) {
  const serverSide = {
    ...(env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ? { serverRootCACertificate: readFileSync(env.TEMPORAL_TLS_SERVER_CA_CERT_PATH) } : {}),
    ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
  };
  if (env.TEMPORAL_TLS_CLIENT_CERT_PATH && env.TEMPORAL_TLS_CLIENT_KEY_PATH) {
    return { ...serverSide, clientCertPair: { crt: readFileSync(env.TEMPORAL_TLS_CLIENT_CERT_PATH), key: readFileSync(env.TEMPORAL_TLS_CLIENT_KEY_PATH) } };
  }
  if (Object.keys(serverSide).length) return serverSide;
  // An API key (Temporal Cloud) implies TLS.
  if (env.TEMPORAL_TLS || env.TEMPORAL_API_KEY) return true;
  return undefined;
}

export async function connectClient(env: TemporalEnv): Promise<Client> {
  const tls = tlsOptions(env);
  const connection = await Connection.connect({
    address: env.TEMPORAL_ADDRESS,
    ...(tls !== undefined ? { tls } : {}),
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  });
  const dataConverter = dataConverterFor(payloadKeysOf(env));
  return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) });
}

export async function connectWorker(env: TemporalEnv): Promise<NativeConnection> {
  const tls = tlsOptions(env);
  return NativeConnection.connect({
    address: env.TEMPORAL_ADDRESS,
    ...(tls !== undefined ? { tls } : {}),
    ...(env.TEMPORAL_API_KEY ? { apiKey: env.TEMPORAL_API_KEY } : {}),
  });
}
