// `npm run api`: the intake API and webhook receiver on their own, configured from the environment.
import { ConfigError, loadEnv } from '../config.js';
import { createLogger } from '../logger.js';
import { registerReceiver, webhookRegistrationFromEnv } from '../aura/webhook-registration.js';
import { appFromEnv, auraClientFromEnv } from '../runtime.js';
import { fixedLocationApiFromEnv } from '../runtime.js';
import { connectClient } from '../temporal/connection.js';

let env;
try {
  env = loadEnv();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const log = createLogger({ level: env.LOG_LEVEL, name: 'api' });
const client = await connectClient(env);
const server = appFromEnv(env, client, log, await fixedLocationApiFromEnv(env, log)).listen(env.API_PORT, env.API_HOST, () => {
  log.info(`API listening on http://${env.API_HOST}:${env.API_PORT}`);
});
if (env.WEBHOOK_REGISTER_ON_START) {
  // Optional start-up step: register the receiver with AURA. A refusal is logged, not fatal: polling is the ledger.
  registerReceiver(auraClientFromEnv(env), webhookRegistrationFromEnv(env), (w) => log.warn(w))
    .then((r) => log.info({ url: r.url, events: r.events.length }, 'webhook registered with AURA'))
    .catch((err) => log.error({ err: (err as Error).message }, 'webhook registration failed'));
}
const stop = () => {
  log.info('shutting down: no new requests');
  server.close(() => {
    void client.connection.close().then(() => process.exit(0));
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
