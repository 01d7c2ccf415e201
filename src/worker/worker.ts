// The worker: workflows and their local/client activities on the main task queue, and every activity that calls
// the Panic API on a second task queue whose server-side rate limit is the global cap on requests to AURA.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkflowBundleOption } from '@temporalio/worker';
import type { AuraClient } from '../aura/client.js';
import type { Logger } from '../logger.js';
import { activityLogInterceptor } from './activity-log.js';
import { metricsSinks, pollMetricsInterceptor } from './metrics-sinks.js';
import { createWorkerActivities } from './activities.js';
import { defaultFixedLocationSettings, type FixedLocationSettings } from '../activities/fixed-locations/shared.js';
import type { WorkflowConfig } from '../workflows/config.js';
import { createAttemptTimeoutMs } from '../activities/create-attempt.js';

// .ts from source (tsx), .js once compiled (dist/).
const ext = extname(fileURLToPath(import.meta.url));
export const workflowsPath = fileURLToPath(new URL(`../workflows/index${ext}`, import.meta.url));
/** Workflow interceptor modules; a prebuilt bundle must be built with them (`bundleWorkflowCode`). */
export const workflowInterceptorModules = [
  fileURLToPath(new URL(`../workflows/metrics-interceptor${ext}`, import.meta.url)),
];

export interface CalloutWorkerOptions {
  connection: NativeConnection;
  client: Client;
  aura: AuraClient;
  namespace?: string;
  taskQueue: string;
  pollIntervalMs: number;
  /** Poll interval while webhooks flow (default: 6 × pollIntervalMs). */
  pollIntervalSlowMs?: number;
  eventsEveryPolls?: number;
  continueAsNewEvents: number;
  ratingWindowMs?: number;
  lifecycleLivenessMs?: number;
  rateCancelled?: boolean;
  rateTest?: boolean;
  platformEventsUrl?: string | undefined;
  platformEventsSecret?: string | undefined;
  /** Requests per second to AURA across every worker of this task queue. */
  auraMaxRequestsPerSecond: number;
  /** A prebuilt bundle (tests bundle once per file; production ships one: `{ codePath }`). */
  workflowBundle?: WorkflowBundleOption | undefined;
  /** On shutdown, how long in-flight activities may run before they are cancelled (ms). */
  shutdownGraceTimeMs?: number;
  /** Activity log lines (with incident and AURA callout ids); none when absent. */
  log?: Logger | undefined;
  /** Fixed Location reconciliation and alarm dispatch settings (defaults: rest mode, DATA_DIR `.data`). */
  fixedLocations?: Partial<FixedLocationSettings>;
  /**
   * Workflows kept in the worker's cache. Every active callout holds two (its incident and its lifecycle), and an
   * evicted one is replayed from its whole history at its next timer: size this to the active set.
   */
  maxCachedWorkflows?: number | undefined;
  /** Slots and pollers (WORKER_* variables); what is unset takes DEFAULT_WORKER_TUNING. */
  tuning?: Partial<WorkerTuning> | undefined;
  /** The payload codec (encryption) when TEMPORAL_PAYLOAD_KEY is set; the client must carry the same one. */
  dataConverter?: DataConverter | undefined;
  /**
   * A deployment build id for the workers, as a label only (no worker versioning). The SDK refuses two workers of
   * one process on the same task queue and build id, so a second replica in one process (tests) needs its own.
   */
  buildId?: string | undefined;
}

/** How many tasks of each kind a worker process takes on at once, and how it polls for them. */
export interface WorkerTuning {
  /** Workflow tasks run at once (the SDK's default: 40). */
  maxConcurrentWorkflowTaskExecutions: number | undefined;
  /** Workflow task polls open at once, or `autoscaling` on the server's backlog (the SDK's default: 10 fixed). */
  workflowTaskPollers: number | 'autoscaling' | undefined;
  /** Share of those polls on the normal queue, where every new workflow's first task waits (the SDK's default: 0.2). */
  nonStickyToStickyPollRatio: number | undefined;
  /** Panic API activities run at once (the SDK's default: 100). */
  maxConcurrentActivityTaskExecutions: number | undefined;
  /** Local activities run at once (the SDK's default: 100). */
  maxConcurrentLocalActivityExecutions: number | undefined;
}

/**
 * The defaults, measured with bench/callouts-2000.bench.ts (docs/benchmarks.md). Workflow task pollers scale on the
 * server's backlog: with the SDK's 10 fixed (2 of them on the normal queue), an alarm's first workflow task waited
 * 2–3 s for a poller while 100 callouts polled (alarm → create p99 4.6 s at 10/s); autoscaling took it to ~0.1 s
 * (p99 0.96 s), same run, same machine.
 */
