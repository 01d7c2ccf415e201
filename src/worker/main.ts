// `npm run worker`: the Temporal worker on its own, configured from the environment.
import { ConfigError, loadEnv } from '../config.js';
import { createLogger } from '../logger.js';
import { workersFromEnv } from '../runtime.js';
import { connectClient, connectWorker } from '../temporal/connection.js';

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
const log = createLogger({ level: env.LOG_LEVEL, name: 'worker' });
const client = await connectClient(env);
const connection = await connectWorker(env);
const workers = await workersFromEnv(env, connection, client);
const stop = () => {
  log.info('shutting down: finishing in-flight activities');
  workers.shutdown();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
log.info({ taskQueue: env.TEMPORAL_TASK_QUEUE, address: env.TEMPORAL_ADDRESS }, 'worker running');
await workers.run();
await connection.close();
await client.connection.close();
log.info('worker stopped');
