// The production process: the API, the worker, or both (SERVICE_ROLE), from validated configuration.
// SIGTERM / SIGINT: readiness answers 503 `shutting_down` at once (the API's /readyz and the worker's); a process that
// serves the API keeps serving for SHUTDOWN_READINESS_DELAY_MS so a load balancer takes it out of rotation; then the
// API stops taking requests (in-flight ones finish), the worker stops polling and lets in-flight activities finish
// (up to SHUTDOWN_GRACE_MS), connections close and the process exits 0.
import { existsSync } from 'node:fs';
import { freePort } from './temporal/dev-server.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, type LogLevel, type WorkflowBundleOption } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { ConfigError, loadEnv, type Env } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { setCoreMetricsUrl, setWorkerStatesSource } from './metrics.js';
import { Readiness } from './api/readiness.js';
import { createWorkerHealthServer, WorkerHealth } from './worker/health.js';
import { registerReceiver, webhookRegistrationFromEnv } from './aura/webhook-registration.js';
import { auraClientFromEnv } from './aura/from-env.js';
import { adapterDatabaseFromEnv, appFromEnv, fixedLocationApiFromEnv, workersFromEnv } from './runtime.js';
import { connectClient, connectNativeClient, connectWorker } from './temporal/connection.js';

export type Role = Env['SERVICE_ROLE'];

/** dist/workflow-bundle.js beside the compiled code, written by `npm run build`. */
export const DEFAULT_BUNDLE_PATH = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));

export function loadEnvOrExit(source: NodeJS.ProcessEnv = process.env): Env {
  try {
    return loadEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * The Temporal SDK's runtime (every NativeConnection's): its logs through pino, its metrics (the worker's, the core
 * client's) on a loopback Prometheus exporter.
 */
async function installRuntime(log: Logger): Promise<void> {
  const port = await freePort();
  const levels: Record<string, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const sdkLog = log.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as LogLevel | undefined) ?? 'WARN', (entry) => {
      sdkLog[levels[entry.level] ?? 'info']({ ...(entry.meta ?? {}) }, entry.message);
    }),
    // Counters named *_total, as Prometheus's conventions (and `promtool check metrics`) want.
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}`, countersTotalSuffix: true } } },
  });
  setCoreMetricsUrl(`http://127.0.0.1:${port}/metrics`);
}

export interface RunningService {
  /** Resolves when the process has drained and closed everything. */
  stopped: Promise<void>;
  stop(): Promise<void>;
  apiUrl: string | null;
  metricsUrl: string | null;
  /** The worker's own /healthz, /readyz and /metrics (WORKER_METRICS_PORT), when this process runs the worker. */
  workerHealthUrl: string | null;
  /** The API's readiness checks: register more (a database) with readiness.addCheck(name, fn). */
  readiness: Readiness;
}

