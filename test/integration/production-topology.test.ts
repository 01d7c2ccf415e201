// The production topology on real engines: Temporal on PostgreSQL (temporal-server, compose's schema and init
// scripts), the adapter's data in PostgreSQL (DATABASE_URL), two API processes and two worker processes
// (SERVICE_ROLE), each with a DATA_DIR of its own (nothing shared through files), and the simulator. A platform
// location PUT through API 1 serves an alarm through API 2 after a reconciliation run by either worker; the worker
// that runs the live callout's lifecycle is SIGKILLed mid-lifecycle and the other finishes it with one AURA
// callout; every read through either API agrees.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { lifecycleWorkflowId } from '../../src/domain/incident.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';
import { freePort, PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { PostgresUnavailableError } from '../../src/temporal/postgres/cluster.js';
import { startPostgresTemporal, type RunningPostgresTemporal } from '../../src/temporal/postgres-server.js';
import { eventually } from '../helpers/stack.js';

const TOKEN = 'topology-webhook-token';
const CALLBACK_SECRET = 'topology-callback-secret-0123456789';

let temporal: RunningPostgresTemporal | undefined;
let skipReason: string | undefined;
let sim: RunningSimulator;
let client: Client;
const dir = mkdtempSync(join(tmpdir(), 'aura-topology-'));
const procs: { name: string; child: ChildProcess; log: string }[] = [];

async function json(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

before(async () => {
  try {
    temporal = await startPostgresTemporal({ say: (m) => console.error(`[topology] ${m}`) });
  } catch (err) {
    if (err instanceof PostgresUnavailableError) {
      skipReason = err.message;
      return;
    }
    throw err;
  }
  temporal.postgres.query('postgres', 'CREATE DATABASE aura_adapter');
  sim = await startSimulator({ firstCalloutId: 700_000 + Math.floor(Math.random() * 9000) * 10, cancelCloseMs: 300 });
  client = new Client({
    connection: await Connection.connect({ address: temporal.address }),
    namespace: temporal.namespace,
  });
});

after(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await sim?.close();
  await client?.connection.close().catch(() => undefined);
  await temporal?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function startProcess(
  name: string,
  role: 'api' | 'worker',
  extra: Record<string, string>,
): { name: string; child: ChildProcess; log: string } {
  const pg = temporal!.postgres;
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src', 'main.ts')], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SERVICE_ROLE: role,
      TEMPORAL_ADDRESS: temporal!.address,
      TEMPORAL_NAMESPACE: temporal!.namespace,
      TEMPORAL_TASK_QUEUE: 'topology',
      DATABASE_URL: `postgresql://${pg.user}:${encodeURIComponent(pg.password ?? '')}@${pg.host}:${pg.port}/aura_adapter`,
      // Each process has its own DATA_DIR: whatever they share goes through PostgreSQL or Temporal.
      DATA_DIR: mkdtempSync(join(dir, `${name}-data-`)),
      AURA_BASE_URL: sim.panicApiUrl,
      AURA_CLIENT_ID: 'dev-client',
      AURA_CLIENT_SECRET: 'dev-secret',
      WEBHOOK_TOKEN: TOKEN,
      FIXED_LOCATION_CALLBACK_SECRET: CALLBACK_SECRET,
      FIXED_LOCATION_SYNC_INTERVAL_MS: '0',
      POLL_INTERVAL_MS: '500',
      RATING_WINDOW_MS: '1000',
      SHUTDOWN_READINESS_DELAY_MS: '0',
      ...extra,
    },
  });
  const p = { name, child, log };
  procs.push(p);
  return p;
}

