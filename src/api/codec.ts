// Remote codec endpoint (Temporal's codec-server protocol): the Temporal UI and CLI post encrypted payloads to
// /codec/decode and show the plaintext to operators who present the codec token. Payloads travel as protobuf JSON:
// {payloads: [{metadata: {key: base64}, data: base64}]}.
import express, { type Router } from 'express';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, type PayloadKeys } from '../temporal/codec.js';
import { ApiError } from './errors.js';
import { safeEqual } from '../lib/safe-equal.js';

export interface CodecRouterOptions {
  keys: PayloadKeys;
  /** Bearer token required of callers; when absent the endpoint is open (development only). */
  authToken?: string | undefined;
  /** Origins allowed by CORS (the Temporal UI's). */
  allowedOrigins: string[];
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
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
    if (req.method === 'OPTIONS') return void res.status(204).end();
    if (opts.authToken) {
      const presented = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!safeEqual(presented, opts.authToken)) return next(new ApiError(401, 'UNAUTHENTICATED', 'The codec endpoint needs the codec bearer token.'));
    }
    next();
  });
  router.use(express.json({ limit: '4mb', type: () => true }));

  const handle = (op: 'encode' | 'decode') =>
    router.post(`/${op}`, async (req, res, next) => {
      const body = req.body as { payloads?: unknown } | undefined;
      if (!body || !Array.isArray(body.payloads) || body.payloads.some((p) => typeof p !== 'object' || p === null)) {
        return next(new ApiError(400, 'VALIDATION_FAILED', 'The body must be {"payloads": [{"metadata": {...}, "data": "base64"}]}.', [{ path: 'payloads', message: 'an array of payload objects is required' }]));
      }
      try {
        const out = await codec[op]((body.payloads as JsonPayload[]).map(fromJson));
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
