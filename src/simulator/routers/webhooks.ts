// The Panic API's webhook registration: `POST /v2/notifiers/webhooks`, one active webhook per customer source.
import { Router } from 'express';
import type { SimulatorState } from '../state.js';
import { webhookRegistration } from '../webhooks.js';

const INVALID_WEBHOOK = { error: 'Invalid webhook configuration object. Please check your request.' };

export function webhooksRouter(state: SimulatorState, allowLoopbackHttp: boolean): Router {
  const r = Router();
  r.post('/notifiers/webhooks', (req, res) => {
    const hook = webhookRegistration((req.body ?? {}) as Record<string, unknown>, allowLoopbackHttp);
    if (!hook) return void res.status(400).json(INVALID_WEBHOOK);
    // Registering again replaces the webhook.
    state.webhook = hook;
    res.json({ message: 'Successfully updated notifier webhook config', notifier: { config: [state.webhook] } });
  });
  return r;
}
