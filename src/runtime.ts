// Building the long-lived parts from configuration: used by the worker and API entry points and by `npm run dev`.
import type { Client } from '@temporalio/client';
import type { NativeConnection, WorkflowBundleOption } from '@temporalio/worker';
import type { Express } from 'express';
import { auraClientFromEnv } from './aura/from-env.js';
import { createApp } from './api/app.js';
import type { Env } from './config.js';
import type { Logger } from './logger.js';
import { dataConverterFor } from './temporal/codec.js';
import { payloadKeysOf } from './temporal/connection.js';
import { createCalloutWorkers, type CalloutWorkers } from './worker/worker.js';
import type { FixedLocationSettings } from './activities/fixed-locations/shared.js';
import type { FixedLocationApiOptions } from './api/fixed-locations.js';
import type { NamedReadinessCheck, Readiness } from './api/readiness.js';
import { FixedLocationStore } from './fixed-locations/store.js';
import { importFileStore } from './fixed-locations/legacy-import.js';
import { openDatabase } from './db/database.js';
import { ensureFixedLocationSchedule } from './fixed-locations/schedule.js';

/** The key of the CSV-import callback URL's HMAC (API and worker derive the same one). */
function callbackSecretOf(env: Env): string {
  return env.FIXED_LOCATION_CALLBACK_SECRET ?? `fixed-location-callback:${env.WEBHOOK_TOKEN}`;
}

export function fixedLocationSettingsFromEnv(env: Env, store?: FixedLocationStore): FixedLocationSettings {
  return {
    store,
    mode: env.FIXED_LOCATION_SYNC_MODE,
    pageSize: env.FIXED_LOCATION_PAGE_SIZE,
    batchSize: env.FIXED_LOCATION_BATCH_SIZE,
    concurrency: env.FIXED_LOCATION_CONCURRENCY,
    maxRequestsPerSecond: env.FIXED_LOCATION_MAX_REQUESTS_PER_SECOND,
    maxDeleteShare: env.FIXED_LOCATION_CSV_MAX_DELETE_SHARE,
    callbackTimeoutMs: env.FIXED_LOCATION_CSV_CALLBACK_TIMEOUT_MS,
    callbackBaseUrl:
      env.FIXED_LOCATION_CALLBACK_BASE_URL ?? env.PUBLIC_BASE_URL ?? `http://${env.API_HOST}:${env.API_PORT}`,
    callbackSecret: callbackSecretOf(env),
    continueAsNewEvents: 2_000,
    reportMaxIssues: env.FIXED_LOCATION_REPORT_MAX_ISSUES,
  };
}

export interface AdapterDatabase {
  store: FixedLocationStore;
  /** The server in use (DATABASE_URL, or the embedded server's): what a process started from this one is handed. */
  url: string;
  close(): Promise<void>;
}

/**
 * The adapter's database, for the API, the worker or both: DATABASE_URL, else the embedded server on DATA_DIR
 * (started, or reused when another process of this DATA_DIR runs it). Migrated, and a DATA_DIR of the old file
 * store imported once.
 */
export async function adapterDatabaseFromEnv(
  env: Env,
  log?: Logger,
  applicationName = 'aura-callouts',
): Promise<AdapterDatabase> {
  const db = await openDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    applicationName,
    ...(log ? { log: (msg: string) => log.info(msg) } : {}),
  });
  const store = new FixedLocationStore(db.pool);
  try {
    const imported = await importFileStore(store, env.DATA_DIR);
    if (imported.imported || imported.renamed.length)
      log?.info({ dataDir: env.DATA_DIR, ...imported }, 'file store imported into the database');
  } catch (err) {
    await db.close();
    throw err;
  }
  return { store, url: db.url, close: () => db.close() };
}

/** The API's side: load PLATFORM_LOCATIONS_FILE when it is new or changed. */
export async function fixedLocationApiFromEnv(
  env: Env,
  store: FixedLocationStore,
  log?: Logger,
): Promise<FixedLocationApiOptions> {
  if (env.PLATFORM_LOCATIONS_FILE) {
    const r = await store.loadFileIfChanged(env.PLATFORM_LOCATIONS_FILE);
    log?.info(
      { file: env.PLATFORM_LOCATIONS_FILE, loaded: r.loaded, count: r.count },
      r.loaded ? 'platform locations loaded from file' : 'platform locations: file unchanged, store kept',
    );
  }
  return { store, callbackSecret: callbackSecretOf(env) };
}

