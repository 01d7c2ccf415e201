import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyStatus,
  initialStatusState,
  phaseOfStatus,
  type StatusState,
  type StatusObservation,
} from '../../src/domain/status.js';

const at = '2026-01-01T00:00:00.000Z';
const obs = (status: string, source: StatusObservation['source'] = 'webhook'): StatusObservation => ({
  status,
  source,
  at,
});

function run(statuses: string[]): { state: StatusState; applied: boolean[] } {
  let state = initialStatusState();
  const applied: boolean[] = [];
  for (const s of statuses) {
    const r = applyStatus(state, obs(s));
    applied.push(r.applied);
    state = r.state;
  }
  return { state, applied };
}

describe('status machine', () => {
  it('walks the documented lifecycle, one timeline entry per transition', () => {
    const { state, applied } = run([
      'created',
      'Responder Dispatched',
      'Responder Arrived',
      'Responder Completed',
      'closed',
    ]);
    assert.deepEqual(applied, [true, true, true, true, true]);
    assert.deepEqual(
      state.timeline.map((t) => t.status),
      ['created', 'Responder Dispatched', 'Responder Arrived', 'Responder Completed', 'closed'],
    );
    assert.equal(state.phase, 'closed');
  });

  const table: { name: string; input: string[]; status: string | null; phase: string; timeline: string[] }[] = [
    {
      name: 'duplicate deliveries apply once',
      input: ['created', 'Responder Dispatched', 'Responder Dispatched', 'Responder Dispatched'],
      status: 'Responder Dispatched',
      phase: 'dispatched',
      timeline: ['created', 'Responder Dispatched'],
    },
    {
      name: 'a late event never moves status backwards',
      input: ['Responder Arrived', 'Responder Dispatched', 'created'],
      status: 'Responder Arrived',
      phase: 'on_scene',
      timeline: ['Responder Arrived'],
    },
    {
      name: 'skipped states are fine (a poll may miss some)',
      input: ['created', 'Responder Completed'],
      status: 'Responder Completed',
      phase: 'completed',
      timeline: ['created', 'Responder Completed'],
    },
    {
      name: 'closed is terminal',
      input: ['closed', 'Responder Dispatched', 'created', 'Something New'],
      status: 'closed',
      phase: 'closed',
      timeline: ['closed'],
    },
    {
      name: 'an unknown status is in progress: kept exactly, phase unchanged',
      input: ['created', 'Responder Dispatched', 'Escalated To Supervisor'],
      status: 'Escalated To Supervisor',
      phase: 'dispatched',
      timeline: ['created', 'Responder Dispatched', 'Escalated To Supervisor'],
    },
    {
      name: 'an unknown status is recorded once',
      input: ['created', 'Escalated', 'Escalated'],
      status: 'Escalated',
      phase: 'requested',
      timeline: ['created', 'Escalated'],
    },
    {
      name: 'a known status after an unknown one still advances',
      input: ['created', 'Escalated', 'Responder Arrived'],
      status: 'Responder Arrived',
      phase: 'on_scene',
      timeline: ['created', 'Escalated', 'Responder Arrived'],
    },
    {
      name: 'casing matters: "Closed" is not "closed"',
      input: ['created', 'Closed'],
      status: 'Closed',
      phase: 'requested',
      timeline: ['created', 'Closed'],
    },
    {
      name: 'cancellation then close',
      input: ['created', 'Responder Dispatched', 'Responder Cancelled', 'closed'],
      status: 'closed',
      phase: 'closed',
      timeline: ['created', 'Responder Dispatched', 'Responder Cancelled', 'closed'],
    },
    {
      name: 'completed after cancelled is a late event',
      input: ['Responder Cancelled', 'Responder Completed'],
      status: 'Responder Cancelled',
      phase: 'cancelled',
      timeline: ['Responder Cancelled'],
    },
    {
      name: 'soft cancellation keeps the response going',
      input: ['created', 'Responder Dispatched', 'Customer Soft Cancellation Received', 'Responder Arrived'],
      status: 'Responder Arrived',
      phase: 'on_scene',
      timeline: ['created', 'Responder Dispatched', 'Customer Soft Cancellation Received', 'Responder Arrived'],
    },
    {
      name: 'empty statuses are ignored',
      input: ['created', ''],
      status: 'created',
      phase: 'requested',
      timeline: ['created'],
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const { state } = run(row.input);
      assert.equal(state.status, row.status);
      assert.equal(state.phase, row.phase);
      assert.deepEqual(
        state.timeline.map((t) => t.status),
        row.timeline,
      );
    });
  }

  it('does not mutate its input', () => {
    const s0 = initialStatusState();
    const r = applyStatus(s0, obs('created'));
    assert.equal(s0.timeline.length, 0);
    assert.equal(r.state.timeline.length, 1);
  });

  it('keeps the source and event of the observation', () => {
    const r = applyStatus(initialStatusState(), { status: 'Responder Dispatched', source: 'poll', at, event: 'X' });
    assert.ok(r.applied);
    assert.deepEqual(r.state.timeline[0], { at, status: 'Responder Dispatched', source: 'poll', event: 'X' });
  });

  it('maps statuses to the platform phases of the monitoring-platforms seed', () => {
    assert.equal(phaseOfStatus('created'), 'requested');
    assert.equal(phaseOfStatus('Responder Dispatched'), 'dispatched');
    assert.equal(phaseOfStatus('Responder Arrived'), 'on_scene');
    assert.equal(phaseOfStatus('Responder Completed'), 'completed');
    assert.equal(phaseOfStatus('Responder Cancelled'), 'cancelled');
    assert.equal(phaseOfStatus('closed'), 'closed');
    assert.equal(phaseOfStatus('responder dispatched'), null);
  });
});

describe('statuses and messages named like Object.prototype members (found by the fuzzer)', () => {
  it('are unknown statuses: recorded, phase kept, the machine goes on', () => {
    const mid = run(['created', 'Responder Dispatched', 'constructor', 'toString']).state;
    assert.equal(mid.phase, 'dispatched');
    assert.equal(
      run(['created', 'Responder Dispatched', 'constructor', 'created']).applied[3],
      false,
      'still ranked: a late created is stale',
    );
    const { state } = run([
      'created',
      'Responder Dispatched',
      'constructor',
      'toString',
      '__proto__',
      'Responder Arrived',
    ]);
    assert.equal(state.phase, 'on_scene');
    assert.equal(state.status, 'Responder Arrived');
    assert.equal(phaseOfStatus('constructor'), null);
  });

  it('are not resolved through the prototype when normalising event names', async () => {
    const { normaliseEventName } = await import('../../src/domain/events.js');
    assert.equal(normaliseEventName('toString'), 'toString');
    assert.equal(normaliseEventName('Successfully activated customer subscription'), 'SUBSCRIPTION_CREATED');
  });
});
