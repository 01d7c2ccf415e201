// Replays recorded histories of representative workflows against the current workflow code (no server needed): a
// change that breaks determinism fails here. Each release keeps its folder (test/fixtures/histories/<release>),
// recorded by `npm run histories:record` and never re-recorded over: runs started by released code may still be
// open when a new worker picks them up, so every release's histories must keep replaying.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/stack.js';

const root = join(import.meta.dirname, '..', 'fixtures', 'histories');
const releases = readdirSync(root)
  .filter((d) => statSync(join(root, d)).isDirectory())
  .sort();
const KINDS = [
  'webhook-driven',
  'poll-only',
  'cancelled',
  'rated',
  'continued-as-new',
  'onboarding-webhook',
  'onboarding-read-back',
];

describe('replay of recorded histories', () => {
  it("keeps the released v1 histories and the current release's", () => {
    assert.ok(releases.includes('v1'), 'the v1 histories are kept');
    assert.ok(releases.includes('v2'), 'the current release has recorded histories');
  });

  for (const release of releases) {
    const dir = join(root, release);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();

    it(`${release}: has histories of webhook-driven, poll-only, cancelled, rated and continued-as-new lifecycles, and of onboardings`, () => {
      for (const kind of KINDS)
        assert.ok(
          files.some((f) => f.startsWith(kind)),
          `no ${kind} history in ${release}`,
        );
    });

    it(`${release}: replays every one of them without a determinism error`, async () => {
      const histories = files.map((f) => {
        const { workflowId, history } = JSON.parse(readFileSync(join(dir, f), 'utf8'));
        return { workflowId: `${workflowId}:${release}/${f}`, history };
      });
      const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories);
      let n = 0;
      for await (const r of results) {
        n++;
        assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
      }
      assert.equal(n, files.length);
    });
  }
});
