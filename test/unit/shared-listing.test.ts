// SharedListing (src/activities/create-attempt.ts): the lookups of alarms at once share one listing, and a caller
// never gets one that was sent before it asked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedListing } from '../../src/activities/create-attempt.js';

/** A `send` whose listings the test answers by hand, numbered in the order they were sent. */
function manual() {
  const sent: { n: number; answer(v: number): void; fail(e: Error): void }[] = [];
  const send = () =>
    new Promise<number>((resolve, reject) => {
      sent.push({ n: sent.length + 1, answer: resolve, fail: reject });
    });
  return { sent, send };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('SharedListing', () => {
  it('callers that ask before the listing is sent share it', async () => {
    const m = manual();
    const l = new SharedListing(m.send);
    const a = l.get();
    const b = l.get();
    await tick();
    assert.equal(m.sent.length, 1);
    m.sent[0]!.answer(1);
    assert.deepEqual(await Promise.all([a, b]), [1, 1]);
  });

  it('a caller that asks while a listing is on its way gets the next one, sent after it ends, shared with the others who ask meanwhile', async () => {
    const m = manual();
    const l = new SharedListing(m.send);
    const a = l.get();
    await tick();
    const b = l.get();
    const c = l.get();
    await tick();
    assert.equal(m.sent.length, 1, 'one at a time');
    m.sent[0]!.answer(1);
    assert.equal(await a, 1);
    await tick();
    assert.equal(m.sent.length, 2);
    m.sent[1]!.answer(2);
    assert.deepEqual(await Promise.all([b, c]), [2, 2]);
  });

  it('a failed listing fails its callers only; the next caller gets a new one', async () => {
    const m = manual();
    const l = new SharedListing(m.send);
    const a = l.get();
    await tick();
    m.sent[0]!.fail(new Error('AURA is down'));
    await assert.rejects(a, /AURA is down/);
    const b = l.get();
    await tick();
    m.sent[1]!.answer(7);
    assert.equal(await b, 7);
  });

  it('a caller whose signal aborts stops waiting; the others get the listing', async () => {
    const m = manual();
    const l = new SharedListing(m.send);
    const ac = new AbortController();
    const a = l.get(ac.signal);
    const b = l.get();
    await tick();
    ac.abort(new Error('attempt over'));
    await assert.rejects(a, /attempt over/);
    m.sent[0]!.answer(3);
    assert.equal(await b, 3);
  });
});
