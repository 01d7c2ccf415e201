// `npm run temporal:postgres`: Temporal on PostgreSQL as compose runs it, without containers (a throwaway
// PostgreSQL cluster, compose's schema and init scripts, temporal-server v1.29.1), until Ctrl-C; then everything,
// the databases included, is removed. Point the service at it with TEMPORAL_ADDRESS.
import { startPostgresTemporal } from '../src/temporal/postgres-server.js';

const started = Date.now();
const temporal = await startPostgresTemporal();
const t = temporal.timings;
console.log(
  `Temporal on PostgreSQL: ${temporal.address} (namespace ${temporal.namespace}) in ${Date.now() - started} ms`,
);
console.log(
  `  PostgreSQL ${temporal.postgres.host}:${temporal.postgres.port} user ${temporal.postgres.user}; server log ${temporal.logFile}`,
);
console.log(
  `  binaries ${t.binariesMs} ms, PostgreSQL ${t.postgresMs} ms, schemas ${t.schemaMs} ms, server ${t.serverMs} ms, namespace ${t.registerMs} ms`,
);
console.log(
  `  e.g. TEMPORAL_ADDRESS=${temporal.address} npm run worker (and npm run api); Ctrl-C stops it and removes its folders`,
);
const stop = () => void temporal.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
