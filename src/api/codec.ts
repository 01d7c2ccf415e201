// Remote codec endpoint (Temporal's codec-server protocol): the Temporal UI and CLI post encrypted payloads to
// /codec/decode and show the plaintext to operators who present the codec token. Payloads travel as protobuf JSON:
// {payloads: [{metadata: {key: base64}, data: base64}]}.
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, type PayloadKeys } from '../temporal/codec.js';
import { ApiError, parseOrThrow } from './errors.js';
import { safeEqual } from '../lib/safe-equal.js';
import { documentRoute, errorResponse, jsonBody, jsonResponse } from './openapi.js';

export interface CodecRouterOptions {
  keys: PayloadKeys;
  /** Bearer token required of callers; when absent the endpoint is open (development only). */
  authToken?: string | undefined;
  /** Origins allowed by CORS (the Temporal UI's). */
  allowedOrigins: string[];
}

/** Temporal's payloads as protobuf JSON: metadata values and data base64. */
const PayloadsBody = z.object({
  payloads: z.array(
    z.looseObject({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() }),
  ),
});
type JsonPayload = z.output<typeof PayloadsBody>['payloads'][number];

const PAYLOADS_EXAMPLE = { payloads: [{ metadata: { encoding: 'YmluYXJ5L2VuY3J5cHRlZA==' }, data: 'AAAA' }] };
for (const op of ['encode', 'decode'] as const) {
  documentRoute(
    (ctx) => ({
      method: 'post',
      path: `/codec/${op}`,
      operationId: `codec${op === 'encode' ? 'Encode' : 'Decode'}`,
      summary: `Temporal remote codec: ${op} payloads (for the Temporal UI and CLI)`,
      description: "Served when payload encryption is configured. OPTIONS answers the Temporal UI's CORS preflight.",
      tags: ['Operations'],
      ...(ctx.codec === 'token' ? { security: [{ codecToken: [] }] } : {}),
      request: { body: jsonBody(PayloadsBody, PAYLOADS_EXAMPLE) },
      responses: {
        200: jsonResponse(`The payloads, ${op}d`, PayloadsBody, PAYLOADS_EXAMPLE),
        ...(ctx.codec === 'token' ? { 401: errorResponse('Missing or wrong codec token', 'UNAUTHENTICATED') } : {}),
        422: errorResponse(
          'A payload could not be decoded (wrong key, tampered data, an unknown key id)',
          'PAYLOAD_UNDECODABLE',
        ),
      },
    }),
    { when: (ctx) => ctx.codec !== 'off' },
  );
}

const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? new Uint8Array()).toString('base64');

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = Buffer.from(String(v), 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) metadata[k] = b64(v);
  return { metadata, data: b64(p.data) };
}

export function createCodecRouter(opts: CodecRouterOptions): Router {
  const codec = new AesGcmPayloadCodec(opts.keys);
  const router = express.Router();

  router.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin && opts.allowedOrigins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, x-namespace');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('vary', 'origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('allow', 'POST, OPTIONS');
      return void res.status(204).end();
    }
    if (opts.authToken) {
      const presented = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!safeEqual(presented, opts.authToken))
        return next(new ApiError(401, 'UNAUTHENTICATED', 'The codec endpoint needs the codec bearer token.'));
    }
    next();
  });
  const json = express.json({ limit: '4mb', type: () => true });

  const handle = (op: 'encode' | 'decode') =>
    router.post(`/${op}`, json, async (req, res, next) => {
      const body = parseOrThrow(PayloadsBody, req.body ?? {});
      try {
        const out = await codec[op](body.payloads.map(fromJson));
        res.json({ payloads: out.map(toJson) });
      } catch (err) {
        // Wrong key, tampered data or an unknown key id: the caller's input, not a server fault.
        next(new ApiError(422, 'PAYLOAD_UNDECODABLE', (err as Error).message));
      }
    });
  handle('encode');
  handle('decode');
  return router;
}
