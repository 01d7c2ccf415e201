// POST /v1/customers/onboarding and GET /v1/customers/onboarding/:customerRef (contract §1), and the intake rule:
// a live callout for a known customer without an active subscription is refused before any AURA call.
import express, { Router } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import {
  customerLinkWorkflowId,
  initialOnboarding,
  memoOf,
  ONBOARDING_VIEW_MEMO,
  onboardingView,
  onboardingWorkflowId,
  reasonOf,
  refusesLiveCallouts,
  stateFromMemo,
  statusOf,
  type OnboardingMemo,
  type OnboardingView,
  type OnboardingViewMemo,
} from '../domain/onboarding.js';
import type { OnboardingInput, OnboardingSettings } from '../workflows/onboarding.js';
import { getOnboardingQuery, type LinkMemo } from '../workflows/onboarding-messages.js';
import { ApiError, parseOrThrow } from './errors.js';
import { isWorkflowGone } from '../temporal/errors.js';
import { temporalUnavailable } from './incidents.js';
import {
  documentRoute,
  errorResponse,
  jsonBody,
  jsonResponse,
  TEMPORAL_UNAVAILABLE,
  VALIDATION_FAILED,
} from './openapi.js';
import { IncidentIdParam, nonBlank, PositiveId, withFormatPattern } from './schemas.js';
import { onboardingWorkflow } from '../workflows/onboarding.js';

export const CustomerRefParam = IncidentIdParam;

const MOBILE = /^\s*\+?[1-9][0-9]{6,14}\s*$/;

export const OnboardingBody = z
  .object({
    customerRef: CustomerRefParam,
    name: nonBlank(100),
    surname: nonBlank(100),
    // Surrounding whitespace is forgiven (trimmed), as the pattern says.
    mobile: z.string().regex(MOBILE, 'an international mobile number, digits only with an optional leading +').trim(),
    email: withFormatPattern(z.email()).max(254).optional(),
    subscriptionTypeId: PositiveId,
    validFrom: withFormatPattern(z.iso.datetime({ offset: true })).optional(),
    validTo: withFormatPattern(z.iso.datetime({ offset: true })).optional(),
    /** Adopt an existing AURA customer (its id) instead of creating one. */
    auraCustomerId: PositiveId.optional(),
  })
  .refine((b) => !b.validFrom || !b.validTo || Date.parse(b.validFrom) < Date.parse(b.validTo), {
    message: 'validTo must be after validFrom',
    path: ['validTo'],
  });

