// Writers that emit a command only when the value differs from what this run last wrote. A callout's view changes
// far more often (notes, ETA, rating) than its status and phase; skipping identical writes keeps history short, and
// keeps the commands a batch of signals produces the same however the batch is split into activations.
import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';

function onChange<T>(key: (value: T) => string, write: (value: T) => void): (value: T) => void {
  let last = '';
  return (value) => {
    const k = key(value);
    if (k === last) return;
    last = k;
    write(value);
  };
}

export function searchAttributeWriter(): (pairs: SearchAttributeUpdatePair[]) => void {
  return onChange<SearchAttributeUpdatePair[]>(
    (pairs) => JSON.stringify(pairs.map((p) => [p.key.name, p.value])),
    upsertSearchAttributes,
  );
}

/** Writes one memo field, when its JSON differs from the last write. */
export function memoWriter<T>(field: string): (value: T) => void {
  return onChange<T>(
    (value) => JSON.stringify(value),
    (value) => upsertMemo({ [field]: value }),
  );
}

/** Writes several memo fields in one upsert (one history event), when their JSON differs from the last write. */
export function memoFieldsWriter<T extends Record<string, unknown>>(): (fields: T) => void {
  return onChange<T>(
    (fields) => JSON.stringify(fields),
    (fields) => upsertMemo(fields),
  );
}
