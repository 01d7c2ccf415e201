// `npm run temporal`: the Temporal dev server alone, with the Web UI and state in .temporal/dev.db.
import { join } from 'node:path';
import { ensureTemporalCli, PROJECT_ROOT, startDevServer } from '../src/temporal/dev-server.js';

const cli = await ensureTemporalCli();
const server = await startDevServer({
  cliPath: cli,
  dbFilename: process.env.TEMPORAL_DB_FILE ?? join(PROJECT_ROOT, '.temporal', 'dev.db'),
  port: Number(process.env.TEMPORAL_PORT ?? 7233),
  uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
  logFile: join(PROJECT_ROOT, '.temporal', 'dev-server.log'),
});
console.log(`Temporal dev server: ${server.address}  Web UI: ${server.uiUrl}`);
const stop = () => void server.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
