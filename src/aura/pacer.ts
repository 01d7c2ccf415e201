// A pacer for requests to AURA: starts are spaced at least 1/rate seconds apart, with no burst, so that no one-second
// window holds more than `rate` requests from this process. The Temporal task queue's rate limit is the global cap
// across workers, but its token bucket lets a full second's worth of tasks through at once; the pacer smooths that.
export class Pacer {
  private next = 0;
  private readonly spacingMs: number;

  constructor(
    ratePerSecond: number,
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0)) throw new Error('rate must be positive');
    this.spacingMs = 1000 / ratePerSecond;
  }

  /** Resolve when this caller may start its request (callers are served in order of arrival). */
  async take(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.next);
    this.next = at + this.spacingMs;
    // Timers may fire a millisecond early; round up so a slot is never taken before its time.
    if (at > now) await this.sleep(Math.ceil(at - now));
  }
}
