// The lifecycle's and the incident's state classes: what continues as new is exactly what the workflow holds, and
// the message rules (notes never dropped, hand-over without a gap, views ordered by epoch) hold without a server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFingerprint } from '../../src/domain/callout.js';
import { isNewerView } from '../../src/domain/incident.js';
import type { WorkflowConfig } from '../../src/workflows/config.js';
import { IncidentState } from '../../src/workflows/incident-state.js';
import { LifecycleState } from '../../src/workflows/lifecycle-state.js';

const config: WorkflowConfig = {
  auraTaskQueue: 'q-aura-api',
  pollIntervalMs: 1000,
  pollIntervalSlowMs: 6000,
  eventsEveryPolls: 3,
  continueAsNewEvents: 5000,
  ratingWindowMs: 1000,
  rateCancelled: false,
  rateTest: false,
  platformEvents: true,
};
const at = '2026-12-01T10:00:00.000Z';
const note = (key: string, text = key) => ({ key, text, at });

/** Fields that are deliberately not carried: in-flight flags (continue-as-new waits for handlers) and the wake flag. */
const LIFECYCLE_TRANSIENT = ['wake', 'cancelling', 'rating', 'auraCalloutId'];
const INCIDENT_TRANSIENT = ['flushedVersion', 'incidentId', 'createdAt', 'earlyLocation', 'earlyNotes', 'handedOver'];

describe('LifecycleState', () => {
  it('carries every field it holds (a field added without its carry fails here)', () => {
    const s = new LifecycleState(7, config, 1_000);
    const carried = Object.keys(s.carry());
    for (const k of Object.keys(s)) {
      if (LIFECYCLE_TRANSIENT.includes(k)) continue;
      assert.ok(carried.includes(k), `field ${k} is not carried across continue-as-new`);
    }
  });

  it('continues as new into an equal state, queued notes, attachments and positions included', () => {
    const s = new LifecycleState(7, config, 1_000);
    s.attach({
      incidentId: 'i1',
      workflowId: 'incident-i1',
      observation: { key: 'k', source: 'api', status: 'created' },
      notes: [note('n1')],
    });
    s.observe({ key: 'k2', source: 'webhook', event: 'RESPONDER_MANUALLY_DISPATCHED', status: 'Responder Dispatched' });
    s.location({ latitude: 1, longitude: 2 });
    s.queueNote(note('n2'));
    s.cancelled = true;
    const again = new LifecycleState(7, config, 99_000, JSON.parse(JSON.stringify(s.carry())));
    assert.deepEqual(again.carry(), s.carry());
    assert.equal(again.snapshot.epoch, 1_000, "the epoch is the run chain's, not the new run's");
    assert.deepEqual(again.newlyAttached, ['incident-i1']);
    assert.equal(again.nextNote()?.note.key, 'n1');
  });

  it('takes a v1 carry: its bare outbox notes become pending notes on the snapshot', () => {
    const v1 = new LifecycleState(7, config, 1_000).carry();
    const s = new LifecycleState(7, config, 2_000, { ...v1, outbox: [note('old')] });
    assert.deepEqual(
      s.snapshot.notes.map((n) => [n.text, n.delivery]),
      [['old', 'pending']],
    );
    assert.equal(s.nextNote()?.note.key, 'old');
  });

  it('shows a note at once as pending, marks it sent or failed, and never drops one queued at or after close', () => {
    const s = new LifecycleState(7, config, 1_000);
    s.queueNote(note('a'));
    s.queueNote(note('a')); // a retried signal
    s.queueNote(note('b'));
    s.queueNote(note('c'));
    assert.deepEqual(
      s.snapshot.notes.map((n) => n.delivery),
      ['pending', 'pending', 'pending'],
    );
    const a = s.nextNote()!;
    s.noteSent(a, 55);
    assert.ok(s.auraEventIds.has(55));
    const b = s.nextNote()!;
    s.observe({ key: 'c1', source: 'poll', status: 'closed' });
    s.drain(at);
    assert.equal(s.nextNote(), undefined, 'nothing is sent after closed');
    s.failQueuedNotes('closed first', b);
    s.noteFailed(b, 'AURA refused');
    s.queueNote(note('late'));
    assert.deepEqual(
      s.snapshot.notes.map((n) => [n.text, n.delivery ?? 'sent']),
      [
        ['a', 'sent'],
        ['b', 'failed'],
        ['c', 'failed'],
        ['late', 'failed'],
      ],
    );
    assert.equal(s.hasQueuedNotes(), false);
  });

  it('a refused position is said once per error; a later accepted one clears it', () => {
    const s = new LifecycleState(7, config, 1_000);
    s.locationRefusedBy('404', at);
    s.locationRefusedBy('404', at);
    assert.equal(s.snapshot.notes.length, 1);
    s.locationAccepted();
    s.locationRefusedBy('404', at);
    assert.equal(s.snapshot.notes.length, 2);
  });

  it("a restarted lifecycle takes the incident's last view as its base, under its own epoch", () => {
    const dead = new LifecycleState(7, config, 1_000);
    dead.observe({ key: 'a', source: 'poll', status: 'Responder Dispatched' });
    dead.drain(at);
    dead.queueNote(note('maybe-sent'));
    // The new run was started by a webhook: it has seen Arrived, and a note is already queued in it.
    const fresh = new LifecycleState(7, config, 5_000);
    fresh.observe({ key: 'w', source: 'webhook', event: 'RESPONDER_ARRIVED_ON_SCENE', status: 'Responder Arrived' });
    fresh.drain(at);
    fresh.queueNote(note('new'));
    fresh.attach({ incidentId: 'i1', workflowId: 'incident-i1', resume: dead.view() });
    fresh.drain(at);
    assert.equal(fresh.snapshot.status, 'Responder Arrived');
    assert.deepEqual(
      fresh.snapshot.timeline.map((t) => t.status),
      ['Responder Dispatched', 'Responder Arrived'],
    );
    assert.equal(fresh.snapshot.epoch, 5_000);
    assert.ok(isNewerView(dead.view(), fresh.view()));
    assert.deepEqual(
      fresh.snapshot.notes.map((n) => [n.text, n.delivery]),
      [
        ['maybe-sent', 'failed'],
        ['new', 'pending'],
      ],
      'a note the dead run had queued is not sent twice',
    );
    const q = fresh.nextNote()!;
    fresh.noteSent(q, 1);
    assert.deepEqual(
      fresh.snapshot.notes.map((n) => [n.text, n.delivery ?? 'sent']),
      [
        ['maybe-sent', 'failed'],
        ['new', 'sent'],
      ],
      'the queued note still points at its entry',
    );
  });
});

