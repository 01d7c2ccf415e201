// Messages of the onboarding and link workflows, as exported constants.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CustomerEvent, OnboardingState } from '../domain/onboarding.js';

export interface OnboardingSnapshot {
  state: OnboardingState;
  createdAt: string;
}

/** A customer or subscription event (webhook), for the customer's onboarding workflow. */
export const customerEventSignal = defineSignal<[CustomerEvent]>('customerEvent');
export const getOnboardingQuery = defineQuery<OnboardingSnapshot>('getOnboarding');
/** Ends a link workflow (its AURA id no longer belongs to the onboarding it names). */
export const unlinkSignal = defineSignal('unlink');

/** Memo of a link workflow: where events for its AURA id go. */
export interface LinkMemo {
  onboardingWorkflowId: string;
  customerRef: string;
}
