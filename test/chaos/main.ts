// `npm run test:chaos`: the full chaos run (CHAOS_CALLOUTS, default 200; CHAOS_SEED, default 42). Prints the counts
// and exits non-zero unless nothing was lost, duplicated or regressed.
import { formatReport, runChaos } from './chaos.js';

const callouts = Number(process.env.CHAOS_CALLOUTS ?? 200);
const seed = Number(process.env.CHAOS_SEED ?? 42);
const t0 = Date.now();
console.log(
  `chaos: ${callouts} callouts, seed ${seed}; 50% webhooks dropped, 20% duplicated, reordered within 2 s, 10% Panic API faults, ` +
    'location routes 404 for 30%, active-callout lookups 404 for 50%, the platform receiver down for a while; positions, notes, cancellations, ratings',
);
// Responses take a minute (four 15 s steps), as real ones take longer still: long enough that a create retried after
// its worker died finds the callout it made while that callout is active.
const report = await runChaos({
  callouts,
  seed,
  stepMs: Number(process.env.CHAOS_STEP_MS ?? 15_000),
  say: (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`),
});
console.log(`\n${formatReport(report)}`);
if (report.problems.length) {
  console.log(`\nproblems:\n  ${report.problems.slice(0, 50).join('\n  ')}`);
  process.exit(1);
}
