import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer } from '../../src/aura/pacer.js';

// A fake clock: sleeping advances time, so the schedule the pacer hands out can be read exactly.
function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, sleep: async (ms: number) => void (t += ms), advance: (ms: number) => void (t += ms) };
}

test('a burst of callers is spaced out: no one-second window holds more than the rate', async () => {
  const clock = fakeClock();
  const base = clock.now();
  // 100 callers arrive at the same instant (the clock does not move); each starts after the wait it is given.
  let wait = 0;
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
