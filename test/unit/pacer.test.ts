import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer, PacerSaturatedError } from '../../src/aura/pacer.js';

// A fake clock: sleeping advances time, so the schedule the pacer hands out can be read exactly.
function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => void (t += ms) };
}

test('a burst of callers is spaced out: no one-second window holds more than the rate', async () => {
  const clock = fakeClock();
  const base = clock.now();
  // 100 callers arrive at the same instant (the clock does not move); each starts after the wait it is given.
  let wait: number;
  const p = new Pacer(20, clock.now, async (ms) => void (wait = ms));
  const starts: number[] = [];
  for (let i = 0; i < 100; i++) {
    wait = 0;
    await p.take();
    starts.push(base + wait);
  }
  for (const s of starts) {
    const inWindow = starts.filter((x) => x >= s && x < s + 1000).length;
    assert.ok(inWindow <= 20, `window starting at ${s - base} ms holds ${inWindow}`);
  }
  // Served in order, 50 ms apart: the last of 100 starts 4.95 s after the first.
  assert.equal(starts.at(-1)! - starts[0]!, 4950);
});

test('callers after a quiet spell go at once; the pacer keeps no burst credit', async () => {
  const clock = fakeClock();
  const waits: number[] = [];
  const p = new Pacer(10, clock.now, async (ms) => void waits.push(ms));
  await p.take();
  clock.advance(5_000);
  await p.take(); // long after the last: no wait
  await p.take(); // immediately after: one slot (100 ms) later
  assert.deepEqual(waits, [100]);
});

test('a rate that is not positive is refused', () => {
  assert.throws(() => new Pacer(0), /positive/);
});

// A clock the test moves by hand: sleeps resolve only when the test advances past their end.
function manualClock() {
  let t = 2_000_000;
  const timers: { at: number; resolve: () => void }[] = [];
  const flush = () => new Promise((r) => setImmediate(r));
  return {
    now: () => t,
    sleep: (ms: number) => new Promise<void>((resolve) => void timers.push({ at: t + ms, resolve })),
    async advance(ms: number) {
      t += ms;
      for (const x of timers.filter((x) => x.at <= t)) {
        timers.splice(timers.indexOf(x), 1);
        x.resolve();
      }
      await flush();
    },
    flush,
  };
}

/** Which of the given takes have settled, and how. */
function track(p: Promise<void>) {
  const s: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  p.then(
    () => void (s.state = 'resolved'),
    (error) => Object.assign(s, { state: 'rejected', error }),
  );
  return s;
}

test('a caller that would wait longer than the bound fails fast with PacerSaturatedError and takes no slot', async () => {
  const clock = manualClock();
  const p = new Pacer(10, clock.now, clock.sleep, { maxWaitMs: 1_000 });
  await p.take(); // the first goes at once
  // 100 ms apart: the 10th waiter waits exactly the bound (1 s), the 11th would wait 1.1 s.
  const waiting = Array.from({ length: 10 }, () => track(p.take()));
  await clock.flush();
  await assert.rejects(
    p.take(),
    (e: unknown) => e instanceof PacerSaturatedError && e.waitMs === 1_100 && e.maxWaitMs === 1_000,
  );
  await assert.rejects(p.take(), PacerSaturatedError, 'a refused caller took no slot, so the next is refused alike');
  assert.ok(waiting.every((w) => w.state === 'pending'));
  await clock.advance(100);
  assert.deepEqual(waiting.map((w) => w.state).slice(0, 2), ['resolved', 'pending']);
  // One slot freed: a new caller fits within the bound again.
  const late = track(p.take());
  for (let i = 0; i < 10; i++) await clock.advance(100);
  assert.ok(waiting.every((w) => w.state === 'resolved'));
  assert.equal(late.state, 'resolved');
});

test('a caller whose signal aborts while it waits is rejected and gives its turn to the next', async () => {
  const clock = manualClock();
  const p = new Pacer(10, clock.now, clock.sleep);
  await p.take();
  const ac = new AbortController();
  const first = track(p.take(ac.signal));
  const second = track(p.take());
  await clock.flush();
  ac.abort(new Error('activity cancelled'));
  await clock.flush();
  assert.equal(first.state, 'rejected');
  assert.match((first.error as Error).message, /activity cancelled/);
  // The second moves up into the cancelled caller's slot: it goes 100 ms after the first start, not 200.
  await clock.advance(100);
  assert.equal(second.state, 'resolved');
});

test('an already aborted signal is refused at once and takes no slot', async () => {
  const clock = manualClock();
  const p = new Pacer(10, clock.now, clock.sleep);
  await p.take();
  await assert.rejects(p.take(AbortSignal.abort(new Error('gone'))), /gone/);
  const next = track(p.take());
  await clock.advance(100);
  assert.equal(next.state, 'resolved', 'the next caller waits one slot, not two');
});

test('an urgent caller (a create, a cancellation, a note) goes ahead of every queued poll, after earlier urgent ones', async () => {
  const clock = manualClock();
  const p = new Pacer(10, clock.now, clock.sleep, { maxWaitMs: 1_000 });
  await p.take();
  // Polls fill the queue up to the bound (10 × 100 ms).
  const polls = Array.from({ length: 10 }, () => track(p.take()));
  await clock.flush();
  await assert.rejects(p.take(), PacerSaturatedError, 'a poll past the bound is refused');
  // A create arriving now waits one slot, not the polls' 1.1 s, and is not refused; a second urgent one goes after it.
  const create = track(p.take(undefined, { urgent: true }));
  const cancel = track(p.take(undefined, { urgent: true }));
  await clock.advance(100);
  assert.equal(create.state, 'resolved');
  assert.equal(cancel.state, 'pending');
  assert.ok(polls.every((w) => w.state === 'pending'));
  await clock.advance(100);
  assert.equal(cancel.state, 'resolved');
  assert.equal(polls[0]!.state, 'pending', 'the polls wait behind both');
  await clock.advance(100);
  assert.deepEqual(polls.map((w) => w.state).slice(0, 2), ['resolved', 'pending']);
  for (let i = 0; i < 9; i++) await clock.advance(100);
  assert.ok(
    polls.every((w) => w.state === 'resolved'),
    'no poll is dropped',
  );
});

test('an urgent caller whose signal aborts leaves the queue like any other', async () => {
  const clock = manualClock();
  const p = new Pacer(10, clock.now, clock.sleep);
  await p.take();
  const poll = track(p.take());
  const ac = new AbortController();
  const create = track(p.take(ac.signal, { urgent: true }));
  await clock.flush();
  ac.abort(new Error('activity cancelled'));
  await clock.flush();
  assert.equal(create.state, 'rejected');
  await clock.advance(100);
  assert.equal(poll.state, 'resolved', 'the poll moves back up to the first slot');
});
