// The Fixed Location report of an API-mode reconciliation: the plan merged with what each batch of creates and
// updates did at AURA (contract §4). Pure: the finishing activity reads the plan and the batches' results, this
// makes the index, the issues and the counts. Unit-tested in test/unit/fixed-locations.test.ts.
import type { FixedLocationIndex, SyncCounts, SyncIssue, planReconciliation } from './fixed-locations.js';

/** What one batch of creates and updates did at AURA. */
export interface BatchResult {
  created: { ref: string; id: number }[];
  updated: number[];
  failed: { ref: string; id?: number; op: 'create' | 'update'; message: string }[];
}

export interface StoredPlan {
  issues: SyncIssue[];
  counts: ReturnType<typeof planReconciliation>['counts'];
  index: FixedLocationIndex;
}

/** `aura`: how many Fixed Locations AURA listed (referenced and not) before the run. */
export function mergeBatchResults(
  plan: StoredPlan,
  results: BatchResult[],
  aura: number,
): { index: FixedLocationIndex; issues: SyncIssue[]; counts: SyncCounts } {
  const created = new Map<string, number>();
  const updated = new Set<number>();
  const failedCreate = new Map<string, string>();
  const failedUpdate = new Map<number, string>();
  for (const r of results) {
    for (const c of r.created) created.set(c.ref, c.id);
    for (const id of r.updated) updated.add(id);
    for (const f of r.failed) {
      if (f.op === 'create') failedCreate.set(f.ref, f.message);
      else failedUpdate.set(f.id!, f.message);
    }
  }
  const index: FixedLocationIndex = {};
  for (const [ref, ids] of Object.entries(plan.index)) index[ref] = [...ids];
  for (const [ref, id] of created) (index[ref] ??= []).push(id);
  const issues = plan.issues.map((i): SyncIssue => {
    if (i.kind === 'MISSING_IN_AURA') {
      const id = created.get(i.externalReferenceId);
      return id !== undefined
        ? { ...i, auraFixedLocationId: id, detail: `created in AURA as Fixed Location ${id}` }
        : { ...i, detail: `not created: ${failedCreate.get(i.externalReferenceId) ?? 'no result'}` };
    }
    if (i.kind === 'RENAMED' || i.kind === 'MOVED') {
      const ok = updated.has(i.auraFixedLocationId!);
      return {
        ...i,
        detail: `${i.detail}; ${ok ? 'AURA updated to the platform' : `update failed: ${failedUpdate.get(i.auraFixedLocationId!) ?? 'no result'}`}`,
      };
    }
    return i;
  });
  const stillMissing = plan.issues.filter(
    (i) => i.kind === 'MISSING_IN_AURA' && !created.has(i.externalReferenceId),
  ).length;
  const counts: SyncCounts = {
    platform: plan.counts.platform,
    aura,
    matched: plan.counts.matched,
    created: created.size,
    updated: updated.size,
    deleted: 0,
    missing: stillMissing + plan.counts.auraOnly,
    duplicates: plan.counts.duplicates,
  };
  return { index, issues, counts };
}
