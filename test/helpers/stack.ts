// A whole stack for integration tests: a real Temporal dev server (the project's CLI binary, through
// @temporalio/testing), the AURA simulator over real HTTP, the real worker and the real API on free ports.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { AuraClient, type AuraClientOptions } from '../../src/aura/client.js';
import { createApp, type AppOptions } from '../../src/api/app.js';
import { createLogger } from '../../src/logger.js';
import { recordPanicApiCall } from '../../src/metrics.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/app.js';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/temporal/search-attributes.js';
import { dataConverterFor, payloadKeysFrom } from '../../src/temporal/codec.js';
import { ensureTemporalCli } from '../../src/temporal/dev-server.js';
import {
  createCalloutWorkers,
  workflowInterceptorModules,
  workflowsPath,
  type CalloutWorkers,
} from '../../src/worker/worker.js';
import type { FixedLocationSettings } from '../../src/activities/fixed-locations/shared.js';
import type { FixedLocationStore } from '../../src/fixed-locations/store.js';
import { testStore } from './database.js';

export const WEBHOOK_TOKEN = 'test-webhook-token';
export const CODEC_TOKEN = 'test-codec-token-0123456789';
export const FIXED_LOCATION_CALLBACK_SECRET = 'test-fixed-location-callback-secret';

// Expected failures (AURA refusing a create, say) are logged by the SDK as warnings; tests keep the output clean
// (only TEMPORAL_LOG_LEVEL and above are printed), while every INFO line can be captured by a test that reads logs.
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
const printFrom = LEVELS.indexOf(process.env.TEMPORAL_LOG_LEVEL ?? 'ERROR');
const sdkLogSinks = new Set<(line: string) => void>();
Runtime.install({
  logger: new DefaultLogger('INFO', (entry) => {
    const line = `${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`;
    for (const sink of sdkLogSinks) sink(line);
    if (LEVELS.indexOf(entry.level) >= printFrom) console.error(line);
  }),
});

/** Receive every line the Temporal SDK logs (worker, workflows, activities) until the returned function is called. */
export function captureSdkLogs(sink: (line: string) => void): () => void {
  sdkLogSinks.add(sink);
  return () => void sdkLogSinks.delete(sink);
}

let bundle: Promise<WorkflowBundle> | null = null;
let nextRange = Math.floor(Math.random() * 1000) * 10;
/** One workflow bundle per test file (process). */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never,
  });
  return bundle;
}

export async function startTemporal(): Promise<TestWorkflowEnvironment> {
  const path = process.env.TEMPORAL_CLI_PATH ?? (await ensureTemporalCli());
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path },
      searchAttributes: ALL_SEARCH_ATTRIBUTE_KEYS,
      ip: '127.0.0.1',
      ui: false,
      log: { format: 'pretty', level: 'error' },
      // Tests poll every few hundred ms; the server's default 1 s timer slack would blur that.
      // The priority-enabled matcher, as every server of the project runs (TEMPORAL_NEW_MATCHER=false: FIFO, for the
      // priority benchmark's comparison).
      extraArgs: [
        '--dynamic-config-value',
        'history.timerProcessorMaxTimeShift="20ms"',
        '--dynamic-config-value',
        `matching.useNewMatcher=${process.env.TEMPORAL_NEW_MATCHER === 'false' ? 'false' : 'true'}`,
      ],
    },
  });
}

export interface StackOptions {
  pollIntervalMs?: number;
  pollIntervalSlowMs?: number;
  eventsEveryPolls?: number;
  ratingWindowMs?: number;
  lifecycleLivenessMs?: number;
  rateCancelled?: boolean;
  platformEventsUrl?: string;
  platformEventsSecret?: string;
  continueAsNewEvents?: number;
  auraMaxRequestsPerSecond?: number;
  simulator?: SimulatorOptions;
  /** Register the receiver with the simulator (webhooks flow). */
  registerWebhook?: boolean;
  webhookEvents?: string[];
  /** Encrypt Temporal payloads with this AES-256 key (base64): worker and API then use a codec-carrying client. */
  payloadKey?: string;
  /** Where the API's logs go, and at which level (default: silent). */
  logDestination?: { write(line: string): void };
  logLevel?: string;
  /** Onboarding settings and the subscription intake rule (see src/api/onboarding.ts). */
  onboarding?: AppOptions['onboarding'];
  customerRouteWaitMs?: number;
  /** Fixed Location settings (the store: a fresh database of the test server, unless given). */
  fixedLocations?: Partial<FixedLocationSettings>;
  /** Options of the worker's Panic API client (e.g. its pacer: maxRequestsPerSecond). */
  auraClient?: Partial<AuraClientOptions>;
}

export interface Replica {
  aura: AuraClient;
  workers: CalloutWorkers;
  close(): Promise<void>;
}

