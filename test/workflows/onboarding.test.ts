// The onboarding workflow alone, on a real dev server with a real Worker and mocked activities: confirmation by
// reading back when no webhook comes, and a refused create ending the onboarding as failed with AURA's reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ONBOARDING_VIEW_MEMO, statusOf, type OnboardingState } from '../../src/domain/onboarding.js';
import { onboardingWorkflow } from '../../src/workflows/onboarding.js';
import { startTemporal } from '../helpers/stack.js';
import { runWorkers, until } from './harness.js';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startTemporal();
});
after(async () => {
  await env?.teardown();
});

const day = 24 * 3600_000;
const request = {
  name: 'Thandi',
  surname: 'Mokoena',
  mobile: '+27830000001',
  subscriptionTypeId: 12,
  validFrom: new Date(Date.now() - day).toISOString(),
  validTo: new Date(Date.now() + 30 * day).toISOString(),
};
const settings = { confirmWaitMs: 200, customerLookupWaitMs: 200, readBackAttempts: 2 };
const memoState = async (workflowId: string) =>
  (
    (await env.client.workflow.getHandle(workflowId).describe()).memo?.[ONBOARDING_VIEW_MEMO] as
      { state: OnboardingState } | undefined
  )?.state;

describe('onboardingWorkflow with mocked activities', () => {
  it('with no subscription webhook, confirms the subscription by reading it back, and the memo says active', async () => {
    let readBacks = 0;
    await runWorkers(
      env,
      {
        async createAuraCustomer() {
          return { status: 'created', customerId: 501, externalReferenceId: 'ref-1', subscriptionId: 9 };
        },
        async linkAuraIds() {},
        async readBackSubscriptions() {
          readBacks++;
          return [
            {
              id: 9,
              customerId: 501,
              subscriptionTypeId: 12,
              validFrom: request.validFrom,
              validTo: request.validTo,
              cancelledDate: null,
              cancelledReason: null,
              dependantCustomerIds: [],
            },
          ];
        },
      },
      async (taskQueue) => {
        const handle = await env.client.workflow.start(onboardingWorkflow, {
          workflowId: 'onboarding-wf-1',
          taskQueue,
          args: [{ customerRef: 'ref-1', createdAt: new Date().toISOString(), request, settings }],
        });
        await until(async () => {
          const s = await memoState(handle.workflowId);
          return s !== undefined && statusOf(s, Date.now()) === 'active';
        });
        const s = (await memoState(handle.workflowId))!;
        assert.equal(s.auraCustomerId, 501);
        assert.equal(s.confirmedBy, 'read_back');
        await handle.terminate('test over');
      },
    );
    assert.equal(readBacks, 1, 'read back once, after the webhook wait');
  });

  it("a create AURA refuses ends the onboarding as failed, with AURA's reason in the memo", async () => {
    await runWorkers(
      env,
      {
        async createAuraCustomer() {
          throw ApplicationFailure.nonRetryable('bad mobile', 'AuraValidationError', {
            code: 'AURA_VALIDATION',
            status: 422,
            auraMessage: 'mobile is invalid',
          });
        },
      },
      async (taskQueue) => {
        const handle = await env.client.workflow.start(onboardingWorkflow, {
          workflowId: 'onboarding-wf-2',
          taskQueue,
          args: [{ customerRef: 'ref-2', createdAt: new Date().toISOString(), request, settings }],
        });
        await assert.rejects(handle.result());
        const s = (await memoState(handle.workflowId))!;
        assert.equal(s.phase, 'failed');
        assert.match(s.failure ?? '', /^CUSTOMER_CREATE_FAILED: AURA_VALIDATION \(422\): mobile is invalid/);
      },
    );
  });
});
