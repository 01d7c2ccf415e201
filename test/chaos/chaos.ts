// The chaos run: N callouts through the real API while the simulator drops, duplicates and reorders webhooks and
// fails Panic API calls, the worker is killed with SIGKILL and restarted, and the Temporal dev server is stopped and
// restarted on the same SQLite file. Afterwards every incident must have reached the simulator's final state with
// exactly one AURA callout and a timeline that never went backwards.
//
// Used by `npm run test:chaos` (200 callouts) and, small, by test/integration/chaos.test.ts inside `npm test`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phaseOfStatus, type Phase } from '../../src/domain/status.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';
import { ensureTemporalCli, freePort, PROJECT_ROOT, startDevServer, type RunningDevServer } from '../../src/temporal/dev-server.js';

export interface ChaosOptions {
  callouts: number;
  seed?: number;
  webhookDropRate?: number;
  webhookDuplicateRate?: number;
  webhookReorderWindowMs?: number;
  apiErrorRate?: number;
  /** How long each callout spends in each autopilot step. */
  stepMs?: number;
  /** Give up waiting for the final states after this long. */
  settleTimeoutMs?: number;
  say?: (m: string) => void;
}

export interface ChaosReport {
  incidents: number;
  closed: number;
  lost: number;
  duplicates: number;
  regressions: number;
  repeatedTransitions: number;
  /** Nondeterminism errors the worker logged (a replay that disagreed with history). */
  nondeterminism: number;
  workerKills: number;
  serverRestarts: number;
  webhooks: { delivered: number; dropped: number; duplicated: number; failed: number };
  apiFaults: Record<string, number>;
  apiFaultsTotal: number;
  intakeRetries: number;
  seconds: number;
  problems: string[];
}

