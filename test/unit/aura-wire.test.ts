import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { exceedsJsonLimits, parseJsonLenient } from '../../src/aura/json.js';
import { observationFromRead, observationFromWebhook } from '../../src/aura/mapping.js';
import {
  CalloutRead,
  CalloutWebhook,
  CustomerWebhook,
  ReadCalloutResponse,
  SubscriptionWebhook,
  TokenResponse,
  WebhookEnvelope,
} from '../../src/aura/schemas.js';
import { isCalloutEvent, isCustomerOrSubscriptionEvent, normaliseEventName } from '../../src/domain/events.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'webhook-payloads');
const files = readdirSync(dir).sort();

describe('AURA webhook payloads (every documented seed)', () => {
  it('has all 12 documented payload files', () => {
    assert.equal(files.length, 12);
  });

  for (const file of files) {
    it(`${file} parses into its schema`, () => {
      const parsed = parseJsonLenient(readFileSync(join(dir, file), 'utf8'));
      assert.ok(parsed.ok, `${file} does not parse`);
      const env = WebhookEnvelope.parse(parsed.value);
      const event = normaliseEventName(env.message);
      if (isCalloutEvent(event)) {
        const w = CalloutWebhook.parse(parsed.value);
        const obs = observationFromWebhook(w, event);
        assert.equal(typeof obs.status, 'string');
        assert.ok(obs.key.length > 10);
        // Personal data never enters the observation that goes into workflow state.
        const text = JSON.stringify(obs);
        for (const pii of ['mobile', 'auth0UserId', '+27', '+31', 'gmail.com'])
          assert.ok(!text.includes(pii), `${file}: ${pii} leaked`);
      } else if (event.startsWith('SUBSCRIPTION_')) {
        SubscriptionWebhook.parse(parsed.value);
      } else {
        assert.ok(isCustomerOrSubscriptionEvent(event), `${file}: unexpected event ${event}`);
        CustomerWebhook.parse(parsed.value);
      }
    });
  }

  it('SUBSCRIPTION_CREATED arrives named by its message text', () => {
    const v = JSON.parse(readFileSync(join(dir, 'SUBSCRIPTION_CREATED.json'), 'utf8'));
    assert.equal(v.message, 'Successfully activated customer subscription');
    assert.equal(normaliseEventName(v.message), 'SUBSCRIPTION_CREATED');
  });

  it('SUBSCRIPTION_UPDATED carries subscription as an array', () => {
    const v = SubscriptionWebhook.parse(JSON.parse(readFileSync(join(dir, 'SUBSCRIPTION_UPDATED.json'), 'utf8')));
    assert.ok(Array.isArray(v.subscription));
    assert.equal(v.links?.[0]?.customerId, 184707);
  });

  it('the deprecated _WITH_ETA registration delivers RESPONDER_ACKNOWLEDGED_CALLOUT', () => {
    const v = CalloutWebhook.parse(
      JSON.parse(readFileSync(join(dir, 'RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA.json'), 'utf8')),
    );
    assert.equal(v.message, 'RESPONDER_ACKNOWLEDGED_CALLOUT');
    const obs = observationFromWebhook(v, v.message);
    assert.equal(obs.status, 'Responder Dispatched');
    assert.equal(obs.responder?.callsign, 'testy');
    assert.deepEqual(obs.responder?.location, { latitude: 52.33073418404093, longitude: 4.8890331758808685 });
  });

  it('keys repeated deliveries alike and different content apart', () => {
    const v = CalloutWebhook.parse(JSON.parse(readFileSync(join(dir, 'RESPONDER_ARRIVED_ON_SCENE.json'), 'utf8')));
    const a = observationFromWebhook(v, v.message);
    const b = observationFromWebhook(structuredClone(v), v.message);
    assert.equal(a.key, b.key);
    const moved = structuredClone(v);
    moved.callout.status = 'Responder Completed';
    assert.notEqual(observationFromWebhook(moved, v.message).key, a.key);
  });
});

