// Every activity this worker registers, in one place: each feature's factory with its dependencies. Both of the
// worker's task queues get the same object (the Panic API queue runs the AURA calls, the main queue the rest).
import type { Client } from '@temporalio/client';
import type { AuraClient } from '../aura/client.js';
import { createCalloutActivities } from '../activities/callouts.js';
import { createFixedLocationActivities } from '../activities/fixed-locations.js';
import type { FixedLocationSettings } from '../activities/fixed-locations/shared.js';
import { createOnboardingActivities } from '../activities/onboarding.js';
import { createPlatformActivities } from '../activities/platform.js';
import type { WorkflowConfig } from '../workflows/config.js';

export interface WorkerActivityDeps {
  aura: AuraClient;
  temporal: Client;
  /** Task queue the workflows run on. */
  taskQueue: string;
  workflowConfig: WorkflowConfig;
  platformEventsUrl?: string | undefined;
  platformEventsSecret?: string | undefined;
  fixedLocations: FixedLocationSettings;
}

export function createWorkerActivities(deps: WorkerActivityDeps) {
  const { aura, temporal, taskQueue } = deps;
  return {
    ...createOnboardingActivities({ aura, temporal, taskQueue }),
    ...createCalloutActivities({ aura, temporal, taskQueue, workflowConfig: deps.workflowConfig }),
    ...createPlatformActivities({
      platformEventsUrl: deps.platformEventsUrl,
      platformEventsSecret: deps.platformEventsSecret,
    }),
    ...createFixedLocationActivities({ aura, settings: deps.fixedLocations }),
  };
}

export type WorkerActivities = ReturnType<typeof createWorkerActivities>;