// OpenAPI: these routes, from the schemas above (the response shape is documentation only).
const OnboardingStatusSchema = z.enum([
  'pending',
  'customer_created',
  'subscription_requested',
  'active',
  'failed',
  'cancelled',
]);
const OnboardingViewSchema = z.object({
  onboardingId: z.string(),
  customerRef: z.string(),
  status: OnboardingStatusSchema,
  reason: z.string().nullable().optional(),
  auraCustomerId: z.number().int().nullable().optional(),
  subscription: z.object({ active: z.boolean() }).passthrough().nullable().optional(),
  confirmedBy: z.enum(['webhook', 'read_back']).nullable().optional(),
  timeline: z.array(z.object({}).passthrough()).optional(),
  createdAt: z.string().optional(),
  links: z.object({ self: z.string() }),
});
const ONBOARDING_EXAMPLE = {
  onboardingId: 'onboarding-crm-4711',
  customerRef: 'crm-4711',
  status: 'pending',
  links: { self: '/v1/customers/onboarding/crm-4711' },
};
documentRoute({
  method: 'post',
  path: '/v1/customers/onboarding',
  operationId: 'startOnboarding',
  summary: 'Create the AURA customer and activate a subscription',
  description:
    'One onboarding per `customerRef`: a repeat answers 200 with the current state; a failed one may be ' +
    'started again. Unknown fields are ignored. `validTo`, when given with `validFrom`, must be after it ' +
    '(400 `VALIDATION_FAILED` naming `validTo`, a rule the schema cannot state).',
  tags: ['Customers'],
  request: {
    body: jsonBody(OnboardingBody, {
      customerRef: 'crm-4711',
      name: 'Thandi',
      surname: 'Nkosi',
      mobile: '+27821234567',
      email: 'thandi@example.com',
      subscriptionTypeId: 12,
    }),
  },
  responses: {
    202: jsonResponse('Onboarding started', OnboardingViewSchema, ONBOARDING_EXAMPLE),
    200: jsonResponse('Already onboarding or done (current state)', OnboardingViewSchema, {
      ...ONBOARDING_EXAMPLE,
      status: 'active',
      auraCustomerId: 184750,
    }),
    400: VALIDATION_FAILED,
    503: TEMPORAL_UNAVAILABLE,
  },
});
documentRoute({
  method: 'get',
  path: '/v1/customers/onboarding/:customerRef',
  operationId: 'getOnboarding',
  summary: 'Onboarding state',
  tags: ['Customers'],
  request: { params: z.object({ customerRef: CustomerRefParam.meta({ example: 'crm-4711' }) }) },
  responses: {
    200: jsonResponse('The onboarding', OnboardingViewSchema, {
      ...ONBOARDING_EXAMPLE,
      status: 'active',
      auraCustomerId: 184750,
      confirmedBy: 'webhook',
    }),
    400: VALIDATION_FAILED,
    404: errorResponse('No onboarding for this customerRef', 'ONBOARDING_NOT_FOUND'),
    503: TEMPORAL_UNAVAILABLE,
  },
});

export interface OnboardingServiceOptions {
  client: Client;
  taskQueue: string;
  settings: OnboardingSettings;
  /** Subscription length when a request names no validTo. */
  defaultSubscriptionDays: number;
  /** Legacy try-before-signup grace, by arrangement only: the intake rule lets live callouts through. */
  subscriptionGrace: boolean;
}

