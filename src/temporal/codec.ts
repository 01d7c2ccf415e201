// AES-256-GCM payload codec: every payload the client and worker send to Temporal (workflow inputs, signals,
// activity results, queries…) is encrypted, so the server's history holds no customer data in the clear. The key id
// travels in the payload metadata, so keys can be rotated: new payloads use the current key, old ones stay readable
// while their key is still configured among the previous keys.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ApplicationFailure, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
// @temporalio/proto is CommonJS: its namespaces come through the default export under ESM.
import proto from '@temporalio/proto';

const { temporal } = proto;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (s: string) => new TextEncoder().encode(s);
const fromUtf8 = (b: Uint8Array | null | undefined) => (b ? new TextDecoder().decode(b) : undefined);

export interface PayloadKeys {
  /** Id of the key new payloads are encrypted with. */
  currentKeyId: string;
  /** Every key that may still be needed to decrypt, by id (the current one included): 32 bytes each. */
  keys: Map<string, Buffer>;
}

/** Parse `TEMPORAL_PAYLOAD_KEY` (base64, 32 bytes), its id, and `TEMPORAL_PAYLOAD_PREVIOUS_KEYS` ("id:base64,…"). */
export function payloadKeysFrom(key: string, keyId: string, previous?: string): PayloadKeys {
  const keys = new Map<string, Buffer>();
  const add = (id: string, b64: string, name: string) => {
    const k = Buffer.from(b64.trim(), 'base64');
    if (k.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded (got ${k.length} bytes)`);
    keys.set(id, k);
  };
  add(keyId, key, 'TEMPORAL_PAYLOAD_KEY');
  for (const entry of (previous ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = entry.indexOf(':');
    if (i <= 0) throw new Error('TEMPORAL_PAYLOAD_PREVIOUS_KEYS entries must look like "keyId:base64key"');
    add(entry.slice(0, i), entry.slice(i + 1), `TEMPORAL_PAYLOAD_PREVIOUS_KEYS (${entry.slice(0, i)})`);
  }
  return { currentKeyId: keyId, keys };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly cfg: PayloadKeys) {
    if (!cfg.keys.has(cfg.currentKeyId)) throw new Error(`no key for current key id ${cfg.currentKeyId}`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.cfg.keys.get(this.cfg.currentKeyId)!;
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(this.cfg.currentKeyId) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (fromUtf8(p.metadata?.encoding) !== ENCRYPTED_ENCODING) return p;
      const keyId = fromUtf8(p.metadata?.[KEY_ID_METADATA]);
      const key = keyId ? this.cfg.keys.get(keyId) : undefined;
      // Non-retryable: retrying cannot conjure a missing key; the operator must configure it.
      if (!key)
        throw ApplicationFailure.nonRetryable(
          `payload encrypted with unknown key id "${keyId ?? ''}"`,
          'PAYLOAD_KEY_UNKNOWN',
        );
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES)
        throw ApplicationFailure.nonRetryable('encrypted payload is truncated', 'PAYLOAD_CORRUPT');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw ApplicationFailure.nonRetryable(
          'encrypted payload failed authentication (wrong key or tampered data)',
          'PAYLOAD_CORRUPT',
        );
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** The data converter for client and worker: encrypted when a key is configured, Temporal's default otherwise. */
export function dataConverterFor(keys: PayloadKeys | null | undefined): DataConverter | undefined {
  return keys ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : undefined;
}
