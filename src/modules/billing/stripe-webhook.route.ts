import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from '../../graphql/http-handler';
import type { Logger } from '../../shared/logger';
import type { BillingService } from './billing.service';
import { WebhookSignatureError } from './payment-gateway';

export const STRIPE_WEBHOOK_PATH = '/webhooks/stripe';

/**
 * POST /webhooks/stripe. The signature is checked by the SDK on the raw bytes (a parsed and
 * re-serialised body would not match): bad or stale, 400 and nothing stored. A verified
 * event is recorded once by id and queued; the answer (200, duplicates included) goes back
 * at once, well within Stripe's timeout, whatever the event's work costs.
 */
export function createStripeWebhookRoute(billing: BillingService, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'POST only' }, { allow: 'POST' });
      return;
    }
    (async () => {
      const raw = await readBody(req);
      const signature = req.headers['stripe-signature'];
      const { duplicate } = await billing.receiveWebhook(raw, Array.isArray(signature) ? signature[0] : signature);
      sendJson(res, 200, { received: true, duplicate });
    })().catch((error: Error & { status?: number }) => {
      if (res.headersSent) return;
      if (error instanceof WebhookSignatureError) {
        sendJson(res, 400, { error: 'Webhook signature verification failed' });
      } else if (error.status === 413) {
        sendJson(res, 413, { error: error.message }, { connection: 'close' });
      } else {
        logger.error('Stripe webhook failed', { message: error.message });
        // Stripe retries a non-2xx delivery; the event id makes the retry safe.
        sendJson(res, 500, { error: 'Internal server error' });
      }
    });
  };
}
