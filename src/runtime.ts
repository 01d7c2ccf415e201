// Building the long-lived parts from configuration: used by the worker and API entry points and by `npm run dev`.
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleOption } from '@temporalio/worker';
import type { Express } from 'express';
import { AuraClient } from './aura/client.js';
import { createApp } from './api/app.js';
import type { Env } from './config.js';
import type { Logger } from './logger.js';
import { recordPanicApiCall } from './metrics.js';
import { dataConverterFor } from './temporal/codec.js';
import { payloadKeysOf } from './temporal/connection.js';
import { createCalloutWorkers, type CalloutWorkers } from './worker/worker.js';

export function auraClientFromEnv(env: Env): AuraClient {
  return new AuraClient({
    baseUrl: env.AURA_BASE_URL,
    clientId: env.AURA_CLIENT_ID,
    clientSecret: env.AURA_CLIENT_SECRET,
    staticToken: env.AURA_STATIC_TOKEN,
    timeoutMs: env.AURA_TIMEOUT_MS,
    onResponse: recordPanicApiCall,
    maxRequestsPerSecond: env.AURA_MAX_REQUESTS_PER_SECOND,
  });
}

export function workersFromEnv(env: Env, connection: NativeConnection, client: Client, workflowBundle?: WorkflowBundleOption, log?: Logger): Promise<CalloutWorkers> {
  return createCalloutWorkers({
    connection,
    client,
    aura: auraClientFromEnv(env),
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    pollIntervalMs: env.POLL_INTERVAL_MS,
    pollIntervalSlowMs: env.POLL_INTERVAL_SLOW_MS,
    eventsEveryPolls: env.EVENTS_EVERY_POLLS,
    continueAsNewEvents: env.CONTINUE_AS_NEW_EVENTS,
    ratingWindowMs: env.RATING_WINDOW_MS,
    rateCancelled: env.RATE_CANCELLED_CALLOUTS,
    rateTest: env.RATE_TEST_CALLOUTS,
    platformEventsUrl: env.PLATFORM_EVENTS_URL,
    platformEventsSecret: env.PLATFORM_EVENTS_SECRET,
    auraMaxRequestsPerSecond: env.AURA_MAX_REQUESTS_PER_SECOND,
    shutdownGraceTimeMs: env.SHUTDOWN_GRACE_MS,
    log,
    ...(workflowBundle ? { workflowBundle } : {}),
    dataConverter: dataConverterFor(payloadKeysOf(env)),
  });
}

export function appFromEnv(env: Env, client: Client, log: Logger): Express {
  return createApp({
    client,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    namespace: env.TEMPORAL_NAMESPACE,
    log,
    temporalUiUrl: env.TEMPORAL_UI_URL ?? null,
    webhookToken: env.WEBHOOK_TOKEN,
    webhookAuthHeader: env.WEBHOOK_AUTH_HEADER,
    webhookIpAllowlist: env.WEBHOOK_IP_ALLOWLIST,
    ...(env.TRUST_PROXY ? { trustProxy: /^\d+$/.test(env.TRUST_PROXY) ? Number(env.TRUST_PROXY) : env.TRUST_PROXY } : {}),
    responseTypes: env.RESPONSE_TYPES,
    auraBaseUrl: env.AURA_BASE_URL,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    payloadKeys: payloadKeysOf(env),
    codecAuthToken: env.CODEC_AUTH_TOKEN,
    codecOpenWithoutToken: env.NODE_ENV !== 'production',
    onboarding: {
      settings: { confirmWaitMs: env.ONBOARDING_CONFIRM_WAIT_MS, customerLookupWaitMs: Math.max(30_000, env.ONBOARDING_CONFIRM_WAIT_MS), readBackAttempts: 5 },
      defaultSubscriptionDays: env.SUBSCRIPTION_DEFAULT_DAYS,
      subscriptionGrace: env.SUBSCRIPTION_GRACE,
    },
  });
}
