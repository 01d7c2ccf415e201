// The incident workflow alone, on a real dev server with a real Worker and mocked activities: the create exactly
// once, the attach asking for final views only, completion on the lifecycle's final view, a refused create.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { initialSnapshot } from '../../src/domain/callout.js';
import { INCIDENT_MEMO, INCIDENT_SOURCE_MEMO } from '../../src/domain/incident.js';
import { incidentWorkflow } from '../../src/workflows/incident.js';
import {
  calloutUpdatedSignal,
  outboundNoteSignal,
  type AttachIncident,
  type CalloutView,
} from '../../src/workflows/messages.js';
import { startTemporal } from '../helpers/stack.js';
import { gate, runWorkers, until } from './harness.js';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const request = {
  customerId: 42,
  responseTypeId: 1,
  location: { latitude: -26.1, longitude: 28.05 },
  notes: 'gate code 4411',
};

describe('incidentWorkflow with mocked activities', () => {
  it("creates the callout once, attaches asking for final views only, and completes on the lifecycle's final view", async () => {
    const attaches: AttachIncident[] = [];
    let creates = 0;
    const view = await runWorkers(
      env,
      {
        async createCallout() {
          creates++;
          return { auraCalloutId: 9001, existing: false, observation: { key: 'c', source: 'api', status: 'created' } };
        },
        async attachToLifecycle(input: AttachIncident) {
          attaches.push(input);
          return { attached: true };
        },
        async lifecycleFollows() {
          return 'attached';
        },
      },
      async (taskQueue) => {
        const handle = await env.client.workflow.start(incidentWorkflow, {
          workflowId: 'incident-wf-1',
          taskQueue,
          args: [{ incidentId: 'wf-1', request, createdAt: new Date().toISOString() }],
        });
        await until(() => attaches.length === 1);
        // Reads of a v3 incident take the callout from the lifecycle's memo: the incident says which view it holds
        // (written when the attach's workflow task completes, just after the attach itself).
        let memo: Record<string, unknown> = {};
        await until(async () => {
          memo = (await handle.describe()).memo ?? {};
          return (memo[INCIDENT_MEMO] as { auraCalloutId: number | null }).auraCalloutId === 9001;
        });
        assert.deepEqual(memo[INCIDENT_SOURCE_MEMO], { epoch: 0, version: -1, localNotes: [] });
        const final: CalloutView = {
          ...initialSnapshot(9001),
          status: 'closed',
          phase: 'closed',
          version: 5,
          epoch: 1,
          done: true,
          incidents: ['wf-1'],
        };
        await handle.signal(calloutUpdatedSignal, final);
        return handle.result();
      },
    );
    assert.equal(creates, 1);
    assert.equal(attaches[0]!.updates, 'final');
    assert.deepEqual(
      attaches[0]!.notes?.map((n) => n.text),
      ['gate code 4411'],
      'the intake note travels with the attach',
    );
    assert.equal(view.status, 'closed');
    assert.equal(view.terminal, true);
  });

  it("a create AURA refuses fails the incident with AURA's reason, and a note taken meanwhile stays on it, failed", async () => {
    const release = gate();
    const view = await runWorkers(
      env,
      {
        async createCallout() {
          await release.wait;
          throw ApplicationFailure.nonRetryable('forbidden', 'AuraPermissionError', {
            code: 'AURA_FORBIDDEN',
            auraMessage: 'No active subscription',
          });
        },
      },
      async (taskQueue) => {
        const handle = await env.client.workflow.start(incidentWorkflow, {
          workflowId: 'incident-wf-2',
          taskQueue,
          args: [{ incidentId: 'wf-2', request, createdAt: new Date().toISOString() }],
        });
        await handle.signal(outboundNoteSignal, { key: 'late', text: 'second note', at: new Date().toISOString() });
        release.open();
        return handle.result();
      },
    );
    assert.deepEqual(view.failure, { code: 'AURA_FORBIDDEN', message: 'No active subscription' });
    assert.equal(view.phase, 'failed');
    assert.deepEqual(
      view.notes.map((n) => [n.text, n.delivery]),
      [
        ['gate code 4411', 'failed'],
        ['second note', 'failed'],
      ],
    );
  });
});
