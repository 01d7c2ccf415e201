// The worker: workflows and their local/client activities on the main task queue, and every activity that calls
// the Panic API on a second task queue whose server-side rate limit is the global cap on requests to AURA.
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { AuraClient } from '../aura/client.js';
import { createActivities } from '../activities/index.js';
import { createFixedLocationActivities, defaultFixedLocationSettings, type FixedLocationSettings } from '../activities/fixed-locations.js';
import type { WorkflowConfig } from '../workflows/config.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

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
  rateCancelled?: boolean;
  rateTest?: boolean;
  platformEventsUrl?: string | undefined;
  platformEventsSecret?: string | undefined;
  /** Requests per second to AURA across every worker of this task queue. */
  auraMaxRequestsPerSecond: number;
  /** Fixed Location reconciliation and alarm dispatch settings (defaults: rest mode, DATA_DIR `.data`). */
  fixedLocations?: Partial<FixedLocationSettings>;
  /** A prebuilt bundle (tests bundle once per file; production ships one). */
  workflowBundle?: WorkflowBundle;
  /**
   * Workflows kept in the worker's cache. Every active callout holds two (its incident and its lifecycle), and an
   * evicted one is replayed from its whole history at its next timer: size this to the active set.
   */
  maxCachedWorkflows?: number | undefined;
  /** The payload codec (encryption) when TEMPORAL_PAYLOAD_KEY is set; the client must carry the same one. */
  dataConverter?: DataConverter | undefined;
}

export interface CalloutWorkers {
  main: Worker;
  aura: Worker;
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
  };
  const activities = {
    ...createActivities({
      aura: opts.aura,
      temporal: opts.client,
      taskQueue: opts.taskQueue,
      workflowConfig,
      platformEventsUrl: opts.platformEventsUrl,
      platformEventsSecret: opts.platformEventsSecret,
    }),
    ...createFixedLocationActivities({ aura: opts.aura, settings: defaultFixedLocationSettings(opts.fixedLocations) }),
  };
  const namespace = opts.namespace ?? 'default';
  const main = await Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    ...(opts.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: opts.maxCachedWorkflows } : {}),
    activities,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
  });
  const aura = await Worker.create({
    connection: opts.connection,
    namespace,
    taskQueue: auraTaskQueue,
    activities,
    maxTaskQueueActivitiesPerSecond: opts.auraMaxRequestsPerSecond,
    ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
  });
  return {
    main,
    aura,
    run: async () => {
      await Promise.all([main.run(), aura.run()]);
    },
    shutdown: () => {
      if (main.getState() === 'RUNNING') main.shutdown();
      if (aura.getState() === 'RUNNING') aura.shutdown();
    },
  };
}