export async function startService(env: Env, role: Role, log: Logger): Promise<RunningService> {
  const runsWorker = role === 'all' || role === 'worker';
  const runsApi = role === 'all' || role === 'api';
  // Before any NativeConnection: the worker's, and the one the API's webhook receiver signals through.
  await installRuntime(log);

  const client = await connectClient(env);
  const closers: (() => Promise<void>)[] = [];
  // The adapter's database (DATABASE_URL, or the embedded server on DATA_DIR, started or reused): one pool for
  // whatever this process runs, closed after the API and the worker have stopped.
  const adapterDb = await adapterDatabaseFromEnv(env, log, `aura-callouts-${role}`);
  closers.push(() => adapterDb.close());
  let apiServer: Server | null = null;
  let metricsServer: Server | null = null;
  let workersDone: Promise<void> = Promise.resolve();
  let workerHealth: WorkerHealth | null = null;
  const readiness = new Readiness();
  // An API replica is ready when Temporal and its database answer (alarms and platform locations read it).
  readiness.addCheck('database', async () => {
    try {
      await adapterDb.store.db.query('SELECT 1');
    } catch (err) {
      throw new Error(`the adapter's database does not answer: ${(err as Error).message}`, { cause: err });
    }
  });
  let shutdownWorkers = () => {};

  if (runsWorker) {
    const connection = await connectWorker(env);
    const bundlePath = env.WORKFLOW_BUNDLE_PATH ?? (existsSync(DEFAULT_BUNDLE_PATH) ? DEFAULT_BUNDLE_PATH : undefined);
    const bundle: WorkflowBundleOption | undefined = bundlePath ? { codePath: bundlePath } : undefined;
    log.info({ workflowBundle: bundlePath ?? '(bundled at start)' }, 'starting worker');
    const workers = await workersFromEnv(env, connection, client, bundle, log, adapterDb.store);
    workersDone = workers.run();
    shutdownWorkers = () => workers.shutdown();
    closers.push(() => connection.close());
    workerHealth = new WorkerHealth(workers.onQueues);
    const health = workerHealth;
    setWorkerStatesSource(() => health.states());
    // The worker serves its own /healthz, /readyz and /metrics (with the API, the API's /metrics serves the same
    // registry too). A busy port must not take the worker down: it is logged and the worker runs without them.
    const server = createWorkerHealthServer(health);
    const listening = await new Promise<boolean>((r) => {
      server.once('error', (err) => {
        log.error(
          { err: (err as Error).message, port: env.WORKER_METRICS_PORT },
          'worker /metrics, /healthz and /readyz not served',
        );
        r(false);
      });
      server.listen(env.WORKER_METRICS_PORT, env.WORKER_METRICS_HOST, () => r(true));
    });
    if (listening) metricsServer = server;
  }

  let signalClient: Client | null = null;
  if (runsApi) {
    // The receiver's signalWithStart goes through the Rust core's connection: per delivery, the event loop the API
    // shares with the worker spends about half the CPU time it spends on @grpc/grpc-js, and no network work.
    signalClient = await connectNativeClient(env);
    const app = appFromEnv(env, client, log, await fixedLocationApiFromEnv(env, adapterDb.store, log), {
      role,
      readiness,
      webhookSignalClient: signalClient,
    });
    apiServer = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(env.API_PORT, env.API_HOST, () => resolve(s));
      s.on('error', reject);
    });
    if (env.WEBHOOK_REGISTER_ON_START) {
      // Optional start-up step: register the receiver with AURA. A refusal is logged, not fatal: polling is the ledger.
      registerReceiver(auraClientFromEnv(env), webhookRegistrationFromEnv(env), (w) => log.warn(w))
        .then((r) => log.info({ url: r.url, events: r.events.length }, 'webhook registered with AURA'))
        .catch((err) => log.error({ err: (err as Error).message }, 'webhook registration failed'));
    }
  }

  const addr = (s: Server | null) => {
    if (!s) return null;
    const a = s.address() as AddressInfo;
    return `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  };
  const apiUrl = addr(apiServer);
  const workerHealthUrl = addr(metricsServer);
  const metricsUrl = apiUrl ? `${apiUrl}/metrics` : workerHealthUrl ? `${workerHealthUrl}/metrics` : null;
  log.info(
    { role, apiUrl, metricsUrl, workerHealthUrl, taskQueue: env.TEMPORAL_TASK_QUEUE, address: env.TEMPORAL_ADDRESS },
    'aura-callouts running',
  );

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // Readiness first: the load balancer (and the worker's health check) sees 503 shutting_down while the API
      // still serves; only then does the server stop accepting.
      readiness.beginShutdown();
      workerHealth?.beginShutdown();
      if (apiServer && env.SHUTDOWN_READINESS_DELAY_MS > 0) {
        log.info(
          { delayMs: env.SHUTDOWN_READINESS_DELAY_MS },
          'shutting down: /readyz answers 503 while the load balancer takes this replica out',
        );
        await new Promise((r) => setTimeout(r, env.SHUTDOWN_READINESS_DELAY_MS));
      }
      log.info('shutting down: no new requests; in-flight requests and activities finish');
      const apiClosed = apiServer
        ? new Promise<void>((r) => {
            apiServer!.close(() => r());
            apiServer!.closeIdleConnections();
          })
        : Promise.resolve();
      shutdownWorkers();
      await Promise.all([apiClosed, workersDone.catch((err) => log.error({ err }, 'worker stopped with an error'))]);
      if (metricsServer) await new Promise((r) => metricsServer!.close(r));
      for (const close of closers) await close().catch(() => undefined);
      await signalClient?.connection.close().catch(() => undefined);
      await client.connection.close().catch(() => undefined);
      log.info('stopped');
    })());

  // A worker that stops on its own (fatal error) takes the process down rather than leave a half service.
  const stopped = runsWorker
    ? workersDone.then(
        () => stop(),
        async (err) => {
          log.fatal({ err }, 'worker failed');
          await stop();
          throw err;
        },
      )
    : new Promise<void>((r) => void (apiServer ? apiServer.on('close', () => r()) : r()));

  return { stopped, stop, apiUrl, metricsUrl, workerHealthUrl, readiness };
}

/** The entry points (`npm start`, `npm run api`, `npm run worker`): start, stop on SIGTERM/SIGINT, exit. */
export async function main(roleOverride?: Role): Promise<void> {
  const env = loadEnvOrExit();
  const role = roleOverride ?? env.SERVICE_ROLE;
  const log = createLogger({ level: env.LOG_LEVEL, name: role === 'all' ? 'aura-callouts' : role });
  let service: RunningService;
  try {
    service = await startService(env, role, log);
  } catch (err) {
    log.fatal({ err }, 'could not start');
    process.exit(1);
  }
  const onSignal = (signal: string) => {
    log.info({ signal }, 'signal received');
    void service.stop();
  };
  // A repeated signal (npm forwards the one it received too) must not kill the draining process.
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  try {
    await service.stopped;
    process.exit(0);
  } catch {
    process.exit(1);
  }
}
