// `npm run sim`: the AURA simulator on its own (default http://127.0.0.1:4010/panic-api).
import { startSimulator } from './app.js';

const port = Number(process.env.SIM_PORT ?? 4010);
const host = process.env.SIM_HOST ?? '127.0.0.1';
const autopilot = process.env.SIM_AUTOPILOT !== 'false';
const sim = await startSimulator({
  port,
  host,
  autopilot: {
    enabled: autopilot,
    stepMs: Number(process.env.SIM_STEP_MS ?? 3000),
    emitWebhooks: process.env.SIM_EMIT_WEBHOOKS !== 'false',
  },
});
console.log(
  `AURA simulator: ${sim.panicApiUrl} (control routes under ${sim.url}/__sim; client dev-client/dev-secret ` +
    `or bearer dev-token)`,
);
const stop = async () => {
  await sim.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
