// `npm run webhooks:register`: register the receiver with AURA (URL, events, custom auth header), as configured:
//   WEBHOOK_PUBLIC_URL (or PUBLIC_BASE_URL + /webhooks/aura), WEBHOOK_EVENTS (default: every documented event),
//   WEBHOOK_AUTH_HEADER / WEBHOOK_TOKEN, AURA_BASE_URL and credentials.
// Validated before AURA is called: unknown events and plain-HTTP public URLs are refused; the deprecated
// RESPONDER_ACKNOWLEDGED_CALLOUT_WITH_ETA is accepted with a warning. AURA keeps one webhook per customer source:
// registering again replaces the earlier one.
import { ConfigError, loadEnv } from '../src/config.js';
import { webhookRegistrationFromEnv } from '../src/aura/webhook-registration.js';
import { registerReceiver, WebhookRegistrationError } from '../src/aura/webhook-registration.js';
import { auraClientFromEnv } from '../src/aura/from-env.js';

try {
  const env = loadEnv();
  const input = webhookRegistrationFromEnv(env);
  const r = await registerReceiver(auraClientFromEnv(env), input, (w) => console.warn(`warning: ${w}`));
  console.log(
    `Registered ${r.url} with AURA at ${env.AURA_BASE_URL} for ${r.events.length} events: ${r.events.join(', ')}`,
  );
} catch (err) {
  if (err instanceof ConfigError || err instanceof WebhookRegistrationError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`Registration failed: ${(err as Error).message}`);
  process.exit(1);
}
