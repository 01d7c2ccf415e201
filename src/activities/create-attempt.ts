// One attempt of a callout create (customer or Fixed Location), bounded and cancellable. AURA has no idempotency key
// for creates, so a create may be repeated only when nothing of an earlier one can still be on its way: the attempt
// ends before Temporal's start-to-close (its own deadline aborts every AURA call, including one waiting for its pacer
// turn or its token), it listens to the activity's cancellation (worker shutdown, a cancel request), and it heartbeats
// so that a cancellation reaches it and a lost worker is noticed soon. A create that went wrong in a way that may have
// made the callout, or that is about to be reported as final, is looked up before the attempt gives up.
import { Context } from '@temporalio/activity';
import type { AuraClient } from '../aura/client.js';
import { AuraConnectionError, AuraError, AuraLookupError, AuraQueueFullError } from '../aura/errors.js';
import type { CalloutCreated } from '../aura/schemas.js';
import { unlessAborted } from '../lib/abort.js';

/** The attempt's own deadline comes this long before Temporal's start-to-close, so the attempt always ends first. */
export const CREATE_ATTEMPT_MARGIN_MS = 2_000;
/**
 * AURA calls one create attempt makes at most: the lookup before a repeated create (the customer route, then the
 * documented list when that fails), the create, and the lookup before giving up (on the route that answered).
 */
export const CREATE_ATTEMPT_CALLS = 4;
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * The create activities' start-to-close: above the worst case of one attempt (a token exchange, then each call's
 * pacer bound and request timeout), from the client's own numbers, plus the margin the attempt keeps.
 */
export function createAttemptTimeoutMs(aura: AuraClient): number {
  return aura.attemptBoundMs(CREATE_ATTEMPT_CALLS) + CREATE_ATTEMPT_MARGIN_MS;
}

export interface CreateAttempt {
  readonly number: number;
  /** For every AURA call of the attempt: aborts on the activity's cancellation or at the attempt's own deadline. */
  readonly signal: AbortSignal;
  /** For the lookup before giving up: like `signal`, but on the last attempt with one call's time kept back for it. */
  readonly finalSignal: AbortSignal;
  /** No further attempt would fit before the schedule-to-close: this one is the last chance to find the callout. */
  readonly last: boolean;
}

function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null; // not inside an activity
  }
}

/** Run one create attempt; `callBoundMs` is one AURA call's worst case (kept back on the last attempt). */
export async function runCreateAttempt<T>(callBoundMs: number, fn: (attempt: CreateAttempt) => Promise<T>): Promise<T> {
  const ctx = activityContext();
  if (!ctx) {
    const never = new AbortController().signal;
    return fn({ number: 1, signal: never, finalSignal: never, last: true });
  }
  const info = ctx.info;
  const now = Date.now();
  const attemptEnd = info.startToCloseTimeoutMs > 0 ? now + info.startToCloseTimeoutMs : Infinity;
  const scheduleEnd =
    info.scheduleToCloseTimeoutMs > 0 ? info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs : Infinity;
  const end = Math.min(attemptEnd, scheduleEnd) - CREATE_ATTEMPT_MARGIN_MS;
  const last = scheduleEnd - attemptEnd < info.startToCloseTimeoutMs;
  const finalMs = Math.max(0, end - now);
  // On the last attempt the create phase ends one call early, so that the lookup before giving up still has time.
  const mainMs = last ? Math.max(finalMs / 2, finalMs - callBoundMs) : finalMs;
  const deadline = (ms: number) => (Number.isFinite(ms) ? [AbortSignal.timeout(ms)] : []);
  const signal = AbortSignal.any([ctx.cancellationSignal, ...deadline(mainMs)]);
  const finalSignal = AbortSignal.any([ctx.cancellationSignal, ...deadline(finalMs)]);
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  beat.unref();
  try {
    return await fn({ number: info.attempt, signal, finalSignal, last });
  } catch (err) {
    // A cancellation Temporal asked for is reported as one; a worker shutdown or a timeout stays a retryable failure
    // (the server then retries the create elsewhere, which looks first).
    if (ctx.cancellationSignal.aborted && ctx.cancellationDetails?.cancelRequested) throw ctx.cancellationSignal.reason;
    if (!(err instanceof AuraError) && signal.aborted) {
      throw new AuraConnectionError({
        message: `The create attempt ended before AURA answered: ${(err as Error)?.message ?? String(err)}`,
        code: 'AURA_TIMEOUT',
        cause: err,
      });
    }
    throw err;
  } finally {
    clearInterval(beat);
  }
}

