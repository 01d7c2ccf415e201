// The bounded-concurrency helper, in one place: at most `limit` calls of fn in flight, items taken in order.

/** Run fn over items with at most `limit` in flight; rejects with the first error (the others still finish). */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
