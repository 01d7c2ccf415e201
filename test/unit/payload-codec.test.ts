import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, payloadKeysFrom } from '../../src/temporal/codec.js';

const key = () => randomBytes(32).toString('base64');
const SECRET = { medicalDetails: 'Asthma, penicillin allergy', mobile: '+27821234567' };

test('payloads round-trip, and the encrypted form holds none of the plaintext', async () => {
  const codec = new AesGcmPayloadCodec(payloadKeysFrom(key(), 'k1'));
  const plain = defaultPayloadConverter.toPayload(SECRET);
  const [enc] = await codec.encode([plain]);
  assert.equal(new TextDecoder().decode(enc!.metadata!.encoding), ENCRYPTED_ENCODING);
  assert.equal(new TextDecoder().decode(enc!.metadata!['encryption-key-id']), 'k1');
  const raw = Buffer.from(enc!.data!).toString('latin1');
  assert.ok(!raw.includes('Asthma') && !raw.includes('1234567'), 'ciphertext leaks plaintext');
  const [dec] = await codec.decode([enc!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(dec!), SECRET);
});

test('two encryptions of the same value differ (random IV)', async () => {
  const codec = new AesGcmPayloadCodec(payloadKeysFrom(key(), 'k1'));
  const p = defaultPayloadConverter.toPayload(SECRET);
  const [a, b] = await codec.encode([p, p]);
  assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
});

test('key rotation: payloads of a retired key still decode while it is listed; new ones use the current key', async () => {
  const oldKey = key();
  const before = new AesGcmPayloadCodec(payloadKeysFrom(oldKey, '2025-01'));
  const [old] = await before.encode([defaultPayloadConverter.toPayload(SECRET)]);
  const after = new AesGcmPayloadCodec(payloadKeysFrom(key(), '2026-11', `2025-01:${oldKey}`));
  assert.deepEqual(defaultPayloadConverter.fromPayload((await after.decode([old!]))[0]!), SECRET);
  const [fresh] = await after.encode([defaultPayloadConverter.toPayload(SECRET)]);
  assert.equal(new TextDecoder().decode(fresh!.metadata!['encryption-key-id']), '2026-11');
  // Once the old key is dropped, its payloads are refused with a clear error rather than garbage.
  const dropped = new AesGcmPayloadCodec(payloadKeysFrom(key(), '2026-11'));
  await assert.rejects(dropped.decode([old!]), /unknown key id "2025-01"/);
});

test('tampered or wrongly keyed payloads fail authentication', async () => {
  const codec = new AesGcmPayloadCodec(payloadKeysFrom(key(), 'k1'));
  const [enc] = await codec.encode([defaultPayloadConverter.toPayload(SECRET)]);
  const data = Buffer.from(enc!.data!);
  data[20] = data[20]! ^ 0xff;
  await assert.rejects(codec.decode([{ ...enc!, data }]), /failed authentication/);
  const other = new AesGcmPayloadCodec(payloadKeysFrom(key(), 'k1'));
  await assert.rejects(other.decode([enc!]), /failed authentication/);
});

test('payloads that were never encrypted pass through decode unchanged', async () => {
  const codec = new AesGcmPayloadCodec(payloadKeysFrom(key(), 'k1'));
  const plain = defaultPayloadConverter.toPayload({ a: 1 });
  assert.deepEqual((await codec.decode([plain]))[0], plain);
});

test('keys of the wrong size and malformed rotation lists are refused', () => {
  assert.throws(() => payloadKeysFrom(Buffer.alloc(16).toString('base64'), 'k1'), /32 bytes/);
  assert.throws(() => payloadKeysFrom(key(), 'k1', 'no-colon'), /keyId:base64key/);
});
