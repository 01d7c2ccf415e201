// AURA's CSV import callback: AURA POSTs the import's result to a URL this service issued (signed with an HMAC of the
// workflow and run ids, since AURA sends no auth), and the waiting reconciliation gets it as a signal.
import { safeEqual } from '../../lib/safe-equal.js';
import express, { type Router } from 'express';
import { z } from 'zod';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { callbackSignature } from '../../activities/fixed-locations/shared.js';
import { csvImportResultSignal } from '../../workflows/fixed-location-messages.js';
import { ApiError } from '../errors.js';
import { temporalUnavailable } from '../incidents.js';
import { documentRoute, errorResponse, jsonResponse, TEMPORAL_UNAVAILABLE } from '../openapi.js';
import { tags, fixedLocations } from './shared.js';

documentRoute(
  {
    method: 'post',
    path: '/callbacks/aura/fixed-location-import/:workflowId/:runId/:signature',
    operationId: 'fixedLocationImportCallback',
    summary: "AURA's callback with the result of a Fixed Location CSV import",
    description:
      'The URL is issued by the reconciliation and carries an HMAC of its workflow and run: AURA sends no ' +
      "credentials. The body is AURA's to choose (any content type, any text; a JSON object's `status` and " +
      '`message` are kept).',
    tags,
    request: {
      params: z.object({
        workflowId: z.string().min(1).meta({ example: 'fixed-location-sync-aura-callouts' }),
        runId: z.string().min(1).meta({ example: '0f9c' }),
        signature: z.string().min(1).meta({ example: 'c2lnbmF0dXJl' }),
      }),
      body: { required: false, content: { '*/*': { schema: z.string(), example: '{"status":"done"}' } } },
    },
    responses: {
      200: jsonResponse(
        'Handed to the waiting reconciliation (accepted), or none is waiting (ignored)',
        z.object({ status: z.enum(['accepted', 'ignored']), reason: z.string().optional() }),
        { status: 'accepted' },
      ),
      401: errorResponse('The callback URL is not one this service issued', 'UNAUTHORIZED'),
      503: TEMPORAL_UNAVAILABLE,
    },
  },
  fixedLocations,
);

export function csvImportCallbackRoutes(router: Router, opts: { client: Client; callbackSecret: string }): void {
  const { client } = opts;
  // AURA POSTs the CSV import's result here (the URL carries an HMAC of the workflow id: AURA sends no auth).
  router.post(
    '/callbacks/aura/fixed-location-import/:workflowId/:runId/:signature',
    express.text({ type: () => true, limit: '1mb' }),
    async (req, res) => {
      const workflowId = String(req.params.workflowId);
      const runId = String(req.params.runId);
      if (!safeEqual(callbackSignature(opts.callbackSecret, workflowId, runId), String(req.params.signature))) {
        throw new ApiError(401, 'UNAUTHORIZED', 'The callback URL is not one this service issued.');
      }
      let body: Record<string, unknown> = {};
      try {
        const parsed = JSON.parse(typeof req.body === 'string' && req.body ? req.body : '{}') as unknown;
        if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
      } catch {
        /* AURA decides the shape: anything is a "done" */
      }
      const text = (v: unknown) =>
        typeof v === 'string' ? v.slice(0, 500) : v == null ? null : String(v).slice(0, 500);
      try {
        await client.workflow.getHandle(workflowId).signal(csvImportResultSignal, {
          received: true,
          runId,
          status: text(body.status),
          message: text(body.message),
        });
        res.json({ status: 'accepted' });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError)
          return void res.json({ status: 'ignored', reason: 'no reconciliation is waiting for this import' });
        throw temporalUnavailable(err);
      }
    },
  );
}
