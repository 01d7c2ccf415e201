// Replays recorded histories of representative lifecycles against the current workflow code (no server needed):
// a change that breaks determinism fails here. Recorded by `npm run histories:record`.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/stack.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

describe('replay of recorded histories', () => {
  it('has histories of webhook-driven, poll-only, cancelled, rated and continued-as-new lifecycles, and of onboardings', () => {
    for (const kind of ['webhook-driven', 'poll-only', 'cancelled', 'rated', 'continued-as-new', 'onboarding-webhook', 'onboarding-read-back']) {
      assert.ok(files.some((f) => f.startsWith(kind)), `no ${kind} history`);
    }
  });

  it('replays every one of them without a determinism error', async () => {
    const histories = files.map((f) => {
      const { workflowId, history } = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      return { workflowId: `${workflowId}:${f}`, history };
    });
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories);
    let n = 0;
    for await (const r of results) {
      n++;
      assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
    }
    assert.equal(n, files.length);
  });
});
