// Webhooks: one active configuration per customer source; registering again replaces it.
import type { z } from 'zod';
import { endpoint } from '../endpoint.js';
import * as S from '../schemas.js';
import type { AuraTransport } from '../transport.js';

const endpoints = {
  register: endpoint({ method: 'POST', path: '/v2/notifiers/webhooks', response: S.WebhookRegistrationResponse }),
};

export function webhooksResource(t: AuraTransport) {
  return {
    async registerWebhook(reg: S.WebhookRegistration): Promise<z.output<typeof S.WebhookRegistrationResponse>> {
      return (await endpoints.register(t, { body: S.WebhookRegistration.parse(reg) })).data;
    },
  };
}

export type WebhooksResource = ReturnType<typeof webhooksResource>;