describe('IncidentState', () => {
  it('carries every field it holds', () => {
    const s = new IncidentState('i1', at, config, {}, 1_000);
    const carried = Object.keys(s.carry());
    for (const k of Object.keys(s)) {
      if (INCIDENT_TRANSIENT.includes(k)) continue;
      assert.ok(carried.includes(k), `field ${k} is not carried across continue-as-new`);
    }
  });

  it('hands the early notes over in one step: a note arriving after it is forwarded, none falls between', () => {
    const s = new IncidentState(
      'i1',
      at,
      config,
      { notes: 'intake note', location: { latitude: 1, longitude: 1 } },
      1_000,
    );
    s.note(note('early'));
    const handed = s.handOver();
    assert.deepEqual(
      handed.notes.map((n) => n.key),
      ['i1:initial-notes', 'early'],
    );
    assert.deepEqual(handed.location, { latitude: 1, longitude: 1 });
    s.note(note('during-attach'));
    s.location({ latitude: 2, longitude: 2 });
    const carried = new IncidentState('i1', at, config, {}, 2_000, JSON.parse(JSON.stringify(s.carry())));
    const fwd = carried.takeForward();
    assert.deepEqual(
      fwd?.notes.map((n) => n.key),
      ['during-attach'],
      'forwarded, also across continue-as-new',
    );
    assert.deepEqual(fwd?.location, { latitude: 2, longitude: 2 });
    assert.equal(carried.takeForward(), null);
  });

  it('keeps the newest view by epoch, then version', () => {
    const s = new IncidentState('i1', at, config, {}, 1_000);
    const v = (epoch: number | undefined, version: number) => ({
      ...new LifecycleState(7, config, 0).view(),
      epoch,
      version,
    });
    assert.ok(s.takeView(v(undefined, 5), 1));
    assert.ok(!s.takeView(v(undefined, 4), 2), 'an older version of the same run chain');
    assert.ok(s.takeView(v(9_000, 0), 3), 'a restarted lifecycle starts again at version 0');
    assert.ok(!s.takeView(v(undefined, 50), 4));
  });

  it('writes back a note that failed once, and notes no lifecycle could take', () => {
    const s = new IncidentState('i1', at, config, {}, 1_000);
    const l = new LifecycleState(7, config, 0);
    l.queueNote(note('x'));
    s.takeView(l.view(), 1);
    assert.deepEqual(
      s.platformEvents().map((e) => e.type),
      ['incident.note'],
    );
    l.noteFailed(l.nextNote()!, 'refused');
    s.takeView(l.view(), 2);
    assert.deepEqual(
      s.platformEvents().map((e) => e.id),
      ['i1:note:0:failed'],
    );
    assert.deepEqual(s.platformEvents(), []);
    s.notesUndeliverable([note('y')], 'closed');
    assert.deepEqual(
      s.platformEvents().map((e) => e.id),
      ['i1:local-note:0:failed'],
    );
    assert.deepEqual(
      s.view('incident-i1').notes.map((n) => [n.text, n.delivery]),
      [
        ['x', 'failed'],
        ['y', 'failed'],
      ],
    );
  });
});

