// `npm run api`: the intake API and webhook receiver on their own, configured from the environment.
import { ConfigError, loadEnv } from '../config.js';
import { createLogger } from '../logger.js';
import { appFromEnv, fixedLocationApiFromEnv } from '../runtime.js';
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
const stop = () => {
  log.info('shutting down: no new requests');
  server.close(() => {
    void client.connection.close().then(() => process.exit(0));
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