describe('lenient JSON', () => {
  it("accepts AURA's documented trailing comma", () => {
    const r = parseJsonLenient('{"message": "X", "subscription": {"id": 1,}}');
    assert.ok(r.ok && r.lenient);
  });
  it('does not touch commas inside strings', () => {
    const r = parseJsonLenient('{"a": ",}", "b": [1,2,],}');
    assert.ok(r.ok);
    assert.deepEqual(r.ok && r.value, { a: ',}', b: [1, 2] });
  });
  it('still refuses malformed JSON', () => {
    for (const bad of ['{', '{"a":}', 'not json', '{"a" 1}', '']) assert.equal(parseJsonLenient(bad).ok, false, bad);
  });
  it('bounds nesting depth and item count before parsing', () => {
    const limits = { maxDepth: 3, maxItems: 5 };
    assert.equal(exceedsJsonLimits('[[[1]]]', limits), null);
    assert.equal(exceedsJsonLimits('[[[[1]]]]', limits), 'depth');
    assert.equal(exceedsJsonLimits('{"a":{"b":{"c":{}}}}', limits), 'depth');
    // Items are containers plus commas: [1,2,3,4,5] is 1 + 4.
    assert.equal(exceedsJsonLimits('[1,2,3,4,5]', limits), null);
    assert.equal(exceedsJsonLimits('[1,2,3,4,5,6]', limits), 'items');
    assert.equal(exceedsJsonLimits('[{},{},{}]', limits), 'items');
    // Brackets, commas and escaped quotes inside strings do not count.
    assert.equal(exceedsJsonLimits('{"a":"[[[[,,,,,,\\"[[[[{{{{"}', limits), null);
    assert.equal(exceedsJsonLimits('["\\\\",[[[1]]]]', limits), 'depth');
    const deep = parseJsonLenient('['.repeat(100_000) + ']'.repeat(100_000));
    assert.ok(!deep.ok && deep.exceeded === 'depth');
    const many = parseJsonLenient(`[${Array(60_000).fill(0).join(',')}]`);
    assert.ok(!many.ok && many.exceeded === 'items');
    // The trailing-comma leniency happens inside the same bounds.
    assert.ok(parseJsonLenient(`${'['.repeat(64)}1,${']'.repeat(64)}`).ok);
    assert.equal((parseJsonLenient(`${'['.repeat(65)}1,${']'.repeat(65)}`) as { exceeded?: string }).exceeded, 'depth');
  });
  it('every documented payload is well within the bounds', () => {
    for (const file of files)
      assert.equal(
        exceedsJsonLimits(readFileSync(join(dir, file), 'utf8'), { maxDepth: 8, maxItems: 500 }),
        null,
        file,
      );
  });
});

describe('Panic API read and token shapes', () => {
  it('reads both token generations', () => {
    assert.deepEqual(TokenResponse.parse({ access_token: 'a', token_type: 'Bearer', expires_in: 60 }), {
      accessToken: 'a',
      tokenType: 'Bearer',
      expiresIn: 60,
    });
    assert.deepEqual(TokenResponse.parse({ accessToken: 'b', expiresIn: 30 }), {
      accessToken: 'b',
      tokenType: 'Bearer',
      expiresIn: 30,
    });
    assert.throws(() => TokenResponse.parse({ token: 'x' }));
  });

  it('reads the nested callout wrapped or bare, coordinates as strings', () => {
    const seed = JSON.parse(readFileSync(join(dir, 'CALLOUT_CLOSED.json'), 'utf8')).callout;
    const bare = ReadCalloutResponse.parse(seed);
    const wrapped = ReadCalloutResponse.parse({ message: 'ok', callout: seed });
    assert.equal(bare.id, 81392);
    assert.equal(wrapped.status, 'closed');
    const obs = observationFromRead(CalloutRead.parse(seed), 'poll');
    assert.equal(obs.status, 'closed');
    assert.equal(obs.responder?.location?.latitude, 52.33077758825415);
  });
});