export const DEFAULT_WORKER_TUNING: WorkerTuning = {
  maxConcurrentWorkflowTaskExecutions: undefined,
  workflowTaskPollers: 'autoscaling',
  nonStickyToStickyPollRatio: undefined,
  maxConcurrentActivityTaskExecutions: undefined,
  maxConcurrentLocalActivityExecutions: undefined,
};

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export interface CalloutWorkers {
  main: Worker;
  aura: Worker;
  /** Each worker with the task queue it polls (for health and the aura_worker_up gauge). */
  onQueues: { taskQueue: string; worker: Worker; pollsWorkflows: boolean }[];
  run(): Promise<void>;
  shutdown(): void;
}

export function auraTaskQueueOf(taskQueue: string): string {
  return `${taskQueue}-aura-api`;
}

export async function createCalloutWorkers(opts: CalloutWorkerOptions): Promise<CalloutWorkers> {
  const auraTaskQueue = auraTaskQueueOf(opts.taskQueue);
  const workflowConfig: WorkflowConfig = {
    auraTaskQueue,
    pollIntervalMs: opts.pollIntervalMs,
    pollIntervalSlowMs: opts.pollIntervalSlowMs ?? opts.pollIntervalMs * 6,
    eventsEveryPolls: opts.eventsEveryPolls ?? 3,
    continueAsNewEvents: opts.continueAsNewEvents,
    ratingWindowMs: opts.ratingWindowMs ?? 24 * 3600_000,
    rateCancelled: opts.rateCancelled ?? false,
    rateTest: opts.rateTest ?? false,
    platformEvents: Boolean(opts.platformEventsUrl),
    ...(opts.lifecycleLivenessMs !== undefined ? { lifecycleLivenessMs: opts.lifecycleLivenessMs } : {}),
    auraCreateAttemptTimeoutMs: createAttemptTimeoutMs(opts.aura),
  };
  const activities = createWorkerActivities({
    aura: opts.aura,
    temporal: opts.client,
    taskQueue: opts.taskQueue,
    workflowConfig,
    platformEventsUrl: opts.platformEventsUrl,
    platformEventsSecret: opts.platformEventsSecret,
    fixedLocations: defaultFixedLocationSettings(opts.fixedLocations),
  });
  const namespace = opts.namespace ?? 'default';
  const deployment = opts.buildId
    ? {
        workerDeploymentOptions: {
          version: { deploymentName: 'aura-callouts', buildId: opts.buildId },
          useWorkerVersioning: false as const,
        },
      }
    : {};
  const activityInterceptors = [
    pollMetricsInterceptor,
    ...(opts.log ? [activityLogInterceptor(opts.log.child({ component: 'activity' }))] : []),
  ];
  const tuning: WorkerTuning = { ...DEFAULT_WORKER_TUNING, ...defined(opts.tuning ?? {}) };
  const pollers = tuning.workflowTaskPollers;
  const main = await Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    ...defined({
      maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions,
      nonStickyToStickyPollRatio: tuning.nonStickyToStickyPollRatio,
      maxConcurrentLocalActivityExecutions: tuning.maxConcurrentLocalActivityExecutions,
    }),
    ...(pollers === 'autoscaling'
      ? { workflowTaskPollerBehavior: { type: 'autoscaling' as const } }
      : pollers !== undefined
        ? { workflowTaskPollerBehavior: { type: 'simple-maximum' as const, maximum: pollers } }
        : {}),
    activities,
    sinks: metricsSinks(),
    ...(opts.shutdownGraceTimeMs !== undefined ? { shutdownGraceTime: opts.shutdownGraceTimeMs } : {}),
    interceptors: {
      activity: activityInterceptors,
      ...(opts.workflowBundle ? {} : { workflowModules: workflowInterceptorModules }),
    },
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...deployment,
  });
  const aura = await Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue: auraTaskQueue,
    activities,
    maxTaskQueueActivitiesPerSecond: opts.auraMaxRequestsPerSecond,
    ...defined({ maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions }),
    interceptors: { activity: activityInterceptors },
    ...(opts.shutdownGraceTimeMs !== undefined ? { shutdownGraceTime: opts.shutdownGraceTimeMs } : {}),
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    ...deployment,
  });
  return {
    main,
    aura,
    onQueues: [
      { taskQueue: opts.taskQueue, worker: main, pollsWorkflows: true },
      // Activities only: its workflow poller shuts down at start.
      { taskQueue: auraTaskQueue, worker: aura, pollsWorkflows: false },
    ],
    run: async () => {
      await Promise.all([main.run(), aura.run()]);
    },
    shutdown: () => {
      if (main.getState() === 'RUNNING') main.shutdown();
      if (aura.getState() === 'RUNNING') aura.shutdown();
    },
  };
}