describe('v3: what a lifecycle tells its incidents, and what a watch compares', () => {
  it("tells an incident attached with updates: 'final' only the views of a closed callout; others every change", () => {
    const s = new LifecycleState(7, config, 1_000);
    s.attach({
      incidentId: 'i1',
      workflowId: 'incident-i1',
      updates: 'final',
      observation: { key: 'k1', source: 'api', status: 'created' },
    });
    s.attach({ incidentId: 'i2', workflowId: 'incident-i2' });
    s.drain('2026-01-01T00:00:00Z');
    assert.deepEqual(s.takeTargets(true).targets, ['incident-i2']);
    s.observe({ key: 'k2', source: 'webhook', event: 'RESPONDER_MANUALLY_DISPATCHED', status: 'Responder Dispatched' });
    s.drain('2026-01-01T00:00:01Z');
    assert.deepEqual(s.takeTargets(true), { changed: true, targets: ['incident-i2'] });
    assert.deepEqual(s.takeTargets(true), { changed: false, targets: [] }, 'nothing changed: nobody is told');
    s.observe({ key: 'k3', source: 'poll', status: 'closed' });
    s.drain('2026-01-01T00:00:02Z');
    assert.deepEqual(s.takeTargets(true).targets, ['incident-i1', 'incident-i2']);
    assert.deepEqual(
      again(s).incidents.map((i) => i.updates ?? 'all'),
      ['final', 'all'],
      'the mode is carried',
    );
  });

  it('a fresh run chain takes the view of a dead run as its base, but never a closed or finished one', () => {
    const dead = new LifecycleState(7, config, 1_000);
    dead.observe({
      key: 'k',
      source: 'webhook',
      event: 'RESPONDER_MANUALLY_DISPATCHED',
      status: 'Responder Dispatched',
    });
    dead.drain('2026-01-01T00:00:00Z');
    const fresh = new LifecycleState(7, config, 5_000);
    fresh.resumeFromDead(dead.view());
    assert.deepEqual(
      fresh.snapshot.timeline.map((t) => t.status),
      ['Responder Dispatched'],
    );
    assert.equal(fresh.snapshot.epoch, 5_000);
    const closed = new LifecycleState(7, config, 6_000);
    closed.resumeFromDead({ ...dead.view(), status: 'closed' });
    assert.deepEqual(closed.snapshot.timeline, []);
  });

  it('two reads with the same status, responder, ETA and link have one fingerprint; any difference changes it', () => {
    const base = { status: 'Responder Dispatched', responder: null, eta: '5 min', trackingUrl: 'https://t/1' };
    assert.equal(readFingerprint(base), readFingerprint({ ...base }));
    assert.notEqual(readFingerprint(base), readFingerprint({ ...base, eta: '4 min' }));
    assert.notEqual(readFingerprint(base), readFingerprint({ ...base, status: 'Responder Arrived' }));
  });
});

function again(s: LifecycleState): LifecycleState {
  return new LifecycleState(7, config, 9_000, JSON.parse(JSON.stringify(s.carry())));
}
