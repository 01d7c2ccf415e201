// The lifecycle workflow alone: a real dev server and a real Worker (Worker.runUntil), its activities mocked with a
// scripted AURA, as samples-typescript tests its workflows. No API, simulator or receiver: each case takes seconds.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFingerprint } from '../../src/domain/callout.js';
import type { CalloutObservation } from '../../src/domain/incident.js';
import { lifecycleWorkflowId } from '../../src/domain/incident.js';
import { calloutLifecycleWorkflow } from '../../src/workflows/callout-lifecycle.js';
import {
  attachIncidentSignal,
  cancelUpdate,
  getCalloutQuery,
  locationSignal,
  outboundNoteSignal,
  ratingUpdate,
} from '../../src/workflows/messages.js';
import { startTemporal } from '../helpers/stack.js';
import { gate, runWorkers, until, type MockActivities } from './harness.js';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const obs = (status: string, n: number): CalloutObservation => ({ key: `poll-${n}-${status}`, source: 'poll', status });
const created: CalloutObservation = { key: 'create', source: 'api', status: 'created' };

/** A scripted AURA for the lifecycle's activities: the watch returns the next status of `script` on each call. */
function scriptedAura(script: string[], extra: Partial<MockActivities> = {}) {
  const watchInputs: { lastRead: string | null; firstDelayMs: number }[] = [];
  let n = 0;
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const acts: MockActivities = {
    async watchCallout(input: { lastRead: string | null; firstDelayMs: number }) {
      count('watchCallout');
      watchInputs.push({ lastRead: input.lastRead, firstDelayMs: input.firstDelayMs });
      await new Promise((r) => setTimeout(r, 30));
      const status = script[Math.min(n++, script.length - 1)]!;
      return { observation: obs(status, n), events: null, notFound: false, reads: 1 };
    },
    async sendLocation() {
      count('sendLocation');
      return obs(script[Math.max(0, n - 1)] ?? 'created', n);
    },
    async pollCallout() {
      count('pollCallout');
      return obs(script[Math.max(0, n - 1)] ?? 'created', n);
    },
    async pollCalloutWithEvents() {
      count('pollCalloutWithEvents');
      return { observation: obs(script[Math.max(0, n - 1)] ?? 'created', n), events: [] };
    },
    async listCalloutEvents() {
      return [];
    },
    async sendCalloutEvent() {
      count('sendCalloutEvent');
      return { id: calls.sendCalloutEvent! };
    },
    ...extra,
  };
  return { acts, watchInputs, calls };
}

async function startLifecycle(auraCalloutId: number, taskQueue: string) {
  return env.client.workflow.signalWithStart(calloutLifecycleWorkflow, {
    workflowId: lifecycleWorkflowId(auraCalloutId),
    taskQueue,
    args: [{ auraCalloutId }],
    signal: attachIncidentSignal,
    signalArgs: [
      {
        incidentId: `i-${auraCalloutId}`,
        workflowId: `incident-i-${auraCalloutId}`,
        updates: 'final',
        observation: created,
      },
    ],
  });
}

