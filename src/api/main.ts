// `npm run api`: the intake API and webhook receiver on their own, configured from the environment.
import { main } from '../service.js';

await main('api');
