// Readiness that a load balancer can use, on real processes against a real Temporal dev server:
// - an API replica (SERVICE_ROLE=api) is ready when Temporal answers: the receiver and reads work without workers,
//   so a missing worker is a warning in the body, not a 503; SERVICE_ROLE=all keeps the contract's rule (a worker
//   polling is required); other modules register named checks (a database) that /readyz runs and names;
// - the worker process serves its own /healthz and /readyz (its workers RUNNING and polling) beside its /metrics,
//   and the gauge aura_worker_up{task_queue};
// - on SIGTERM /readyz answers 503 `shutting_down` first, for SHUTDOWN_READINESS_DELAY_MS, while requests are still
//   served; then the server closes, in-flight requests complete, and the process exits 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp, type AppOptions } from '../../src/api/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { appFromEnv } from '../../src/runtime.js';
import { PROJECT_ROOT } from '../../src/temporal/dev-server.js';
import { eventually, startTemporal } from '../helpers/stack.js';

const TOKEN = 'readiness-test-webhook-token';
const fixtures = join(import.meta.dirname, '..', 'fixtures', 'webhook-payloads');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** GET on a new connection (no keep-alive pool): 'refused' when nothing listens any more. */
function getFresh(url: string): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve('refused'));
    req.end();
  });
}

let env: TestWorkflowEnvironment;
let dataDir: string;
const children: ChildProcess[] = [];
before(async () => {
  env = await startTemporal();
  dataDir = mkdtempSync(join(tmpdir(), 'readiness-'));
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await env?.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The service from source (`node --import tsx src/main.ts`, what dist/main.js runs), in its own process. */
function startProcess(vars: Record<string, string>): Proc {
  let out = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      TEMPORAL_ADDRESS: env.address,
      AURA_BASE_URL: 'http://127.0.0.1:9/panic-api',
      AURA_CLIENT_ID: 'dev-client',
      AURA_CLIENT_SECRET: 'dev-secret',
      WEBHOOK_TOKEN: TOKEN,
      API_HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      FIXED_LOCATION_SYNC_INTERVAL_MS: '0',
      ...vars,
    },
  });
  children.push(child);
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Waits until `url` answers at all (any status), failing with the process output. */
async function answering(proc: Proc, url: string, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => (await fetch(url).catch(() => null)) !== null, timeoutMs, 200).catch((err) => {
    throw new Error(`${(err as Error).message}\n${proc.output().slice(-4000)}`);
  });
}

