// A pacer for requests to AURA: starts are spaced at least 1/rate seconds apart, with no burst, so that no one-second
// window holds more than `rate` requests from this process. The Temporal task queue's rate limit is the global cap
// across workers, but its token bucket lets a full second's worth of tasks through at once; the pacer smooths that.
//
// The queue is bounded and cancellable. A caller that would wait longer than `maxWaitMs` is refused at once
// (PacerSaturatedError) instead of queueing without limit: an activity that waits past its own timeout would still
// send its request after Temporal had retried it elsewhere (a second callout). A caller whose signal aborts leaves the
// queue, and the callers behind it move up into its slot.
//
// Two lanes: an urgent caller (a create, a cancellation, a note: someone is waiting on it) goes ahead of every queued
// ordinary one (polls, reads), behind earlier urgent ones; the Temporal task queue's priorities order the activities,
// and this keeps the order for the requests inside them, where each poll makes two.

export class PacerSaturatedError extends Error {
  override readonly name = 'PacerSaturatedError';
  constructor(
    /** How long this caller would have waited for its turn. */
    readonly waitMs: number,
    readonly maxWaitMs: number,
  ) {
    super(`the request would wait ${waitMs} ms for its turn, more than the ${maxWaitMs} ms bound`);
  }
}

export interface PacerOptions {
  /** Refuse a caller that would wait longer than this (default: no bound). */
  maxWaitMs?: number;
}

export interface TakeOptions {
  /** Go ahead of every queued ordinary caller (behind earlier urgent ones). */
  urgent?: boolean | undefined;
}

interface Waiter {
  urgent: boolean;
  resolve(): void;
  reject(err: unknown): void;
  signal?: AbortSignal | undefined;
  onAbort?: (() => void) | undefined;
}

export class Pacer {
  /** Start time of the latest caller let through. */
  private last = -Infinity;
  private readonly queue: Waiter[] = [];
  private timerPending = false;
  private readonly spacingMs: number;
  readonly maxWaitMs: number;

  constructor(
    ratePerSecond: number,
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    opts: PacerOptions = {},
  ) {
    if (!(ratePerSecond > 0)) throw new Error('rate must be positive');
    this.spacingMs = 1000 / ratePerSecond;
    this.maxWaitMs = opts.maxWaitMs ?? Infinity;
  }

  /** How long a caller arriving now would wait for its turn (an urgent one waits only for the urgent ones queued). */
  waitMs(opts: TakeOptions = {}): number {
    const ahead = opts.urgent ? this.urgentQueued() : this.queue.length;
    return Math.max(0, this.last + this.spacingMs * (ahead + 1) - this.now());
  }

  private urgentQueued(): number {
    let n = 0;
    while (n < this.queue.length && this.queue[n]!.urgent) n++;
    return n;
  }

  /**
   * Resolve when this caller may start its request (in order of arrival, urgent ones first). Rejects at once with
   * PacerSaturatedError when the wait would exceed the bound, and with the signal's reason when it aborts.
   */
  take(signal?: AbortSignal, opts: TakeOptions = {}): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const urgent = opts.urgent === true;
    const wait = this.waitMs({ urgent });
    if (wait <= 0 && this.queue.length === 0) {
      this.last = this.now();
      return Promise.resolve();
    }
    if (wait > this.maxWaitMs) return Promise.reject(new PacerSaturatedError(Math.ceil(wait), this.maxWaitMs));
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { urgent, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const i = this.queue.indexOf(w);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      if (urgent) this.queue.splice(this.urgentQueued(), 0, w);
      else this.queue.push(w);
      this.schedule();
    });
  }

  /** One timer at a time, for the head of the queue; whoever is at the head when it fires goes. */
  private schedule(): void {
    if (this.timerPending || this.queue.length === 0) return;
    const at = this.last + this.spacingMs;
    const wait = at - this.now();
    this.timerPending = true;
    const fire = () => {
      this.timerPending = false;
      const w = this.queue.shift();
      if (w) {
        // A late timer does not earn burst credit; an early one (timers may fire a millisecond early) keeps the slot.
        this.last = Math.max(at, this.now());
        if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
        w.resolve();
      }
      this.schedule();
    };
    // Round up so a slot is never taken before its time.
    if (wait > 0) void this.sleep(Math.ceil(wait)).then(fire);
    else fire();
  }
}
