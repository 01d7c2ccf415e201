// `npm run worker`: the Temporal worker on its own (with its /metrics on WORKER_METRICS_PORT), configured from the
// environment.
import { main } from '../service.js';

await main('worker');
