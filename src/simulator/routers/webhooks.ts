// The Panic API's webhook registration: `POST /v2/notifiers/webhooks`, one active webhook per customer source.
import { Router } from 'express';
import type { SimContext } from '../context.js';
import { webhookRegistration } from '../webhooks.js';

const INVALID_WEBHOOK = { error: 'Invalid webhook configuration object. Please check your request.' };

export function webhooksRouter({ state, config }: SimContext): Router {
  const router = Router();
  router.post('/notifiers/webhooks', (req, res) => {
    const hook = webhookRegistration((req.body ?? {}) as Record<string, unknown>, config.allowLoopbackHttp);
    if (!hook) return void res.status(400).json(INVALID_WEBHOOK);
    // Registering again replaces the webhook.
    state.webhook = hook;
    res.json({ message: 'Successfully updated notifier webhook config', notifier: { config: [state.webhook] } });
  });
  return router;
}
