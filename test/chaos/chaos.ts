// The chaos run: N callouts through the real API while the simulator drops, duplicates and reorders webhooks and
// fails Panic API calls, answers the location routes 404 for a share of requests and the customer's active-callout
// lookup 404 for another, the platform's event receiver is down for a while, the worker is killed with SIGKILL and
// restarted, and the Temporal dev server is stopped and restarted on the same SQLite file. Meanwhile integrators
// send positions and notes, cancel some callouts and rate others. Afterwards every incident must have reached the
// simulator's final state with exactly one AURA callout, a timeline that never went backwards, every note it
// accepted (sent or marked failed, never missing), and every status change written back to the platform once.
//
// Used by `npm run test:chaos` (200 callouts) and, small, by test/integration/chaos.test.ts inside `npm test`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { phaseOfStatus, type Phase } from '../../src/domain/status.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/app.js';
import {
  ensureTemporalCli,
  freePort,
  PROJECT_ROOT,
  startDevServer,
  type RunningDevServer,
} from '../../src/temporal/dev-server.js';

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
  /** AURA's callout closed, the incident did not (by the deadline). */
  stuck: number;
  /** Notes the API accepted (202) that are not on the incident, sent or marked failed. */
  notesLost: number;
  /** Status changes on an incident that never reached the platform's receiver, or reached it twice. */
  writeBackLost: number;
  writeBackDuplicates: number;
  operations: { positions: number; notes: number; cancels: number; ratings: number; ratingRefusals: number };
  platformOutageSeconds: number;
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
const RANK: Record<Phase, number> = {
  requested: 0,
  dispatched: 1,
  on_scene: 2,
  completed: 3,
  cancelled: 3,
  closed: 4,
  failed: 4,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const say = opts.say ?? (() => {});
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'aura-chaos-'));
  const dbFilename = join(dir, 'temporal.db');
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? (await ensureTemporalCli());
  const port = await freePort();
  const serverOpts = {
    cliPath,
    dbFilename,
    port,
    uiPort: null,
    logLevel: 'error' as const,
    dynamicConfig: { 'history.timerProcessorMaxTimeShift': '20ms' },
  };
  let server: RunningDevServer = await startDevServer(serverOpts);
  const sim: RunningSimulator = await startSimulator({
    allowLoopbackHttpWebhooks: true,
    autopilot: { enabled: false, stepMs: opts.stepMs ?? 4000, emitWebhooks: true },
    firstCalloutId: 500_000,
  });
  // The platform's event receiver (PLATFORM_EVENTS_URL): down (503) for a while in the middle of the run.
  let platformUp = true;
  const platformSeen = new Map<string, number>();
  const platformByIncident = new Map<string, any[]>();
  const platform = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (!platformUp) return void res.writeHead(503).end();
      const id = String(req.headers['idempotency-key']);
      const n = (platformSeen.get(id) ?? 0) + 1;
      platformSeen.set(id, n);
      if (n === 1) {
        const ev = JSON.parse(body);
        platformByIncident.set(ev.incidentId, [...(platformByIncident.get(ev.incidentId) ?? []), ev]);
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => platform.listen(0, '127.0.0.1', () => r()));
  const platformUrl = `http://127.0.0.1:${(platform.address() as AddressInfo).port}/events`;
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
    // Long enough for the integrator below to rate; the settle waits for closed, not for the window.
    RATING_WINDOW_MS: '60000',
    PLATFORM_EVENTS_URL: platformUrl,
    PLATFORM_EVENTS_SECRET: 'chaos-platform-secret-0123456789',
    API_PORT: String(apiPort),
    WEBHOOK_TOKEN: token,
  };
  const children = new Set<ChildProcess>();
  const start = (entry: string) => {
    const log = openSync(join(dir, `${entry.split('/')[1]}.log`), 'a');
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, entry)], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', log, log],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const http = async (
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = 10_000,
  ) => {
    const res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  const report: ChaosReport = {
    incidents: opts.callouts,
    closed: 0,
    lost: 0,
    duplicates: 0,
    regressions: 0,
    stuck: 0,
    notesLost: 0,
    writeBackLost: 0,
    writeBackDuplicates: 0,
    operations: { positions: 0, notes: 0, cancels: 0, ratings: 0, ratingRefusals: 0 },
    platformOutageSeconds: 0,
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
    // The API alone is ready without a worker (SERVICE_ROLE=api): wait for its worker check too.
    const workerPolling = async () => {
      const r = await fetch(`${apiUrl}/readyz`).catch(() => null);
      return (
        r?.status === 200 &&
        ((await r.json().catch(() => null)) as { checks?: Record<string, string> } | null)?.checks?.worker === 'ok'
      );
    };
    while (!(await workerPolling())) {
      if (Date.now() > readyBy) throw new Error(`the stack did not become ready; logs in ${dir}`);
      await sleep(300);
    }
    const reg = await http(
      'POST',
      `${sim.panicApiUrl}/v2/notifiers/webhooks`,
      {
        url: `${apiUrl}/webhooks/aura`,
        events: [
          'NEW_CALLOUT',
          'RESPONDER_MANUALLY_DISPATCHED',
          'RESPONDER_ARRIVED_ON_SCENE',
          'RESPONDER_COMPLETED',
          'CALLOUT_NO_LONGER_REQUIRES_RESPONSE',
          'CALLOUT_CLOSED',
        ],
        headers: { authorization: `Bearer ${token}` },
      },
      { authorization: 'Bearer dev-token' },
    );
    if (reg.status !== 200) throw new Error(`webhook registration: ${reg.status}`);

    const customers: number[] = [];
    for (let i = 0; i < opts.callouts; i++) {
      const r = await http(
        'POST',
        `${sim.panicApiUrl}/v2/customers`,
        {
          customer: { name: 'Chaos', surname: `Customer ${i}`, mobile: `+2784${String(i).padStart(7, '0')}` },
          subscription: { subscriptionTypeId: 12 },
        },
        { authorization: 'Bearer dev-token' },
      );
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
      // AURA answering differently from its reference: location routes 404 for a share of requests, the
      // customer's active-callout lookup (a retried create's first step) 404 for another.
      routes: [
        { method: 'POST', path: '/panic-api/v2/callouts/*/location*', status: 404, rate: 0.3 },
        { method: 'GET', path: '/panic-api/v2/customers/*/callouts', status: 404, rate: 0.5 },
      ],
    });
    await http('PUT', `${sim.url}/__sim/autopilot`, { enabled: true });

    // An integrator's intake: retry (same incidentId, so idempotent) until the API accepts.
    const submit = async (i: number) => {
      for (;;) {
        const r = await http('POST', `${apiUrl}/v1/callouts`, {
          incidentId: `chaos-${i}`,
          customerId: customers[i],
          location: { latitude: -26.1, longitude: 28.05 },
        }).catch(() => null);
        if (r && (r.status === 202 || r.status === 200)) return;
        if (r && r.status < 500) throw new Error(`intake refused chaos-${i}: ${r.status} ${JSON.stringify(r.body)}`);
        report.intakeRetries++;
        await sleep(500);
      }
    };

    // What integrators do to open callouts, under the same faults: positions, notes, cancellations, ratings.
    const notesAccepted = new Map<number, string[]>();
    const cancelled = new Set<number>();
    const operate = async (i: number) => {
      const base = `${apiUrl}/v1/callouts/chaos-${i}`;
      // Retried while the answer says "try again" (5xx, no answer, or the callout not yet confirmed by AURA).
      let last = null as { status: number; body: any } | null;
      const retry = async (
        fn: () => Promise<{ status: number; body: any } | null>,
        ok: (s: number) => boolean,
        tries = 20,
      ) => {
        for (let t = 0; t < tries; t++) {
          const r = (last = await fn().catch(() => null));
          if (r && ok(r.status) && r.body?.error?.code !== 'CALLOUT_PENDING') return r;
          await sleep(1000);
        }
        return null;
      };
      await sleep(1500 + (i % 7) * 300);
      if (i % 2 === 0) {
        for (let k = 0; k < 3; k++) {
          const r = await http('POST', `${base}/location`, { latitude: -26.1 + k / 1000, longitude: 28.05 }).catch(
            () => null,
          );
          if (r?.status === 202) report.operations.positions++;
          await sleep(700);
        }
      }
      if (i % 3 === 0) {
        const text = `chaos note for ${i}`;
        // An idempotency key per note, so a retried POST is one note.
        const r = await retry(
          () => http('POST', `${base}/notes`, { text }, { 'x-request-id': `chaos-note-${i}` }),
          (s) => s === 202 || s === 409,
        );
        if (r?.status === 202) {
          notesAccepted.set(i, [text]);
          report.operations.notes++;
        }
      }
      // An update waits for AURA's answer, which the capped Panic API queue can hold up: an integrator that gave up
      // waiting and asks again is told the first one is still on its way (409), and reads the incident for it.
      const shows = async (pred: (b: any) => boolean) => {
        const until = Date.now() + 120_000;
        while (Date.now() < until) {
          const g = await http('GET', base).catch(() => null);
          if (g?.status === 200 && pred(g.body)) return true;
          await sleep(2000);
        }
        return false;
      };
      if (i % 5 === 1) {
        const r = await retry(
          () => http('POST', `${base}/cancel`, { reasons: ['FALSE_ALARM'] }, {}, 60_000),
          (s) => s === 200 || s === 409 || s === 422,
        );
        const inFlight = r?.status === 409 && ['CANCEL_IN_PROGRESS', 'ALREADY_CANCELLED'].includes(r.body?.error?.code);
        if (
          r?.status === 200 ||
          (inFlight && (await shows((b) => b.notes.some((n: any) => /Cancellation requested/.test(n.text)))))
        ) {
          cancelled.add(i);
          report.operations.cancels++;
        } else
          say(
            `chaos-${i}: cancellation not accepted; last answer ${last ? `${last.status} ${JSON.stringify(last.body)}` : 'none'}`,
          );
        return;
      }
      if (i % 4 === 0) {
        // Rate once the rating opens (after closed).
        const deadline = Date.now() + (opts.settleTimeoutMs ?? 10 * 60_000);
        while (Date.now() < deadline) {
          const g = await http('GET', base).catch(() => null);
          if (g?.body?.rating?.state === 'requested') break;
          if (g?.body?.rating && g.body.rating.state !== 'not_open') return;
          await sleep(2000);
        }
        const r = await retry(
          () => http('POST', `${base}/rating`, { rating: 5 }, {}, 60_000),
          (s) => s === 200 || s === 409 || s === 422,
          10,
        );
        if (r?.status === 200 || (r?.status === 409 && (await shows((b) => b.rating?.state === 'submitted'))))
          report.operations.ratings++;
        else {
          report.operations.ratingRefusals++;
          say(
            `chaos-${i}: rating not accepted; last answer ${last ? `${last.status} ${JSON.stringify(last.body)}` : 'none'}`,
          );
        }
      }
    };
    const operations: Promise<void>[] = [];

    const third = Math.max(1, Math.floor(opts.callouts / 3));
    let next = 0;
    const submitBatch = async (until: number) => {
      const batch: Promise<void>[] = [];
      for (; next < until; next++) {
        const i = next;
        batch.push(submit(i).then(() => void operations.push(operate(i))));
      }
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
    platformUp = false;
    const outageStarted = Date.now();
    const during = submitBatch(opts.callouts);
    await sleep(2000);
    server = await startDevServer(serverOpts);
    report.serverRestarts++;
    say('Temporal server restarted on the same database file');
    await during;
    await sleep(Math.max(0, 10_000 - (Date.now() - outageStarted)));
    platformUp = true;
    report.platformOutageSeconds = Math.round((Date.now() - outageStarted) / 1000);
    say(
      `all ${opts.callouts} callouts accepted; the platform receiver is back after ${report.platformOutageSeconds} s; waiting for every incident to reach closed`,
    );

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
        const auraClosed = mine.length > 0 && mine.every((c) => c.status === 'closed');
        if (auraClosed && inc) report.stuck++;
        else report.lost++;
        report.problems.push(
          `chaos-${i}: ended ${inc ? `in phase ${inc.phase}` : 'unreadable'}, AURA says ${mine.map((c) => c.status).join('/') || 'nothing'}`,
        );
        continue;
      }
      for (const text of notesAccepted.get(i) ?? []) {
        if (!(inc.notes as { text: string }[]).some((n) => n.text === text)) {
          report.notesLost++;
          report.problems.push(`chaos-${i}: the note "${text}" was accepted but is not on the incident`);
        }
      }
      // A cancellation of a response AURA had already reported complete changes nothing: the two share a rank and
      // the first reported wins (src/domain/status.ts).
      const ended = (inc.timeline as { status: string }[]).some(
        (t) => t.status === 'Responder Cancelled' || t.status === 'Responder Completed',
      );
      if (cancelled.has(i) && !ended) {
        report.problems.push(`chaos-${i}: cancelled with a 200 but its timeline has no Responder Cancelled`);
      }
      report.closed++;
      if (mine.length === 1 && inc.auraCalloutId !== mine[0]!.id) {
        report.duplicates++;
        report.problems.push(`chaos-${i}: follows callout ${inc.auraCalloutId}, AURA holds ${mine[0]!.id}`);
      }
      const ranks = (inc.timeline as { status: string }[])
        .map((t) => phaseOfStatus(t.status))
        .filter((p): p is Phase => p !== null)
        .map((p) => RANK[p]);
      if (ranks.some((r, k) => k > 0 && r < ranks[k - 1]!)) {
        report.regressions++;
        report.problems.push(
          `chaos-${i}: timeline went backwards: ${inc.timeline.map((t: { status: string }) => t.status).join(' → ')}`,
        );
      }
      const statuses = (inc.timeline as { status: string }[]).map((t) => t.status);
      if (new Set(statuses).size !== statuses.length) {
        report.repeatedTransitions++;
        report.problems.push(`chaos-${i}: a transition recorded twice: ${statuses.join(' → ')}`);
      }
    }
    // Write-back: every status change of every incident reached the platform once (its outbox drains after the
    // outage; each incident's workflow ends only when it has).
    const writeBackBy = Date.now() + 120_000;
    const missing = () =>
      [...incidents.entries()].flatMap(([i, inc]) =>
        (inc.timeline as { status: string }[])
          .filter(
            (t) =>
              !(platformByIncident.get(`chaos-${i}`) ?? []).some(
                (e) => e.type === 'incident.status_changed' && e.status === t.status,
              ),
          )
          .map((t) => `chaos-${i}: ${t.status}`),
      );
    while (missing().length && Date.now() < writeBackBy) await sleep(2000);
    for (const m of missing()) {
      report.writeBackLost++;
      report.problems.push(`write-back lost: ${m}`);
    }
    for (const [id, n] of platformSeen) {
      if (n > 1) report.writeBackDuplicates++;
      if (n > 1 && report.writeBackDuplicates <= 5)
        say(`platform event ${id} accepted ${n} times (the idempotency id makes it one)`);
    }
    await Promise.race([Promise.all(operations), sleep(30_000)]);
    for (const d of sim.state.deliveries)
      if (d.outcome in report.webhooks) report.webhooks[d.outcome as keyof ChaosReport['webhooks']]++;
    report.apiFaults = { ...sim.state.faultCounts };
    report.nondeterminism = (readFileSync(join(dir, 'worker.log'), 'utf8').match(/Nondeterminism error/g) ?? []).length;
    if (report.nondeterminism) report.problems.push(`the worker logged ${report.nondeterminism} nondeterminism errors`);
    report.apiFaultsTotal = Object.values(report.apiFaults).reduce((a, b) => a + b, 0);
    ok = report.problems.length === 0;
  } finally {
    report.seconds = Math.round((Date.now() - started) / 1000);
    for (const c of children) c.kill('SIGKILL');
    await sim.close();
    platform.closeAllConnections();
    platform.close();
    await server.stop();
    if (ok) rmSync(dir, { recursive: true, force: true });
    else report.problems.push(`worker, API and server files kept in ${dir}`);
  }
  return report;
}

export function formatReport(r: ChaosReport): string {
  const faults =
    Object.entries(r.apiFaults)
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ') || 'none';
  return [
    `incidents             ${r.incidents}`,
    `closed                ${r.closed}`,
    `lost                  ${r.lost}`,
    `duplicates            ${r.duplicates}`,
    `regressions           ${r.regressions}`,
    `stuck                 ${r.stuck}`,
    `notes lost            ${r.notesLost}`,
    `write-back lost       ${r.writeBackLost} (duplicate deliveries ${r.writeBackDuplicates}, each with one idempotency id)`,
    `operations            positions ${r.operations.positions}, notes ${r.operations.notes}, cancels ${r.operations.cancels}, ratings ${r.operations.ratings} (refused ${r.operations.ratingRefusals})`,
    `platform outage       ${r.platformOutageSeconds} s`,
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