describe('API readiness by role', () => {
  const taskQueue = `ready-${randomUUID()}`;
  let api: Proc;
  let apiUrl: string;
  let worker: Proc | null = null;
  before(async () => {
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = startProcess({ SERVICE_ROLE: 'api', API_PORT: String(port), TEMPORAL_TASK_QUEUE: taskQueue });
    await answering(api, `${apiUrl}/healthz`);
  });
  after(async () => {
    for (const p of [api, worker]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  it('SERVICE_ROLE=api with no worker running: 200, Temporal checked, the missing worker a warning', async () => {
    const r = await getJson(`${apiUrl}/readyz`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'ready');
    assert.equal(r.body.checks?.temporal, 'ok', JSON.stringify(r.body));
    assert.equal(r.body.checks?.worker, 'warn', JSON.stringify(r.body));
    assert.ok(
      Array.isArray(r.body.warnings) &&
        r.body.warnings.some((w: string) => /no worker is polling task queue/.test(w) && w.includes(taskQueue)),
      JSON.stringify(r.body),
    );
  });

  it('SERVICE_ROLE=api once a worker polls: 200 with no warning', async () => {
    const metricsPort = await freePort();
    worker = startProcess({
      SERVICE_ROLE: 'worker',
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_METRICS_PORT: String(metricsPort),
    });
    const r = await eventually(
      async () => {
        const x = await getJson(`${apiUrl}/readyz`);
        return x.body?.checks?.worker === 'ok' ? x : null;
      },
      90_000,
      300,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${worker!.output().slice(-4000)}`);
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ready');
    assert.equal(r.body.warnings, undefined, JSON.stringify(r.body));
  });
});

describe('a Temporal profile file selects the server (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE)', () => {
  it('an API process with no TEMPORAL_ADDRESS connects to the address of the profile and becomes ready', async () => {
    const file = join(dataDir, 'temporal.toml');
    writeFileSync(
      file,
      `[profile.default]\naddress = "127.0.0.1:1"\n\n[profile.test]\naddress = "${env.address}"\nnamespace = "default"\n`,
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const proc = startProcess({
      SERVICE_ROLE: 'api',
      API_PORT: String(port),
      TEMPORAL_TASK_QUEUE: `profile-${randomUUID()}`,
      TEMPORAL_ADDRESS: '',
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'test',
    });
    try {
      await answering(proc, `${url}/healthz`);
      const r = await getJson(`${url}/readyz`);
      assert.equal(r.body.checks?.temporal, 'ok', JSON.stringify(r.body));
      assert.match(
        proc.output(),
        new RegExp(`"address":"${env.address.replace(/[.]/g, '\\.')}"`),
        'the process logs the address of the profile',
      );
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});

describe('API readiness in-process (the role rule of appFromEnv, registered checks)', () => {
  const log = createLogger({ level: 'silent' });
  const servers: Server[] = [];
  async function listen(app: ReturnType<typeof createApp>): Promise<string> {
    const s = await new Promise<Server>((r) => {
      const srv = app.listen(0, '127.0.0.1', () => r(srv));
    });
    servers.push(s);
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  }
  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('SERVICE_ROLE=all with no worker polling: 503 naming the worker (the contract rule)', async () => {
    const e = loadEnv({
      SERVICE_ROLE: 'all',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `all-${randomUUID()}`,
      DATA_DIR: dataDir,
    });
    const url = await listen(appFromEnv(e, env.client, log));
    const r = await getJson(`${url}/readyz`);
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.status, 'not_ready');
    assert.ok(
      r.body.problems.some((p: string) => /no worker is polling task queue/.test(p)),
      JSON.stringify(r.body),
    );
    assert.equal(r.body.checks?.temporal, 'ok', JSON.stringify(r.body));
    assert.equal(r.body.checks?.worker, 'fail', JSON.stringify(r.body));
  });

  it('SERVICE_ROLE=api, in-process: 200 with the warning', async () => {
    const e = loadEnv({
      SERVICE_ROLE: 'api',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: `api-${randomUUID()}`,
      DATA_DIR: dataDir,
    });
    const r = await getJson(`${await listen(appFromEnv(e, env.client, log))}/readyz`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.checks?.worker, 'warn');
  });

  it('a check another module registers (a database) is run and named: failing makes 503, passing is listed', async () => {
    const base: AppOptions = {
      client: env.client,
      taskQueue: `db-${randomUUID()}`,
      namespace: 'default',
      log,
      webhookToken: TOKEN,
      responseTypes: { SECURITY: 1 },
      auraBaseUrl: 'http://127.0.0.1:9/panic-api',
      requireWorker: false,
    };
    let dbUp = false;
    const withDb: AppOptions = {
      ...base,
      readinessChecks: [
        {
          name: 'database',
          check: async () => {
            if (!dbUp) throw new Error('PostgreSQL is not reachable (connection refused)');
          },
        },
      ],
    };
    const url = await listen(createApp(withDb));
    const down = await getJson(`${url}/readyz`);
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.checks?.database, 'fail');
    assert.ok(
      down.body.problems.includes('PostgreSQL is not reachable (connection refused)'),
      JSON.stringify(down.body),
    );
    dbUp = true;
    const up = await getJson(`${url}/readyz`);
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.equal(up.body.checks?.database, 'ok');
    assert.equal(up.body.checks?.temporal, 'ok');
  });
});

describe('probe logging', () => {
  it('load-balancer probes log at debug when answered and at warn when not ready, not at info and error', async () => {
    const lines: any[] = [];
    const log = createLogger({
      level: 'debug',
      destination: { write: (l: string) => void lines.push(JSON.parse(l)) } as never,
    });
    const app = createApp({
      client: env.client,
      taskQueue: `log-${randomUUID()}`,
      namespace: 'default',
      log,
      webhookToken: TOKEN,
      responseTypes: { SECURITY: 1 },
      auraBaseUrl: 'http://127.0.0.1:9/panic-api',
    });
    const server = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/readyz`)).status, 503); // no worker polls this task queue
      await new Promise((r) => setTimeout(r, 100));
      const levelOf = (path: string) => lines.find((l) => l.req?.url === path && l.res)?.level;
      assert.equal(levelOf('/healthz'), 20, 'a 200 probe at debug');
      assert.equal(levelOf('/readyz'), 40, 'a 503 probe at warn');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("the worker process's health (SERVICE_ROLE=worker)", () => {
  const taskQueue = `wh-${randomUUID()}`;
  let worker: Proc;
  let base: string;
  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    worker = startProcess({
      SERVICE_ROLE: 'worker',
      TEMPORAL_TASK_QUEUE: taskQueue,
      WORKER_METRICS_PORT: String(port),
      SHUTDOWN_GRACE_MS: '5000',
    });
    await answering(worker, `${base}/metrics`, 90_000);
  });
  after(() => {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  });

  it('serves /healthz and /readyz: its workers RUNNING and polling, each task queue named', async () => {
    const ready = await eventually(
      async () => {
        const r = await getJson(`${base}/readyz`).catch(() => null);
        return r?.status === 200 ? r : null;
      },
      30_000,
      200,
    ).catch(async (err) => {
      const last = await fetch(`${base}/readyz`).then(
        (r) => `${r.status} ${r.statusText}`,
        (e) => String(e),
      );
      throw new Error(`${(err as Error).message}; last /readyz: ${last}`);
    });
    assert.equal(ready.body.status, 'ready');
    const queues = ready.body.workers.map((w: any) => w.taskQueue).sort();
    assert.deepEqual(queues, [taskQueue, `${taskQueue}-aura-api`]);
    for (const w of ready.body.workers) assert.equal(w.state, 'RUNNING', JSON.stringify(w));
    const health = await getJson(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
  });

  it('exposes aura_worker_up{task_queue} 1 for each worker on its /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const lines = text.split('\n').filter((l) => l.includes('aura_worker_up'));
    assert.ok(lines.includes('# TYPE aura_worker_up gauge'), `the gauge is exposed: ${JSON.stringify(lines)}`);
    assert.ok(lines.includes(`aura_worker_up{task_queue="${taskQueue}"} 1`), JSON.stringify(lines));
    assert.ok(lines.includes(`aura_worker_up{task_queue="${taskQueue}-aura-api"} 1`), JSON.stringify(lines));
  });

  it('on SIGTERM drains and exits 0', async () => {
    worker.child.kill('SIGTERM');
    assert.equal(await worker.exited, 0, worker.output().slice(-3000));
  });
});

describe('SIGTERM: readiness 503 first, in-flight requests complete, exit 0', () => {
  it('answers /readyz 503 shutting_down for SHUTDOWN_READINESS_DELAY_MS while still serving, then closes, completes the in-flight delivery and exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const delayMs = 2_000;
    const proc = startProcess({
      SERVICE_ROLE: 'api',
      API_PORT: String(port),
      TEMPORAL_TASK_QUEUE: `term-${randomUUID()}`,
      SHUTDOWN_READINESS_DELAY_MS: String(delayMs),
    });
    await answering(proc, `${url}/healthz`);
    const before = await getJson(`${url}/readyz`);
    assert.notEqual(before.body?.status, 'shutting_down');

    // A webhook delivery in flight: headers and half of the body sent before the signal, the rest after the server
    // has closed. The receiver answers only once the whole body is read and the event is in Temporal's hands.
    const payload = JSON.parse(readFileSync(join(fixtures, 'RESPONDER_MANUALLY_DISPATCHED.json'), 'utf8'));
    payload.callout.id = 700_000 + Math.floor(Math.random() * 99_999);
    const body = Buffer.from(JSON.stringify(payload));
    let finishBody = () => {};
    const inFlight = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${url}/webhooks/aura`, {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          authorization: `Bearer ${TOKEN}`,
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 200));
      finishBody = () => req.end(body.subarray(200));
    });
    await new Promise((r) => setTimeout(r, 200));

    const signalledAt = Date.now();
    proc.child.kill('SIGTERM');
    // Readiness flips first: 503 shutting_down, while the server still takes connections and answers.
    const flipped = await eventually(
      async () => {
        const r = await getJson(`${url}/readyz`).catch(() => null);
        return r?.status === 503 ? r : null;
      },
      delayMs - 500,
      50,
    ).catch((err) => {
      throw new Error(`${(err as Error).message}\n${proc.output().slice(-3000)}`);
    });
    assert.ok(Date.now() - signalledAt < delayMs, 'readiness answered 503 within the drain period');
    assert.equal(flipped.body.status, 'shutting_down', JSON.stringify(flipped.body));
    assert.equal(await getFresh(`${url}/healthz`), 200, 'still serving during the drain period');

    // After the drain period the server closes: new connections are refused.
    await eventually(async () => (await getFresh(`${url}/healthz`)) === 'refused', delayMs + 5_000, 100);
    assert.ok(
      Date.now() - signalledAt >= delayMs - 100,
      `the server closed only after the drain period (${Date.now() - signalledAt} ms)`,
    );

    // The delivery that was in flight completes with the receiver's answer, and the process exits 0.
    finishBody();
    const done = await inFlight;
    assert.ok(done.status >= 200 && done.status < 300, `${done.status} ${done.text}`);
    assert.equal(await proc.exited, 0, proc.output().slice(-3000));
    assert.match(proc.output(), /shutting down/);
  });
});