export function createOnboardingService(opts: OnboardingServiceOptions) {
  const { client } = opts;
  const links = (v: OnboardingView) => ({
    ...v,
    links: { self: `/v1/customers/onboarding/${encodeURIComponent(v.customerRef)}` },
  });

  async function get(customerRef: string) {
    const handle = client.workflow.getHandle(onboardingWorkflowId(customerRef));
    try {
      // Read from the memo (describe), as incidents are: no worker has to replay the workflow for a read. Only a
      // run that has not written it yet (started before it existed) is queried.
      const memo = (await handle.describe()).memo?.[ONBOARDING_VIEW_MEMO] as OnboardingViewMemo | undefined;
      const snap = memo ?? (await handle.query(getOnboardingQuery));
      return links(onboardingView(snap.state, snap.createdAt, Date.now()));
    } catch (err) {
      if (isWorkflowGone(err))
        throw new ApiError(404, 'ONBOARDING_NOT_FOUND', `No onboarding for customerRef "${customerRef}".`);
      throw temporalUnavailable(err);
    }
  }

  async function start(body: z.output<typeof OnboardingBody>): Promise<{ created: boolean; body: unknown }> {
    const workflowId = onboardingWorkflowId(body.customerRef);
    let adopt = body.auraCustomerId;
    try {
      const d = await client.workflow.getHandle(workflowId).describe();
      if (d.status.name !== 'FAILED') return { created: false, body: await get(body.customerRef) };
      // A failed attempt may have created the AURA customer: the new attempt adopts it rather than creating again.
      adopt ??= (d.memo?.onboarding as OnboardingMemo | undefined)?.auraCustomerId ?? undefined;
    } catch (err) {
      if (!isWorkflowGone(err)) throw temporalUnavailable(err);
    }
    const createdAt = new Date().toISOString();
    const validFrom = body.validFrom ?? createdAt;
    const validTo =
      body.validTo ?? new Date(Date.parse(validFrom) + opts.defaultSubscriptionDays * 86_400_000).toISOString();
    const input: OnboardingInput = {
      customerRef: body.customerRef,
      createdAt,
      request: {
        name: body.name,
        surname: body.surname,
        mobile: body.mobile,
        ...(body.email ? { email: body.email } : {}),
        subscriptionTypeId: body.subscriptionTypeId,
        validFrom,
        validTo,
        ...(adopt !== undefined ? { auraCustomerId: adopt } : {}),
      },
      settings: opts.settings,
    };
    try {
      await client.workflow.start(onboardingWorkflow, {
        workflowId,
        taskQueue: opts.taskQueue,
        args: [input],
        // One onboarding per customerRef; only a failed one may be started again.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        memo: { onboarding: memoOf(initialOnboarding(body.customerRef)) },
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        return { created: false, body: await get(body.customerRef) };
      throw temporalUnavailable(err);
    }
    return {
      created: true,
      body: {
        onboardingId: workflowId,
        customerRef: body.customerRef,
        status: 'pending',
        links: { self: `/v1/customers/onboarding/${encodeURIComponent(body.customerRef)}` },
      },
    };
  }

  /**
   * The intake rule. A customer is known when a link workflow maps its AURA id to an onboarding; its memo says
   * which subscriptions cover the customer, and activity is computed now (validFrom–validTo, CancelledDate null).
   * Two describes, no worker and no AURA call. Unknown customers, and customers whose onboarding is still in
   * progress, are left to AURA (see refusesLiveCallouts).
   */
  async function assertLiveCalloutAllowed(customerId: number, test: boolean): Promise<void> {
    if (opts.subscriptionGrace || test) return;
    let memo: OnboardingMemo | undefined;
    try {
      const link = await client.workflow.getHandle(customerLinkWorkflowId(customerId)).describe();
      const target = (link.memo as Partial<LinkMemo> | undefined)?.onboardingWorkflowId;
      if (!target) return;
      memo = (await client.workflow.getHandle(target).describe()).memo?.onboarding as OnboardingMemo | undefined;
    } catch (err) {
      if (isWorkflowGone(err)) return;
      throw temporalUnavailable(err);
    }
    if (!memo) return;
    const state = stateFromMemo(memo);
    const now = Date.now();
    if (!refusesLiveCallouts(state, now)) return;
    const status = statusOf(state, now);
    const reason = reasonOf(state, now);
    throw new ApiError(
      422,
      'SUBSCRIPTION_INACTIVE',
      `Customer ${customerId} (customerRef "${memo.customerRef}") has no active AURA subscription (onboarding status: ${status}${reason ? `; ${reason}` : ''}), ` +
        'so AURA would refuse a live callout. Activate a subscription first: finish onboarding (GET ' +
        '/v1/customers/onboarding/' +
        `${encodeURIComponent(memo.customerRef)}) or, once cancelled or lapsed, create a new subscription ` +
        `with AURA; then retry.`,
      [{ path: 'customerId', message: `no active subscription (onboarding status: ${status})` }],
    );
  }

  return { start, get, assertLiveCalloutAllowed };
}

export type OnboardingService = ReturnType<typeof createOnboardingService>;

export function createOnboardingRouter(service: OnboardingService): Router {
  const router = Router();
  const json = express.json({ limit: '100kb', type: () => true });
  router.post('/customers/onboarding', json, async (req, res) => {
    const body = parseOrThrow(OnboardingBody, req.body ?? {});
    const r = await service.start(body);
    res
      .status(r.created ? 202 : 200)
      .location(`/v1/customers/onboarding/${encodeURIComponent(body.customerRef)}`)
      .json(r.body);
  });
  router.get('/customers/onboarding/:customerRef', async (req, res) => {
    const ref = parseOrThrow(CustomerRefParam, req.params.customerRef, 'customerRef');
    res.json(await service.get(ref));
  });
  return router;
}
