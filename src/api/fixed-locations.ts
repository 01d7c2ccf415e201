// Monitoring-platform adapter routes: platform locations (PUT/DELETE/GET), the Fixed Location reconciliation (POST
// /v1/fixed-locations/sync, GET …/sync/latest), alarm dispatch (POST /v1/alarms) and AURA's CSV import callback. The
// routes live in ./fixed-locations/ by resource (platform-locations.ts, sync.ts, alarms.ts, csv-import-callback.ts);
// this router mounts them in that order, which is also the order of their OpenAPI entries.
import express, { type Router } from 'express';
import type { Client } from '@temporalio/client';
import type { FixedLocationStore } from '../fixed-locations/store.js';
import { setFixedLocationReportSource } from '../ops-metrics.js';
import type { IncidentService } from './incidents.js';
import { platformLocationRoutes } from './fixed-locations/platform-locations.js';
import { syncRoutes } from './fixed-locations/sync.js';
import { alarmRoutes } from './fixed-locations/alarms.js';
import { csvImportCallbackRoutes } from './fixed-locations/csv-import-callback.js';

export interface FixedLocationApiOptions {
  /** The adapter's database: every read goes to it (no cache another process's write could make stale). */
  store: FixedLocationStore;
  /** Key of the HMAC in the CSV import callback URL (the worker signs with the same key). */
  callbackSecret: string;
}

export function createFixedLocationRouter(
  opts: FixedLocationApiOptions & {
    client: Client;
    taskQueue: string;
    responseTypes: Record<string, number>;
    incidents: IncidentService;
  },
): Router {
  const { store, client, incidents } = opts;
  const router = express.Router();
  const json = express.json({ limit: '1mb', type: () => true });
  // The latest report's issues, for /metrics (alerts on missing and duplicated Fixed Locations).
  setFixedLocationReportSource(() => store.readReport());
  platformLocationRoutes(router, { store, json });
  syncRoutes(router, { store, client, taskQueue: opts.taskQueue, json });
  alarmRoutes(router, { store, incidents, responseTypes: opts.responseTypes, json });
  csvImportCallbackRoutes(router, { client, callbackSecret: opts.callbackSecret });
  return router;
}
