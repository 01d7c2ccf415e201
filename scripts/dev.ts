// `npm run dev`: everything on embedded defaults, in one terminal. Temporal dev server with its Web UI (state kept
// in .temporal/dev.db), the AURA simulator with its responder autopilot emitting webhooks, the worker, the API, and
// the receiver registered with the simulator. Ctrl-C stops all of it.
import type { Server } from 'node:http';
import { join } from 'node:path';
import { AuraClient } from '../src/aura/client.js';
import { DEFAULT_WEBHOOK_EVENTS, receiverAuthHeaders, registerReceiver } from '../src/aura/webhook-registration.js';
import { ConfigError, loadEnv } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { adapterDatabaseFromEnv, appFromEnv, fixedLocationApiFromEnv, workersFromEnv } from '../src/runtime.js';
import { startSimulator } from '../src/simulator/app.js';
import { connectClient, connectNativeClient, connectWorker } from '../src/temporal/connection.js';
import { ensureTemporalCli, PROJECT_ROOT, startDevServer, type RunningDevServer } from '../src/temporal/dev-server.js';

const say = (m: string) => console.log(`[dev] ${m}`);
// A server named by TEMPORAL_ADDRESS or by a Temporal profile (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE) is used as it is.
const externalTemporal = Boolean(
  process.env.TEMPORAL_ADDRESS || process.env.TEMPORAL_CONFIG_FILE || process.env.TEMPORAL_PROFILE,
);

let env;
try {
  // The sample portfolio of a few hundred premises, unless another file is given.
  env = loadEnv({
    LOG_LEVEL: 'warn',
    PLATFORM_LOCATIONS_FILE: join(PROJECT_ROOT, 'data', 'platform-locations.sample.csv'),
    FIXED_LOCATION_MAX_REQUESTS_PER_SECOND: '0',
    ...process.env,
  });
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}

