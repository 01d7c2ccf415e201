import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { safeEqual } from '../../src/lib/safe-equal.js';
import { isWorkflowGone } from '../../src/temporal/errors.js';

describe('Temporal errors are classified by type', () => {
  it('a missing or completed workflow is gone; an error that only says so in its text is not', () => {
    assert.equal(
      isWorkflowGone(new WorkflowNotFoundError('workflow execution already completed', 'w', undefined)),
      true,
    );
    assert.equal(
      isWorkflowGone(new ServiceError('Failed to signal Workflow: workflow execution already completed')),
      false,
    );
    assert.equal(isWorkflowGone(new Error('not found')), false);
  });
});

describe('safeEqual', () => {
  it('is true only for the same secret, whatever the lengths', () => {
    assert.equal(safeEqual('s3cret-token', 's3cret-token'), true);
    assert.equal(safeEqual('s3cret-token', 's3cret-tokeN'), false);
    assert.equal(safeEqual('s3cret-token', 's3cret'), false);
    assert.equal(safeEqual('', ''), true);
  });
});
