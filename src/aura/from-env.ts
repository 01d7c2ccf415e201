// The Panic API client as the service's configuration describes it: the one place that reads AURA_* into client
// options, for the worker, the start-up webhook registration, the operator CLI and the go-live kit.
import type { Env } from '../config.js';
import { recordPanicApiCall } from '../metrics.js';
import { AuraClient, type AuraClientOptions } from './client.js';

/** `overrides` for a caller with needs of its own (the go-live kit records every call and retries none). */
export function auraClientFromEnv(env: Env, overrides: Partial<AuraClientOptions> = {}): AuraClient {
  return new AuraClient({
    baseUrl: env.AURA_BASE_URL,
    clientId: env.AURA_CLIENT_ID,
    clientSecret: env.AURA_CLIENT_SECRET,
    staticToken: env.AURA_STATIC_TOKEN,
    timeoutMs: env.AURA_TIMEOUT_MS,
    onResponse: recordPanicApiCall,
    maxRequestsPerSecond: env.AURA_MAX_REQUESTS_PER_SECOND,
    maxQueueWaitMs: env.AURA_MAX_QUEUE_WAIT_MS,
    ...overrides,
  });
}
