// `npm start`: the compiled service (dist/main.js). SERVICE_ROLE=all (default) runs the API and the worker in one
// process; api or worker runs one of them (docker-compose runs them as two services).
import { main } from './service.js';

await main();
