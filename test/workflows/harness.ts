// What the workflow tests share: a config, workers on a real dev server with mocked activities (one bundle for the
// file, built once), gates to hold a mocked call, and waiting.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkerActivities } from '../../src/worker/activities.js';
import type { WorkflowConfig } from '../../src/workflows/config.js';
import { workflowsPath } from '../../src/worker/worker.js';
import { eventually } from '../helpers/stack.js';

type Acts = WorkerActivities;
export type MockActivities = { [K in keyof Acts]?: (...args: any[]) => Promise<any> };

export function config(over: Partial<WorkflowConfig> = {}): WorkflowConfig {
  return {
    auraTaskQueue: 'unset',
    pollIntervalMs: 50,
    pollIntervalSlowMs: 100,
    eventsEveryPolls: 3,
    continueAsNewEvents: 2_000,
    ratingWindowMs: 300,
    rateCancelled: false,
    rateTest: false,
    platformEvents: false,
    lifecycleLivenessMs: 60_000,
    auraCreateAttemptTimeoutMs: 10_000,
    ...over,
  };
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/**
 * Runs fn while a worker for the workflows (and their local activities) and one for the Panic API queue poll fresh
 * task queues, with `acts` as the activities. `cfg` is what the workflows' config activities answer: fn may change
 * it before it starts a workflow.
 */
export async function runWorkers<T>(
  env: TestWorkflowEnvironment,
  acts: MockActivities,
  fn: (taskQueue: string, cfg: WorkflowConfig) => Promise<T>,
): Promise<T> {
  bundle ??= bundleWorkflowCode({
    workflowsPath,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  const taskQueue = `wf-test-${randomUUID()}`;
  const cfg = config({ auraTaskQueue: `${taskQueue}-aura` });
  const activities = {
    ...acts,
    lifecycleStart: async () => ({ config: cfg, previous: null }),
    getWorkflowConfig: async () => cfg,
  };
  const workflowBundle = await bundle;
  const main = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities });
  const aura = await Worker.create({ connection: env.nativeConnection, taskQueue: cfg.auraTaskQueue, activities });
  return main.runUntil(aura.runUntil(() => fn(taskQueue, cfg)));
}

export function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Wait until fn holds (the stack helpers' `eventually`, at a shorter step for workflows without a stack). */
export const until = (fn: () => boolean | Promise<boolean>, timeoutMs = 15_000) =>
  eventually(async () => fn(), timeoutMs, 50);