export async function workersFromEnv(
  env: Env,
  connection: NativeConnection,
  client: Client,
  workflowBundle?: WorkflowBundleOption,
  log?: Logger,
  store?: FixedLocationStore,
): Promise<CalloutWorkers> {
  const workers = await createCalloutWorkers({
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
    lifecycleLivenessMs: env.LIFECYCLE_LIVENESS_MS,
    rateCancelled: env.RATE_CANCELLED_CALLOUTS,
    rateTest: env.RATE_TEST_CALLOUTS,
    platformEventsUrl: env.PLATFORM_EVENTS_URL,
    platformEventsSecret: env.PLATFORM_EVENTS_SECRET,
    auraMaxRequestsPerSecond: env.AURA_MAX_REQUESTS_PER_SECOND,
    shutdownGraceTimeMs: env.SHUTDOWN_GRACE_MS,
    log,
    ...(workflowBundle ? { workflowBundle } : {}),
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    tuning: {
      maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASK_EXECUTIONS,
      workflowTaskPollers: env.WORKER_WORKFLOW_TASK_POLLERS,
      nonStickyToStickyPollRatio: env.WORKER_NONSTICKY_TO_STICKY_POLL_RATIO,
      maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITY_TASK_EXECUTIONS,
      maxConcurrentLocalActivityExecutions: env.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITY_EXECUTIONS,
    },
    dataConverter: dataConverterFor(payloadKeysOf(env)),
    fixedLocations: fixedLocationSettingsFromEnv(env, store),
  });
  await ensureFixedLocationSchedule(client, {
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    intervalMs: env.FIXED_LOCATION_SYNC_INTERVAL_MS,
  });
  return workers;
}

export interface AppFromEnvOptions {
  /** The role this process runs (default SERVICE_ROLE): `api` reports a missing worker as a warning, not a 503. */
  role?: Env['SERVICE_ROLE'];
  /** The checks /readyz runs (the process flips it to shutting_down on SIGTERM). */
  readiness?: Readiness;
  /** More named readiness checks (a database, …). */
  readinessChecks?: NamedReadinessCheck[];
  /** The client the webhook receiver signals through (connectNativeClient); `client` when absent. */
  webhookSignalClient?: Client;
}

export function appFromEnv(
  env: Env,
  client: Client,
  log: Logger,
  fixedLocations?: FixedLocationApiOptions,
  opts: AppFromEnvOptions = {},
): Express {
  return createApp({
    requireWorker: (opts.role ?? env.SERVICE_ROLE) !== 'api',
    ...(opts.readiness ? { readiness: opts.readiness } : {}),
    ...(opts.readinessChecks ? { readinessChecks: opts.readinessChecks } : {}),
    client,
    ...(opts.webhookSignalClient ? { webhookSignalClient: opts.webhookSignalClient } : {}),
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    namespace: env.TEMPORAL_NAMESPACE,
    log,
    temporalUiUrl: env.TEMPORAL_UI_URL ?? null,
    webhookToken: env.WEBHOOK_TOKEN,
    webhookAuthHeader: env.WEBHOOK_AUTH_HEADER,
    webhookIpAllowlist: env.WEBHOOK_IP_ALLOWLIST,
    ...(env.TRUST_PROXY
      ? { trustProxy: /^\d+$/.test(env.TRUST_PROXY) ? Number(env.TRUST_PROXY) : env.TRUST_PROXY }
      : {}),
    responseTypes: env.RESPONSE_TYPES,
    auraBaseUrl: env.AURA_BASE_URL,
    publicBaseUrl: env.PUBLIC_BASE_URL,
    payloadKeys: payloadKeysOf(env),
    codecAuthToken: env.CODEC_AUTH_TOKEN,
    codecOpenWithoutToken: env.NODE_ENV !== 'production',
    onboarding: {
      settings: {
        confirmWaitMs: env.ONBOARDING_CONFIRM_WAIT_MS,
        customerLookupWaitMs: Math.max(30_000, env.ONBOARDING_CONFIRM_WAIT_MS),
        readBackAttempts: 5,
      },
      defaultSubscriptionDays: env.SUBSCRIPTION_DEFAULT_DAYS,
      subscriptionGrace: env.SUBSCRIPTION_GRACE,
    },
    ...(fixedLocations ? { fixedLocations } : {}),
  });
}
