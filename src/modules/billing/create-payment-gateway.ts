import { assertPaymentsAllowed, type AppConfig } from '../../config/config';
import type { PaymentGateway } from './payment-gateway';
import { SandboxGateway } from './sandbox-gateway';
import { StripeGateway } from './stripe-gateway';

/** Stripe with a key, sandbox mode without (refused in production: ConfigError). */
export function createPaymentGateway(config: Pick<AppConfig, 'production' | 'payments'>): PaymentGateway {
  assertPaymentsAllowed(config);
  const { stripeSecretKey, stripeWebhookSecret } = config.payments;
  if (stripeSecretKey === undefined || stripeWebhookSecret === undefined) return new SandboxGateway();
  return new StripeGateway({ ...config.payments, stripeSecretKey, stripeWebhookSecret });
}