describe(
  'production topology: Temporal and the adapter on PostgreSQL, two APIs, two workers',
  { timeout: 15 * 60_000 },
  () => {
    it("a location PUT on API 1 serves an alarm on API 2; a SIGKILLed worker's callout is finished by the other; reads agree", async (t) => {
      if (skipReason) return t.skip(`PostgreSQL is not available here: ${skipReason}`);
      const [apiPort1, apiPort2, metrics1, metrics2] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const w1 = startProcess('worker-1', 'worker', { WORKER_METRICS_PORT: String(metrics1) });
      const w2 = startProcess('worker-2', 'worker', { WORKER_METRICS_PORT: String(metrics2) });
      startProcess('api-1', 'api', { API_PORT: String(apiPort1), WORKER_METRICS_PORT: '0' });
      startProcess('api-2', 'api', { API_PORT: String(apiPort2), WORKER_METRICS_PORT: '0' });
      const api1 = `http://127.0.0.1:${apiPort1}`;
      const api2 = `http://127.0.0.1:${apiPort2}`;
      const logs = () => procs.map((p) => `--- ${p.name}\n${readFileSync(p.log, 'utf8').slice(-3000)}`).join('\n');
      try {
        for (const api of [api1, api2]) {
          await eventually(
            async () => {
              const r = await json(api, 'GET', '/readyz').catch(() => null);
              return r?.status === 200 && r.body?.checks?.worker === 'ok' && r.body?.checks?.database === 'ok';
            },
            120_000,
            500,
          );
        }
        for (const port of [metrics1, metrics2]) {
          await eventually(
            async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200,
            60_000,
            500,
          );
        }

        // A platform location through API 1, reconciled on request through API 2 (either worker runs it).
        const put = await json(api1, 'PUT', '/v1/platform-locations/TOPO-1', {
          name: 'Topology Depot',
          address: '1 Main Rd, Johannesburg',
          latitude: -26.2,
          longitude: 28.04,
        });
        assert.equal(put.status, 200, JSON.stringify(put.body));
        const sync = await json(api2, 'POST', '/v1/fixed-locations/sync');
        assert.equal(sync.status, 202, JSON.stringify(sync.body));
        const report = await eventually(
          async () => {
            const r = await json(api1, 'GET', '/v1/fixed-locations/sync/latest');
            return r.status === 200 && r.body.runId === sync.body.runId && r.body.finishedAt ? r.body : null;
          },
          60_000,
          500,
        );
        assert.equal(report.counts.created, 1, JSON.stringify(report));

        // The alarm through API 2.
        const alarm = await json(api2, 'POST', '/v1/alarms', {
          alarmId: 'TOPO-A1',
          platformLocationId: 'TOPO-1',
          alarmType: 'burglary',
        });
        assert.equal(alarm.status, 202, JSON.stringify(alarm.body));
        assert.equal(alarm.body.incidentId, 'alarm-TOPO-A1');
        const auraCalloutId: number = await eventually(
          async () => (await json(api1, 'GET', '/v1/callouts/alarm-TOPO-A1')).body?.auraCalloutId,
          30_000,
        );
        await json(sim.url, 'POST', `/__sim/callouts/${auraCalloutId}/status`, { status: 'Responder Dispatched' });
        await eventually(
          async () => (await json(api2, 'GET', '/v1/callouts/alarm-TOPO-A1')).body?.status === 'Responder Dispatched',
          30_000,
        );

        // The worker that ran the lifecycle's last workflow task (its identity is pid@host) is killed outright.
        const history = await client.workflow.getHandle(lifecycleWorkflowId(auraCalloutId)).fetchHistory();
        const identity =
          [...(history.events ?? [])].reverse().find((e) => e.workflowTaskStartedEventAttributes?.identity)
            ?.workflowTaskStartedEventAttributes?.identity ?? '';
        const pid = Number(identity.split('@')[0]);
        const victim = [w1, w2].find((w) => w.child.pid === pid) ?? w1;
        const survivor = victim === w1 ? w2 : w1;
        console.error(
          `[topology] the lifecycle's last task ran on ${identity}: SIGKILL to ${victim.name}${victim.child.pid === pid ? '' : ' (identity not matched: the first worker)'}`,
        );
        victim.child.kill('SIGKILL');
        await new Promise((r) => victim.child.once('exit', r));

        for (const status of ['Responder Arrived', 'closed']) {
          await json(sim.url, 'POST', `/__sim/callouts/${auraCalloutId}/status`, { status });
          await eventually(
            async () => (await json(api1, 'GET', '/v1/callouts/alarm-TOPO-A1')).body?.status === status,
            60_000,
            300,
          );
        }
        // Both workflows finish on the survivor.
        await client.workflow.getHandle('incident-alarm-TOPO-A1').result();
        await client.workflow.getHandle(lifecycleWorkflowId(auraCalloutId)).result();
        assert.equal(survivor.child.exitCode, null, 'the other worker is still running');

        // One AURA callout for the alarm (this simulator holds nothing else), and every read agrees.
        assert.deepEqual([...sim.state.callouts.keys()], [auraCalloutId]);
        const [a, b] = [
          await json(api1, 'GET', '/v1/callouts/alarm-TOPO-A1'),
          await json(api2, 'GET', '/v1/callouts/alarm-TOPO-A1'),
        ];
        assert.deepEqual({ ...a.body, links: undefined }, { ...b.body, links: undefined });
        assert.deepEqual(
          a.body.timeline.map((x: any) => x.status),
          ['created', 'Responder Dispatched', 'Responder Arrived', 'closed'],
        );
        const [l1, l2] = [
          await json(api1, 'GET', '/v1/fixed-locations/sync/latest'),
          await json(api2, 'GET', '/v1/fixed-locations/sync/latest'),
        ];
        assert.deepEqual(l1.body, l2.body);
      } catch (err) {
        console.error(logs());
        throw err;
      }
    });
  },
);
