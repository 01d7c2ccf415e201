// The small chaos run inside `npm test` (the full one is `npm run test:chaos`): a dozen callouts through webhook
// drops, duplicates and reordering, Panic API faults and route faults, a platform outage, positions, notes,
// cancellations and ratings, a worker SIGKILL and a Temporal server restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport, runChaos } from '../chaos/chaos.js';

test(
  'chaos: nothing lost, duplicated or regressed through faults, a worker kill and a server restart',
  { timeout: 600_000 },
  async () => {
    const report = await runChaos({ callouts: 12, seed: 7, stepMs: 8000, settleTimeoutMs: 300_000 });
    console.log(formatReport(report));
    assert.deepEqual(report.problems, []);
    assert.equal(report.closed, 12);
    assert.equal(report.lost, 0);
    assert.equal(report.duplicates, 0);
    assert.equal(report.regressions, 0);
    assert.equal(report.stuck, 0);
    assert.equal(report.notesLost, 0);
    assert.equal(report.writeBackLost, 0);
    assert.equal(report.nondeterminism, 0);
    assert.equal(report.workerKills, 1);
    assert.equal(report.serverRestarts, 1);
    // The faults really happened.
    assert.ok(report.webhooks.dropped > 0 && report.webhooks.duplicated > 0, JSON.stringify(report.webhooks));
    assert.ok(report.apiFaultsTotal > 0, 'Panic API faults were injected');
    assert.ok(report.platformOutageSeconds > 0, 'the platform receiver was down');
    // Integrators really operated on the callouts under those faults.
    const ops = report.operations;
    assert.ok(ops.positions > 0 && ops.notes > 0 && ops.cancels > 0, JSON.stringify(ops));
  },
);
