// Waiting on a promise that an AbortSignal may cut short, in one place (the per-key serializer, the shared listing
// of active callouts, the transport's token and back-off waits).

/** `p`, unless `signal` aborts first (then its reason). `p` itself carries on: it may be shared with other callers. */
export function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
