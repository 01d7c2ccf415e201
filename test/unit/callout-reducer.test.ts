import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyObservation, initialSnapshot } from '../../src/domain/callout.js';

const at = '2026-01-01T00:00:00.000Z';

describe('callout snapshot reducer', () => {
  it('bumps the version only when something changed', () => {
    const s0 = initialSnapshot(1);
    const r1 = applyObservation(s0, { key: 'a', source: 'webhook', status: 'created' }, at);
    assert.equal(r1.changed, true);
    assert.equal(r1.snapshot.version, 1);
    const r2 = applyObservation(r1.snapshot, { key: 'a', source: 'webhook', status: 'created' }, at);
    assert.equal(r2.changed, false);
    assert.equal(r2.snapshot.version, 1);
  });

  it('keeps a known responder when a later payload carries none', () => {
    const responder = { callsign: 'Alpha-1', vehicle: 'red toyota hilux', location: { latitude: 1, longitude: 2 } };
    let s = applyObservation(
      initialSnapshot(1),
      { key: 'a', source: 'poll', status: 'Responder Dispatched', responder },
      at,
    ).snapshot;
    s = applyObservation(s, { key: 'b', source: 'webhook', status: 'Responder Arrived', responder: null }, at).snapshot;
    assert.deepEqual(s.responder, responder);
    assert.equal(s.status, 'Responder Arrived');
  });

  it('records the tracking link and ETA once known', () => {
    const s = applyObservation(
      initialSnapshot(7),
      { key: 'a', source: 'api', status: 'created', trackingUrl: 'https://t/7', eta: '10 min' },
      at,
    ).snapshot;
    assert.equal(s.trackingUrl, 'https://t/7');
    assert.equal(s.eta, '10 min');
  });
});
