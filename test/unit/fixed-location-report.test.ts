import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeBatchResults, type StoredPlan } from '../../src/domain/fixed-location-report.js';

const plan: StoredPlan = {
  issues: [
    { kind: 'MISSING_IN_AURA', externalReferenceId: 'site-1', detail: 'not in AURA' },
    { kind: 'MISSING_IN_AURA', externalReferenceId: 'site-2', detail: 'not in AURA' },
    { kind: 'RENAMED', externalReferenceId: 'site-3', auraFixedLocationId: 33, detail: 'name differs' },
    { kind: 'MOVED', externalReferenceId: 'site-4', auraFixedLocationId: 44, detail: 'moved 120 m' },
  ],
  counts: { platform: 5, matched: 3, duplicates: 0, auraOnly: 1 } as StoredPlan['counts'],
  index: { 'site-3': [33], 'site-4': [44], 'site-5': [55] },
};

describe('the API-mode report: the plan merged with the batches’ results', () => {
  it('records what was created and updated, says why the rest was not, and counts what is still missing', () => {
    const before = JSON.stringify(plan);
    const r = mergeBatchResults(
      plan,
      [
        { created: [{ ref: 'site-1', id: 11 }], updated: [33], failed: [] },
        {
          created: [],
          updated: [],
          failed: [
            { ref: 'site-2', op: 'create', message: 'AURA answered 422' },
            { ref: 'site-4', id: 44, op: 'update', message: 'AURA answered 500' },
          ],
        },
      ],
      4,
    );
    assert.deepEqual(r.index, { 'site-1': [11], 'site-3': [33], 'site-4': [44], 'site-5': [55] });
    assert.deepEqual(
      r.issues.map((i) => [i.externalReferenceId, i.detail]),
      [
        ['site-1', 'created in AURA as Fixed Location 11'],
        ['site-2', 'not created: AURA answered 422'],
        ['site-3', 'name differs; AURA updated to the platform'],
        ['site-4', 'moved 120 m; update failed: AURA answered 500'],
      ],
    );
    assert.deepEqual(r.counts, {
      platform: 5,
      aura: 4,
      matched: 3,
      created: 1,
      updated: 1,
      deleted: 0,
      missing: 2,
      duplicates: 0,
    });
    assert.equal(JSON.stringify(plan), before, 'the stored plan is not changed');
  });

  it('a batch with no result is "no result", never a success', () => {
    const r = mergeBatchResults(plan, [], 4);
    assert.equal(r.issues[0]!.detail, 'not created: no result');
    assert.match(r.issues[2]!.detail, /update failed: no result/);
    assert.equal(r.counts.created, 0);
  });
});
