// Routing AURA's customer and subscription webhooks to the customer's onboarding workflow. No signalWithStart: an
// event for a customer this service does not know must not start anything. It is acknowledged (AURA never sees an
// error for it), logged and counted instead. The target is found by deterministic ids: our customerRef when AURA
// echoes it (`externalReferenceId`), else the link workflows `customer-aura-<id>` / `subscription-aura-<id>`, read
// with describe (consistent, unlike a visibility query, and no worker involved).
import type { Client } from '@temporalio/client';
import { customerEventFromWebhook } from '../aura/customer-events.js';
import {
  customerLinkWorkflowId,
  onboardingWorkflowId,
  subscriptionLinkWorkflowId,
  type CustomerEvent,
} from '../domain/onboarding.js';
import type { Logger } from '../logger.js';
import { customerEventSignal, type LinkMemo } from '../workflows/onboarding-messages.js';
import { validationError } from './errors.js';
import { isWorkflowGone } from '../temporal/errors.js';
import { temporalUnavailable } from './incidents.js';

export interface CustomerEventRoutingOptions {
  client: Client;
  log: Logger;
  /**
   * A fresh event (entity changed within the last two minutes) may race the create call's answer, which is what
   * starts the links: retry the lookup for up to this long before calling the customer unknown.
   */
  routeWaitMs?: number;
  onOutcome?: (event: string, outcome: string) => void;
}

const FRESH_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createCustomerEventRouter(opts: CustomerEventRoutingOptions) {
  const { client, log } = opts;
  const routeWaitMs = opts.routeWaitMs ?? 1_500;

  async function linkTarget(linkId: string): Promise<string | null> {
    try {
      const d = await client.workflow.getHandle(linkId).describe();
      if (d.status.name !== 'RUNNING') return null;
      const memo = d.memo as Partial<LinkMemo> | undefined;
      return typeof memo?.onboardingWorkflowId === 'string' ? memo.onboardingWorkflowId : null;
    } catch (err) {
      if (isWorkflowGone(err)) return null;
      throw temporalUnavailable(err);
    }
  }

  async function signal(workflowId: string, ev: CustomerEvent): Promise<boolean> {
    try {
      await client.workflow.getHandle(workflowId).signal(customerEventSignal, ev);
      return true;
    } catch (err) {
      if (isWorkflowGone(err)) return false;
      throw temporalUnavailable(err);
    }
  }

  /** Route one delivery; answers the body to send AURA (always 2xx unless invalid or Temporal is down). */
  async function route(
    payload: unknown,
    event: string,
  ): Promise<{ status: 'accepted' | 'acknowledged'; routedTo?: number; reason?: string }> {
    const receivedAt = new Date().toISOString();
    const parsed = customerEventFromWebhook(payload, event, receivedAt);
    if (!parsed.ok) {
      opts.onOutcome?.(event, 'invalid');
      throw validationError(parsed.error);
    }
    const { event: ev, routing } = parsed;
    const delivered = new Set<string>();

    if (routing.customerRef) {
      const id = onboardingWorkflowId(routing.customerRef);
      if (await signal(id, ev)) delivered.add(id);
    }
    // Each distinct id once: the schema caps how many a delivery names, so the lookups per delivery are bounded.
    const linkIds = [
      ...new Set([
        ...routing.customerIds.map(customerLinkWorkflowId),
        ...routing.subscriptionIds.map(subscriptionLinkWorkflowId),
      ]),
    ];
    const fresh = routing.entityAt !== null && Math.abs(Date.now() - Date.parse(routing.entityAt)) < FRESH_MS;
    const deadline = Date.now() + (fresh ? routeWaitMs : 0);
    for (;;) {
      const targets = new Set<string>();
      for (const linkId of linkIds) {
        const t = await linkTarget(linkId);
        if (t && !delivered.has(t)) targets.add(t);
      }
      for (const t of targets) if (await signal(t, ev)) delivered.add(t);
      if (delivered.size > 0 || Date.now() >= deadline) break;
      await sleep(150);
    }

    if (delivered.size === 0) {
      opts.onOutcome?.(event, 'unknown_customer');
      log.warn(
        { event, customerIds: routing.customerIds, subscriptionIds: routing.subscriptionIds },
        'customer/subscription webhook for a customer without onboarding acknowledged',
      );
      return { status: 'acknowledged', reason: 'unknown customer: no onboarding for it' };
    }
    opts.onOutcome?.(event, 'accepted');
    log.info({ event, routedTo: delivered.size }, 'customer/subscription webhook accepted');
    return { status: 'accepted', routedTo: delivered.size };
  }

  return { route };
}
