// Worker CPU per callout with no server and no network: the recorded end-to-end histories of the current release
// (test/fixtures/histories/<latest>, webhook-driven and poll-only, incident + lifecycle) replayed by the SDK's replay
// worker, REPLAY_ROUNDS rounds of REPLAY_COPIES copies each. A replay runs every workflow task of the history again
// (the workflow thread's share of a live run, plus the core's), so CPU per replayed callout is the figure that
// "less work per callout" changes move; the first round includes warm-up. Asserts nothing.
//
// What the profiles of the worker showed (docs/benchmarks.md, 2026-12-02): in the workflow thread, the SDK's calls
// into the reused V8 context (each with a 5 s deadlock timeout, which makes Node start and join a watchdog thread
// per call) and its promise hook (a stack trace captured for every promise a workflow creates) are most of the time.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { PROJECT_ROOT } from '../src/temporal/dev-server.js';
import { metricsSinks } from '../src/worker/metrics-sinks.js';
import { workflowInterceptorModules, workflowsPath } from '../src/worker/worker.js';
import { num, pct } from './lib.js';

const ROUNDS = num('REPLAY_ROUNDS', 4);
const COPIES = num('REPLAY_COPIES', 50);
const root = join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
const release = readdirSync(root)
  .filter((d) => statSync(join(root, d)).isDirectory())
  .sort()
  .at(-1)!;
const dir = join(root, release);

// The replay worker logs its every start and stop at INFO.
Runtime.install({ logger: new DefaultLogger('ERROR') });

const bundle = await bundleWorkflowCode({
  workflowsPath,
  workflowInterceptorModules,
  logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error } as never,
});

console.log(
  `Replay cost, release ${release}: ${ROUNDS} rounds × ${COPIES} copies of each callout (incident + lifecycle)`,
);
for (const scenario of ['webhook-driven', 'poll-only']) {
  const files = readdirSync(dir).filter((f) => f.startsWith(`${scenario}-`) && f.endsWith('-last.json'));
  const histories = files.map(
    (f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { workflowId: string; history: { events: unknown[] } },
  );
  const events = histories.reduce((a, h) => a + h.history.events.length, 0);
  const perCallout: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const list = Array.from({ length: COPIES }, (_, i) =>
      histories.map((h) => ({ workflowId: `${h.workflowId}-${round}-${i}`, history: h.history })),
    ).flat();
    const cpu0 = process.cpuUsage();
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, sinks: metricsSinks() }, list)) {
      if (r.error) throw r.error;
    }
    const cpu = process.cpuUsage(cpu0);
    // The replays' two workflows (incident and lifecycle) make one callout.
    perCallout.push((cpu.user + cpu.system) / 1000 / COPIES);
  }
  const steady = perCallout.slice(1);
  console.log(
    `  ${scenario.padEnd(15)} ${events} events: CPU per callout ${pct(steady, 50).toFixed(1)} ms (median of rounds 2–${ROUNDS}; ` +
      `rounds: ${perCallout.map((x) => x.toFixed(1)).join(', ')} ms), ${((pct(steady, 50) * 1000) / events).toFixed(0)} µs per event`,
  );
}
