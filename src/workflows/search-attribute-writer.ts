// Upserts search attributes only when their values differ from this run's previous upsert. A callout's view changes
// far more often (notes, ETA, rating) than its status and phase; skipping identical upserts keeps history short, and
// keeps the commands a batch of signals produces the same however the batch is split into activations.
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';

export function searchAttributeWriter(): (pairs: SearchAttributeUpdatePair[]) => boolean {
  let last = '';
  return (pairs) => {
    const key = JSON.stringify(pairs.map((p) => [p.key.name, p.value]));
    if (key === last) return false;
    last = key;
    upsertSearchAttributes(pairs);
    return true;
  };
}