const stops: (() => Promise<void>)[] = [];
let stopping = false;
async function stopAll(code = 0): Promise<never> {
  if (!stopping) {
    stopping = true;
    say('stopping...');
    // Each part gets 10 s: a worker waiting on an in-flight activity (a create being retried) must not keep the
    // Temporal server and the ports alive after Ctrl-C; the activity resumes from Temporal on the next start.
    const bounded = (stop: () => Promise<void>) =>
      Promise.race([stop().catch((e) => console.error(e)), new Promise<void>((r) => setTimeout(r, 10_000).unref())]);
    for (const stop of stops.reverse()) await bounded(stop);
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  let temporalUi = env.TEMPORAL_UI_URL ?? null;
  if (!externalTemporal) {
    const cli = await ensureTemporalCli(say);
    const dbFilename = join(PROJECT_ROOT, '.temporal', 'dev.db');
    const [host, portText] = env.TEMPORAL_ADDRESS.split(':');
    let server: RunningDevServer;
    try {
      server = await startDevServer({
        cliPath: cli,
        dbFilename,
        host: host ?? '127.0.0.1',
        port: Number(portText ?? 7233),
        uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
        namespace: env.TEMPORAL_NAMESPACE,
        logFile: join(PROJECT_ROOT, '.temporal', 'dev-server.log'),
        // With payload encryption on, the UI decodes through the API's codec endpoint.
        ...(env.TEMPORAL_PAYLOAD_KEY ? { uiCodecEndpoint: `http://${env.API_HOST}:${env.API_PORT}/codec` } : {}),
      });
    } catch (err) {
      throw new Error(
        `could not start the Temporal dev server (${(err as Error).message}); is port ${portText ?? 7233} already in use? Set TEMPORAL_ADDRESS to use a running server.`,
        { cause: err },
      );
    }
    stops.push(() => server.stop());
    temporalUi = server.uiUrl;
    env.TEMPORAL_UI_URL = temporalUi ?? undefined;
    say(`Temporal dev server at ${server.address} (state in ${dbFilename})`);
  }

  const sim = await startSimulator({
    port: env.SIM_PORT,
    host: env.SIM_HOST,
    autopilot: { enabled: true, stepMs: Number(process.env.SIM_STEP_MS ?? 3000), emitWebhooks: true },
  });
  stops.push(() => sim.close());
  if (!process.env.AURA_BASE_URL) env.AURA_BASE_URL = sim.panicApiUrl;

  const log = createLogger({ level: env.LOG_LEVEL });
  // The adapter's database: DATABASE_URL, else the embedded PostgreSQL server in DATA_DIR/postgres, started here
  // once (or reused) for the API and the worker of this process; its URL is printed for other processes.
  const adapterDb = await adapterDatabaseFromEnv(env, log, 'aura-callouts-dev');
  stops.push(() => adapterDb.close());
  if (!env.DATABASE_URL) {
    say(
      `embedded PostgreSQL: ${adapterDb.url.replace(/:[^:@/]+@/, ':***@')} (cluster in ${join(env.DATA_DIR, 'postgres')}, password in ${join(env.DATA_DIR, 'postgres.json')})`,
    );
  }
  // Platform locations first, so that the reconciliation the Schedule runs at once sees the sample portfolio.
  const fixedLocations = await fixedLocationApiFromEnv(env, adapterDb.store, log);
  const client = await connectClient(env);
  const connection = await connectWorker(env);
  const workers = await workersFromEnv(env, connection, client, undefined, undefined, adapterDb.store);
  const running = workers.run();
  stops.push(async () => {
    workers.shutdown();
    await running.catch(() => undefined);
    await connection.close();
  });

  // The receiver signals through the Rust core's connection, as the service's does (src/service.ts).
  const signalClient = await connectNativeClient(env);
  stops.push(() => signalClient.connection.close());
  const app = appFromEnv(env, client, log, fixedLocations, { webhookSignalClient: signalClient });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(env.API_PORT, env.API_HOST, () => resolve(s));
    s.on('error', reject);
  });
  stops.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const apiUrl = `http://${env.API_HOST}:${env.API_PORT}`;

  // Register the receiver with the simulator the way an integrator registers it with AURA.
  const aura = new AuraClient({ baseUrl: sim.panicApiUrl, clientId: 'dev-client', clientSecret: 'dev-secret' });
  await registerReceiver(
    aura,
    {
      url: `${env.PUBLIC_BASE_URL ?? apiUrl}/webhooks/aura`,
      events: env.WEBHOOK_EVENTS ?? DEFAULT_WEBHOOK_EVENTS,
      headers: receiverAuthHeaders(env.WEBHOOK_AUTH_HEADER, env.WEBHOOK_TOKEN),
      allowLoopbackHttp: true,
    },
    (w) => log.warn(w),
  );

  // The embedded simulator starts empty on every run: reconcile at once, and wait for it (up to a minute), so that
  // the alarm example printed below finds its Fixed Location rather than a 422 LOCATION_NOT_MAPPED.
  const sync = (await fetch(`${apiUrl}/v1/fixed-locations/sync`, { method: 'POST' })
    .then((r) => r.json())
    .catch(() => null)) as { runId?: string } | null;
  for (let waited = 0; sync?.runId && waited < 60_000; waited += 500) {
    const latest = (await fetch(`${apiUrl}/v1/fixed-locations/sync/latest`)
      .then((r) => (r.ok ? r.json() : null))
      .catch(() => null)) as { runId?: string } | null;
    if (latest?.runId === sync.runId) break;
    await new Promise((r) => setTimeout(r, 500));
  }

  console.log(`
  aura-callouts is running
    API             ${apiUrl}            (try: curl ${apiUrl}/healthz)
    Webhook receiver ${apiUrl}/webhooks/aura  (registered with the simulator)
    AURA simulator  ${sim.panicApiUrl}  (control: ${sim.url}/__sim/callouts)
    Temporal UI     ${temporalUi ?? '(external server: see its own UI)'}
    Temporal gRPC   ${env.TEMPORAL_ADDRESS}  namespace ${env.TEMPORAL_NAMESPACE}
  Alarm on a sample premises (Fixed Locations reconciled at start; report: ${apiUrl}/v1/fixed-locations/sync/latest):
    curl -s -X POST ${apiUrl}/v1/alarms -H 'content-type: application/json' \\
      -d '{"alarmId":"A-1","platformLocationId":"PRM-000001","alarmType":"BURGLARY","zone":"3"}'
  Open a callout:
    curl -s -X POST ${apiUrl}/v1/callouts -H 'content-type: application/json' \\
      -d '{"incidentId":"demo-1","customerId":184708,"responseType":"SECURITY","location":{"latitude":-26.10911,"longitude":28.053037}}'
  Ctrl-C stops everything.
`);
  await running;
} catch (err) {
  console.error(`[dev] ${(err as Error).message}`);
  await stopAll(1);
}