export interface Stack {
  env: TestWorkflowEnvironment;
  sim: RunningSimulator;
  aura: AuraClient;
  apiUrl: string;
  taskQueue: string;
  workers: CalloutWorkers;
  /** The adapter's store (API and worker share it): its own database, created when first used. */
  store: FixedLocationStore;
  /** fetch against the API, JSON in and out. */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  sim_(method: string, path: string, body?: unknown): Promise<any>;
  /** Read the incident until `pred` holds, and return it. */
  incidentWhen(incidentId: string, pred: (incident: any) => boolean, timeoutMs?: number): Promise<any>;
  /** A new simulator customer holding an active subscription. */
  newCustomer(): Promise<number>;
  /** A second worker process's worth (main and Panic API workers, its own AURA client) on the same task queues. */
  startReplica(auraClient?: Partial<AuraClientOptions>): Promise<Replica>;
  close(): Promise<void>;
}

export async function startStack(env: TestWorkflowEnvironment, opts: StackOptions = {}): Promise<Stack> {
  const log = createLogger({
    level: opts.logLevel ?? process.env.LOG_LEVEL ?? 'silent',
    ...(opts.logDestination ? { destination: opts.logDestination } : {}),
  });
  const payloadKeys = opts.payloadKey ? payloadKeysFrom(opts.payloadKey, 'test-key') : null;
  const dataConverter = dataConverterFor(payloadKeys);
  const client = dataConverter
    ? new Client({ connection: env.connection, namespace: env.namespace ?? 'default', dataConverter })
    : env.client;
  const sim = await startSimulator({
    autopilot: { enabled: false, stepMs: 300, emitWebhooks: false },
    cancelCloseMs: 300,
    // Stacks share one Temporal server; lifecycle workflow ids carry AURA's callout id, so ranges must not meet.
    firstCalloutId: 100_000 + nextRange++ * 10_000,
    ...opts.simulator,
  });
  const auraClient = (over?: Partial<AuraClientOptions>) =>
    new AuraClient({
      baseUrl: sim.panicApiUrl,
      clientId: 'dev-client',
      clientSecret: 'dev-secret',
      timeoutMs: 5_000,
      onResponse: recordPanicApiCall,
      ...over,
    });
  const aura = auraClient(opts.auraClient);
  const taskQueue = `test-${randomUUID()}`;
  const own = opts.fixedLocations?.store ? null : testStore();
  const store = opts.fixedLocations?.store ?? own!.store;
  const app = createApp({
    client,
    // The receiver signals through the Rust core's connection, as the service's does (connectNativeClient).
    webhookSignalClient: new Client({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      ...(dataConverter ? { dataConverter } : {}),
    }),
    payloadKeys,
    codecAuthToken: CODEC_TOKEN,
    taskQueue,
    namespace: env.namespace ?? 'default',
    log,
    webhookToken: WEBHOOK_TOKEN,
    responseTypes: { SECURITY: 1, MEDICAL: 2 },
    auraBaseUrl: sim.panicApiUrl,
    onboarding: {
      settings: { confirmWaitMs: 1_500, customerLookupWaitMs: 10_000, readBackAttempts: 5 },
      ...opts.onboarding,
    },
    ...(opts.customerRouteWaitMs !== undefined ? { customerRouteWaitMs: opts.customerRouteWaitMs } : {}),
    fixedLocations: { store, callbackSecret: FIXED_LOCATION_CALLBACK_SECRET },
  });
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const bundled = await workflowBundle();
  const workerOptions = (workerAura: AuraClient) => ({
    connection: env.nativeConnection,
    client,
    dataConverter,
    aura: workerAura,
    namespace: env.namespace ?? 'default',
    taskQueue,
    pollIntervalMs: opts.pollIntervalMs ?? 500,
    ...(opts.pollIntervalSlowMs !== undefined ? { pollIntervalSlowMs: opts.pollIntervalSlowMs } : {}),
    ...(opts.eventsEveryPolls !== undefined ? { eventsEveryPolls: opts.eventsEveryPolls } : {}),
    // Short by default so that lifecycles complete inside a test; rating tests set their own.
    ratingWindowMs: opts.ratingWindowMs ?? 1_000,
    ...(opts.rateCancelled !== undefined ? { rateCancelled: opts.rateCancelled } : {}),
    ...(opts.lifecycleLivenessMs !== undefined ? { lifecycleLivenessMs: opts.lifecycleLivenessMs } : {}),
    platformEventsUrl: opts.platformEventsUrl,
    platformEventsSecret: opts.platformEventsSecret,
    continueAsNewEvents: opts.continueAsNewEvents ?? 5_000,
    auraMaxRequestsPerSecond: opts.auraMaxRequestsPerSecond ?? 200,
    workflowBundle: bundled,
    fixedLocations: {
      store,
      callbackBaseUrl: apiUrl,
      callbackSecret: FIXED_LOCATION_CALLBACK_SECRET,
      callbackTimeoutMs: 15_000,
      ...opts.fixedLocations,
    },
  });
  const workers = await createCalloutWorkers(workerOptions(aura));
  const running = workers.run();
  const replicas: Replica[] = [];

  if (opts.registerWebhook) {
    await aura.registerWebhook({
      url: `${apiUrl}/webhooks/aura`,
      events: opts.webhookEvents ?? [
        'NEW_CALLOUT',
        'RESPONDER_MANUALLY_DISPATCHED',
        'RESPONDER_ACKNOWLEDGED_CALLOUT',
        'RESPONDER_ARRIVED_ON_SCENE',
        'RESPONDER_COMPLETED',
        'CALLOUT_NO_LONGER_REQUIRES_RESPONSE',
        'CALLOUT_CLOSED',
      ],
      headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` },
    });
  }

  const json = async (
    base: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(base + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed as any, headers: res.headers };
  };

  return {
    env,
    sim,
    aura,
    apiUrl,
    taskQueue,
    workers,
    store,
    api: (method, path, body, headers) => json(apiUrl, method, path, body, headers),
    sim_: async (method, path, body) => (await json(sim.url, method, path, body)).body,
    incidentWhen: (incidentId, pred, timeoutMs = 20_000) =>
      eventually(async () => {
        const r = await json(apiUrl, 'GET', `/v1/callouts/${incidentId}`);
        return r.status === 200 && pred(r.body) ? r.body : null;
      }, timeoutMs),
    newCustomer: async () => {
      const r = await json(
        sim.panicApiUrl,
        'POST',
        '/v2/customers',
        {
          customer: {
            name: 'Test',
            surname: 'Customer',
            mobile: `+2782${Math.floor(Math.random() * 1e7)
              .toString()
              .padStart(7, '0')}`,
          },
          subscription: { subscriptionTypeId: 12 },
        },
        { authorization: 'Bearer dev-token' },
      );
      if (r.status !== 201) throw new Error(`could not create a simulator customer: ${r.status}`);
      return r.body.customer.id as number;
    },
    startReplica: async (over) => {
      const replicaAura = auraClient({ ...opts.auraClient, ...over });
      const replicaWorkers = await createCalloutWorkers({
        ...workerOptions(replicaAura),
        buildId: `replica-${replicas.length + 1}`,
      });
      const replicaRunning = replicaWorkers.run();
      const replica: Replica = {
        aura: replicaAura,
        workers: replicaWorkers,
        close: async () => {
          replicaWorkers.shutdown();
          await replicaRunning.catch(() => undefined);
        },
      };
      replicas.push(replica);
      return replica;
    },
    close: async () => {
      await Promise.all(replicas.map((r) => r.close()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      workers.shutdown();
      await running.catch(() => undefined);
      await sim.close();
      await own?.close();
    },
  };
}

/** A live position in Johannesburg, as the tests open their incidents with. */
export const LIVE_POSITION = { latitude: -26.10911, longitude: 28.053037, accuracy: 10 };

/** Open an incident for a new customer at a live position, and wait for its AURA callout id. */
export async function openIncident(
  stack: Stack,
  incidentId: string,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const r = await stack.api('POST', '/v1/callouts', {
    incidentId,
    customerId: await stack.newCustomer(),
    location: LIVE_POSITION,
    ...extra,
  });
  if (r.status !== 202) throw new Error(`POST /v1/callouts answered ${r.status}: ${JSON.stringify(r.body)}`);
  return eventually(async () => (await stack.api('GET', `/v1/callouts/${incidentId}`)).body.auraCalloutId);
}

/** The Panic API requests the simulator received with this method and a path matching `re`. */
export async function simRequests(
  stack: Stack,
  re: RegExp,
  method = 'POST',
): Promise<{ method: string; path: string; status: number }[]> {
  return (await stack.sim_('GET', '/__sim/requests')).filter((r: any) => r.method === method && re.test(r.path));
}

/** A Panic API call to the stack's simulator with the development token, JSON in and out (any status). */
export async function panicApi(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(stack.sim.panicApiUrl + path, {
    method,
    headers: { authorization: 'Bearer dev-token', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

/** The simulator's Fixed Locations. */
export const simFixedLocations = async (stack: Stack): Promise<any[]> => stack.sim_('GET', '/__sim/fixed-locations');

/** A reconciliation report's issues of one kind. */
export const issuesOf = (report: any, kind: string): any[] => report.issues.filter((i: any) => i.kind === kind);

/** Poll `fn` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  stepMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