/** A failed create that may still have made the callout at AURA (the answer is what was lost, or unreadable). */
function mayHaveCreated(err: unknown): boolean {
  if (!(err instanceof AuraError)) return true;
  if (err instanceof AuraQueueFullError) return false; // never sent
  // Connection errors (lost answers, timeouts in flight), 5xx and unreadable 2xx answers; not AURA's refusals.
  return err.retryable && err.status !== 429;
}

/**
 * The create failed with `err`: look the callout up before the attempt gives up, when the create may have made it
 * or when this failure would be final (AURA refused, or this is the last attempt) after earlier attempts. A match is
 * the callout, joined.
 * When the lookup cannot answer, a refusal on a repeated attempt becomes retryable: an earlier attempt's callout may
 * be live, and giving up would abandon it.
 */
export async function lookUpBeforeGivingUp<R>(
  attempt: CreateAttempt,
  err: unknown,
  lookup: (signal: AbortSignal) => Promise<CalloutCreated | null>,
  joined: (c: CalloutCreated) => R,
): Promise<R> {
  if (attempt.finalSignal.aborted) throw err;
  const final = !(err instanceof AuraError && err.retryable) || attempt.last;
  // Only a create that may have made the callout, or a final failure after an earlier attempt that may have: a first
  // attempt that AURA refused made nothing to find.
  if (!mayHaveCreated(err) && (!final || attempt.number === 1)) throw err;
  let match: CalloutCreated | null;
  try {
    match = await lookup(attempt.finalSignal);
  } catch (lookupErr) {
    if (attempt.number > 1 && err instanceof AuraError && !err.retryable) {
      throw new AuraLookupError({
        message:
          `${err.message}; an earlier attempt may have created the callout and it could not be looked ` +
          `up (${(lookupErr as Error).message}), so the create will be tried again`,
        code: 'AURA_CREATE_UNCONFIRMED',
        ...(err.status !== undefined ? { status: err.status } : {}),
        ...(err.auraMessage !== undefined ? { auraMessage: err.auraMessage } : {}),
        cause: err,
      });
    }
    throw err;
  }
  if (match) return joined(match);
  throw err;
}

/** Any failure of a lookup, as a retryable error: the callout it looks for may be live. */
export function lookupFailed(err: unknown, what: string): AuraError {
  if (err instanceof AuraError && err.retryable) return err;
  const e = err instanceof AuraError ? err : undefined;
  return new AuraLookupError({
    message: `Could not look up ${what}: ${(err as Error)?.message ?? String(err)}`,
    code: 'AURA_LOOKUP_FAILED',
    ...(e?.status !== undefined ? { status: e.status } : {}),
    ...(e?.auraMessage !== undefined ? { auraMessage: e.auraMessage } : {}),
    ...(e?.requestId !== undefined ? { requestId: e.requestId } : {}),
    cause: err,
  });
}

/**
 * One at a time per key in this process (e.g. per Fixed Location): a look-then-create cannot interleave with another.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    try {
      await unlessAborted(before, signal);
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

/**
 * A listing shared by the lookups that wait for it (AURA's active callouts, read before every alarm's create): each
 * caller gets a listing that was sent after it asked, so it sees every create that ended before it asked (what a
 * look-then-create needs), and the callers that ask while one is on its way share the next one. At most one is in
 * flight: under a burst of alarms that is one listing per round trip, not one per alarm, and AURA's whole list of
 * active callouts (thousands of callouts, hundreds of kilobytes) is read and parsed that much less often. A caller
 * that gives up (its signal) stops waiting; the listing itself, a read, goes on for the others.
 */
export class SharedListing<T> {
  /** The listing the next callers join: not yet sent. */
  private next: Promise<T> | null = null;
  /** The listing on its way. */
  private current: Promise<T> | null = null;

  constructor(private readonly send: () => Promise<T>) {}

  get(signal?: AbortSignal): Promise<T> {
    if (!this.next) {
      const before = this.current ?? Promise.resolve();
      const self: { p?: Promise<T> } = {};
      const next: Promise<T> = (async () => {
        // Always at least one turn: the callers of this tick join before it is sent.
        await before.then(
          () => undefined,
          () => undefined,
        );
        // Sent from here: whoever asks from now on waits for the listing after this one.
        if (this.next === self.p) this.next = null;
        const req = this.send();
        this.current = req;
        try {
          return await req;
        } finally {
          if (this.current === req) this.current = null;
        }
      })();
      self.p = next;
      this.next = next;
      // A listing nobody waits for any more must not surface as an unhandled rejection.
      next.catch(() => undefined);
    }
    return unlessAborted(this.next, signal);
  }
}