// Phases in the order a callout moves through them; completed and cancelled are alternatives of one rank.
const RANK: Record<Phase, number> = { requested: 0, dispatched: 1, on_scene: 2, completed: 3, cancelled: 3, closed: 4, failed: 4 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const say = opts.say ?? (() => {});
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'aura-chaos-'));
  const dbFilename = join(dir, 'temporal.db');
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? (await ensureTemporalCli());
  const port = await freePort();
  const serverOpts = { cliPath, dbFilename, port, uiPort: null, logLevel: 'error' as const, dynamicConfig: { 'history.timerProcessorMaxTimeShift': '20ms' } };
  let server: RunningDevServer = await startDevServer(serverOpts);
  const sim: RunningSimulator = await startSimulator({
    allowLoopbackHttpWebhooks: true,
    autopilot: { enabled: false, stepMs: opts.stepMs ?? 4000, emitWebhooks: true },
    firstCalloutId: 500_000,
  });
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const token = 'chaos-webhook-token';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: 'chaos',
    AURA_BASE_URL: sim.panicApiUrl,
    AURA_CLIENT_ID: 'dev-client',
    AURA_CLIENT_SECRET: 'dev-secret',
    AURA_TIMEOUT_MS: '3000',
    AURA_MAX_REQUESTS_PER_SECOND: '100',
    POLL_INTERVAL_MS: '1000',
    POLL_INTERVAL_SLOW_MS: '3000',
    RATING_WINDOW_MS: '1000',
    API_PORT: String(apiPort),
    WEBHOOK_TOKEN: token,
  };
  const children = new Set<ChildProcess>();
  const start = (entry: string) => {
    const log = openSync(join(dir, `${entry.split('/')[1]}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, entry)], { cwd: PROJECT_ROOT, env, stdio: ['ignore', log, log] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const http = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  const report: ChaosReport = {
    incidents: opts.callouts,
    closed: 0,
    lost: 0,
    duplicates: 0,
    regressions: 0,
    repeatedTransitions: 0,
    nondeterminism: 0,
    workerKills: 0,
    serverRestarts: 0,
    webhooks: { delivered: 0, dropped: 0, duplicated: 0, failed: 0 },
    apiFaults: {},
    apiFaultsTotal: 0,
    intakeRetries: 0,
    seconds: 0,
    problems: [],
  };
  let ok = false;
  try {
    let worker = start('src/worker/main.ts');
    start('src/api/main.ts');
    const readyBy = Date.now() + 120_000;
    while ((await fetch(`${apiUrl}/readyz`).catch(() => null))?.status !== 200) {
      if (Date.now() > readyBy) throw new Error(`the stack did not become ready; logs in ${dir}`);
      await sleep(300);
    }
    const reg = await http('POST', `${sim.panicApiUrl}/v2/notifiers/webhooks`, {
      url: `${apiUrl}/webhooks/aura`,
      events: ['NEW_CALLOUT', 'RESPONDER_MANUALLY_DISPATCHED', 'RESPONDER_ARRIVED_ON_SCENE', 'RESPONDER_COMPLETED', 'CALLOUT_NO_LONGER_REQUIRES_RESPONSE', 'CALLOUT_CLOSED'],
      headers: { authorization: `Bearer ${token}` },
    }, { authorization: 'Bearer dev-token' });
    if (reg.status !== 200) throw new Error(`webhook registration: ${reg.status}`);

    const customers: number[] = [];
    for (let i = 0; i < opts.callouts; i++) {
      const r = await http('POST', `${sim.panicApiUrl}/v2/customers`, {
        customer: { name: 'Chaos', surname: `Customer ${i}`, mobile: `+2784${String(i).padStart(7, '0')}` },
        subscription: { subscriptionTypeId: 12 },
      }, { authorization: 'Bearer dev-token' });
      customers.push(r.body.customer.id);
    }
    // Faults on from here: the service's own traffic meets them, the set-up above did not.
    await http('PUT', `${sim.url}/__sim/faults`, {
      webhookDropRate: opts.webhookDropRate ?? 0.5,
      webhookDuplicateRate: opts.webhookDuplicateRate ?? 0.2,
      webhookReorderWindowMs: opts.webhookReorderWindowMs ?? 2000,
      apiErrorRate: opts.apiErrorRate ?? 0.1,
      apiTimeoutMs: 4000,
      seed: opts.seed ?? 42,
    });
    await http('PUT', `${sim.url}/__sim/autopilot`, { enabled: true });

    // An integrator's intake: retry (same incidentId, so idempotent) until the API accepts.
    const submit = async (i: number) => {
      for (;;) {
        const r = await http('POST', `${apiUrl}/v1/callouts`, { incidentId: `chaos-${i}`, customerId: customers[i], location: { latitude: -26.1, longitude: 28.05 } }).catch(() => null);
        if (r && (r.status === 202 || r.status === 200)) return;
        if (r && r.status < 500) throw new Error(`intake refused chaos-${i}: ${r.status} ${JSON.stringify(r.body)}`);
        report.intakeRetries++;
        await sleep(500);
      }
    };

    const third = Math.max(1, Math.floor(opts.callouts / 3));
    let next = 0;
    const submitBatch = async (until: number) => {
      const batch: Promise<void>[] = [];
      for (; next < until; next++) batch.push(submit(next));
      await Promise.all(batch);
    };
    await submitBatch(third);
    await sleep(1500);
    say(`${third} callouts submitted; killing the worker with SIGKILL`);
    worker.kill('SIGKILL');
    report.workerKills++;
    await submitBatch(2 * third);
    await sleep(1000);
    worker = start('src/worker/main.ts');
    say('worker restarted');
    await sleep(3000);
    say(`${2 * third} callouts submitted; stopping the Temporal server`);
    await server.stop();
    const during = submitBatch(opts.callouts);
    await sleep(2000);
    server = await startDevServer(serverOpts);
    report.serverRestarts++;
    say('Temporal server restarted on the same database file');
    await during;
    say(`all ${opts.callouts} callouts accepted; waiting for every incident to reach closed`);

    // Settle: every incident closed (the autopilot's final state), read through the API.
    const deadline = Date.now() + (opts.settleTimeoutMs ?? 10 * 60_000);
    const incidents = new Map<number, any>();
    while (Date.now() < deadline) {
      await Promise.all(
        customers.map(async (_c, i) => {
          if (incidents.get(i)?.phase === 'closed') return;
          const r = await http('GET', `${apiUrl}/v1/callouts/chaos-${i}`).catch(() => null);
          if (r?.status === 200) incidents.set(i, r.body);
        }),
      );
      const closed = [...incidents.values()].filter((x) => x.phase === 'closed').length;
      if (closed === opts.callouts) break;
      await sleep(2000);
    }

    // --- verdicts ---------------------------------------------------------------------------------------------
    const simCallouts = [...sim.state.callouts.values()];
    for (let i = 0; i < opts.callouts; i++) {
      const inc = incidents.get(i);
      const mine = simCallouts.filter((c) => c.customerId === customers[i]);
      if (mine.length !== 1) {
        report.duplicates += Math.max(0, mine.length - 1);
        report.problems.push(`chaos-${i}: ${mine.length} AURA callouts for its customer`);
      }
      if (!inc || inc.phase !== 'closed') {
        report.lost++;
        report.problems.push(`chaos-${i}: ended ${inc ? `in phase ${inc.phase}` : 'unreadable'}, AURA says ${mine.map((c) => c.status).join('/') || 'nothing'}`);
        continue;
      }
      report.closed++;
      if (mine.length === 1 && inc.auraCalloutId !== mine[0]!.id) {
        report.duplicates++;
        report.problems.push(`chaos-${i}: follows callout ${inc.auraCalloutId}, AURA holds ${mine[0]!.id}`);
      }
      const ranks = (inc.timeline as { status: string }[]).map((t) => phaseOfStatus(t.status)).filter((p): p is Phase => p !== null).map((p) => RANK[p]);
      if (ranks.some((r, k) => k > 0 && r < ranks[k - 1]!)) {
        report.regressions++;
        report.problems.push(`chaos-${i}: timeline went backwards: ${inc.timeline.map((t: { status: string }) => t.status).join(' → ')}`);
      }
      const statuses = (inc.timeline as { status: string }[]).map((t) => t.status);
      if (new Set(statuses).size !== statuses.length) {
        report.repeatedTransitions++;
        report.problems.push(`chaos-${i}: a transition recorded twice: ${statuses.join(' → ')}`);
      }
    }
    for (const d of sim.state.deliveries) if (d.outcome in report.webhooks) report.webhooks[d.outcome as keyof ChaosReport['webhooks']]++;
    report.apiFaults = { ...sim.state.faultCounts };
    report.nondeterminism = (readFileSync(join(dir, 'worker.log'), 'utf8').match(/Nondeterminism error/g) ?? []).length;
    if (report.nondeterminism) report.problems.push(`the worker logged ${report.nondeterminism} nondeterminism errors`);
    report.apiFaultsTotal = Object.values(report.apiFaults).reduce((a, b) => a + b, 0);
    ok = report.problems.length === 0;
  } finally {
    report.seconds = Math.round((Date.now() - started) / 1000);
    for (const c of children) c.kill('SIGKILL');
    await sim.close();
    await server.stop();
    if (ok) rmSync(dir, { recursive: true, force: true });
    else report.problems.push(`worker, API and server files kept in ${dir}`);
  }
  return report;
}

export function formatReport(r: ChaosReport): string {
  const faults = Object.entries(r.apiFaults).map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
  return [
    `incidents             ${r.incidents}`,
    `closed                ${r.closed}`,
    `lost                  ${r.lost}`,
    `duplicates            ${r.duplicates}`,
    `regressions           ${r.regressions}`,
    `repeated transitions  ${r.repeatedTransitions}`,
    `nondeterminism       ${r.nondeterminism}`,
    `worker kills          ${r.workerKills} (SIGKILL)`,
    `server restarts       ${r.serverRestarts} (same SQLite file)`,
    `webhooks              delivered ${r.webhooks.delivered}, dropped ${r.webhooks.dropped}, duplicated ${r.webhooks.duplicated}, failed ${r.webhooks.failed}`,
    `API faults injected   ${r.apiFaultsTotal} (${faults})`,
    `intake retries        ${r.intakeRetries} (503 or no answer while Temporal was down)`,
    `run time              ${r.seconds} s`,
  ].join('\n');
}