describe('calloutLifecycleWorkflow with mocked activities', () => {
  it('follows the callout by the watch to closed, each watch given the last read, then the rating expires and it completes', async () => {
    const aura = scriptedAura(['Responder Dispatched', 'Responder Arrived', 'closed']);
    const result = await runWorkers(env, aura.acts, async (tq) => (await startLifecycle(7001, tq)).result());
    assert.deepEqual(
      result.timeline.map((t) => t.status),
      ['created', 'Responder Dispatched', 'Responder Arrived', 'closed'],
    );
    assert.equal(result.rating.state, 'expired');
    assert.equal(result.done, true);
    assert.deepEqual(
      aura.watchInputs.map((w) => w.lastRead),
      [null, readFingerprint(obs('Responder Dispatched', 1)), readFingerprint(obs('Responder Arrived', 2))],
      'each watch compares with the read before it',
    );
    assert.ok(
      aura.watchInputs.slice(1).every((w) => w.firstDelayMs > 0),
      'a new watch waits an interval before its first read',
    );
    assert.equal(aura.calls.pollCallout ?? 0, 0, 'no plain polls while a watch follows the callout');
  });

  it('refuses a rating before closed in its validator, takes one in the window, sends it once and completes', async () => {
    const release = gate();
    let ratings = 0;
    const aura = scriptedAura(['Responder Dispatched', 'closed'], {
      async submitRating() {
        ratings++;
      },
    });
    const watch = aura.acts.watchCallout!;
    let first = true;
    aura.acts.watchCallout = async (input: unknown) => {
      if (!first) await release.wait;
      first = false;
      return watch(input);
    };
    const result = await runWorkers(env, aura.acts, async (tq, cfg) => {
      cfg.ratingWindowMs = 20_000;
      const handle = await startLifecycle(7002, tq);
      await until(async () => (await handle.query(getCalloutQuery)).status === 'Responder Dispatched');
      await assert.rejects(handle.executeUpdate(ratingUpdate, { args: [{ rating: 5 }] }), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError);
        assert.equal((err.cause as ApplicationFailure).type, 'RATING_NOT_OPEN');
        return true;
      });
      release.open();
      await until(async () => (await handle.query(getCalloutQuery)).rating.state === 'requested');
      const view = await handle.executeUpdate(ratingUpdate, { args: [{ rating: 4, comment: 'quick' }] });
      assert.equal(view.rating.state, 'submitted');
      return handle.result();
    });
    assert.deepEqual(result.rating, { state: 'submitted', value: 4, comment: 'quick' });
    assert.equal(ratings, 1);
  });

  it('a second cancellation while the first is on its way to AURA is refused; the answer is in the view', async () => {
    const release = gate();
    let cancels = 0;
    const aura = scriptedAura(['Responder Dispatched', 'Responder Dispatched'], {
      async cancelCallout() {
        cancels++;
        await release.wait;
        return { key: 'cancel', source: 'api', status: 'Responder Cancelled' } as CalloutObservation;
      },
    });
    await runWorkers(env, aura.acts, async (tq) => {
      const handle = await startLifecycle(7003, tq);
      await until(async () => (await handle.query(getCalloutQuery)).status === 'Responder Dispatched');
      const one = handle.executeUpdate(cancelUpdate, { args: [{ reasons: [] }] });
      await until(() => cancels === 1);
      await assert.rejects(handle.executeUpdate(cancelUpdate, { args: [{}] }), (err: unknown) => {
        assert.equal(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type, 'CANCEL_IN_PROGRESS');
        return true;
      });
      release.open();
      const view = await one;
      assert.equal(view.status, 'Responder Cancelled');
      await assert.rejects(handle.executeUpdate(cancelUpdate, { args: [{}] }), (err: unknown) => {
        assert.equal(((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type, 'ALREADY_CANCELLED');
        return true;
      });
      await handle.terminate('test over');
    });
    assert.equal(cancels, 1);
  });

  it('continues as new under a small event budget, carrying the timeline, the notes and the newest position', async () => {
    const release = gate();
    const aura = scriptedAura(['Responder Dispatched', 'closed']);
    const watch = aura.acts.watchCallout!;
    let watches = 0;
    aura.acts.watchCallout = async (input: unknown) => {
      if (watches++ > 0) await release.wait;
      return watch(input);
    };
    let firstRunId = '';
    const result = await runWorkers(env, aura.acts, async (tq, cfg) => {
      cfg.continueAsNewEvents = 40;
      const handle = await startLifecycle(7004, tq);
      firstRunId = handle.signaledRunId;
      await until(async () => (await handle.query(getCalloutQuery)).status === 'Responder Dispatched');
      for (let k = 0; k < 12; k++) {
        await handle.signal(locationSignal, { latitude: -26 + k / 1000, longitude: 28 });
        await handle.signal(outboundNoteSignal, { key: `n${k}`, text: `note ${k}`, at: new Date().toISOString() });
        await new Promise((r) => setTimeout(r, 60));
      }
      await until(
        async () => (await handle.query(getCalloutQuery)).notes.filter((n) => n.delivery === undefined).length === 12,
      );
      release.open();
      return handle.result();
    });
    const first = await env.client.workflow.getHandle(lifecycleWorkflowId(7004), firstRunId).fetchHistory();
    assert.ok(
      first.events?.some((e) => e.workflowExecutionContinuedAsNewEventAttributes),
      'the first run continued as new',
    );
    assert.deepEqual(
      result.timeline.map((t) => t.status),
      ['created', 'Responder Dispatched', 'closed'],
    );
    assert.deepEqual(
      result.notes.map((n) => n.text),
      Array.from({ length: 12 }, (_, k) => `note ${k}`),
    );
    assert.ok(
      result.notes.every((n) => n.delivery === undefined),
      'every note sent, none lost or failed across the runs',
    );
    assert.equal(aura.calls.sendCalloutEvent, 12, 'each note sent once');
  });
});
