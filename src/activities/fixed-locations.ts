// The Fixed Location feature's activities, as the worker registers them: the reconciliation's
// (./fixed-locations/reconciliation.ts, reading AURA through ./fixed-locations/listing.ts) and alarm dispatch's
// (./fixed-locations/alarm-callout.ts). Their settings and the shapes the workflow reads: ./fixed-locations/shared.ts.
import type { AuraClient } from '../aura/client.js';
import type { FixedLocationSettings } from './fixed-locations/shared.js';
import { createReconciliationActivities } from './fixed-locations/reconciliation.js';
import { createAlarmCalloutActivities } from './fixed-locations/alarm-callout.js';

export interface FixedLocationActivityDeps {
  aura: AuraClient;
  settings: FixedLocationSettings;
}

export function createFixedLocationActivities(deps: FixedLocationActivityDeps) {
  return { ...createReconciliationActivities(deps), ...createAlarmCalloutActivities(deps) };
}

export type FixedLocationActivities = ReturnType<typeof createFixedLocationActivities>;
