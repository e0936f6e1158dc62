import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { mutationPayload } from '../../graphql/payload';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { BillingError } from './billing.errors';
import {
  AutoRechargeType, PaymentMethodSetupPayload, PaymentMethodType, SetAutoRechargeInput, SetAutoRechargePayload, TopUpWalletInput,
  TopUpWalletPayload,
} from './billing.type';
import { Money } from '../../graphql/common.types';
import type { SavedCard } from './payment-gateway';

@Resolver()
export class BillingResolver {
  @Mutation(() => TopUpWalletPayload, {
    description: "Buys Premium minutes with the sub-account's saved card (off-session); earned profit accrues in the same transaction.",
  })
  async topUpWallet(@Arg('input', () => TopUpWalletInput) input: TopUpWalletInput, @Ctx() ctx: RequestContext) {
    let clientSecret: string | null = null;
    const payload = await mutationPayload('transfer', () =>
      ctx.services.billing.topUpWallet(ctx.viewer, input).catch((error: unknown) => {
        if (error instanceof BillingError) clientSecret = error.clientSecret;
        throw error;
      }),
    );
    return { ...payload, clientSecret };
  }

  @Mutation(() => SetAutoRechargePayload, {
    description: 'Charges the saved card the recharge amount whenever the balance is below the threshold (at once if it already is); one recharge in flight per wallet.',
  })
  setAutoRecharge(@Arg('input', () => SetAutoRechargeInput) input: SetAutoRechargeInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('subAccount', () => ctx.services.billing.setAutoRecharge(ctx.viewer, input));
  }

  @Mutation(() => PaymentMethodSetupPayload, { description: 'A Stripe SetupIntent for saving the sub-account’s card; returns its client secret.' })
  createPaymentMethodSetup(@Arg('subAccountId', () => ID) subAccountId: string, @Ctx() ctx: RequestContext) {
    return mutationPayload('clientSecret', () => ctx.services.billing.createPaymentMethodSetup(ctx.viewer, subAccountId));
  }
}

@Resolver(() => SubAccountType)
export class SubAccountPaymentMethodResolver {
  @FieldResolver(() => PaymentMethodType, { nullable: true, description: 'The saved card, if any' })
  paymentMethod(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): Promise<SavedCard | null> {
    return ctx.services.billing.paymentMethod(ctx.viewer, sub, (id) => ctx.loaders.paymentMethod.load(id));
  }

  @FieldResolver(() => AutoRechargeType, { nullable: true, description: 'Null until set' })
  async autoRecharge(@Root() sub: SubAccountEntity, @Ctx() ctx: RequestContext): Promise<AutoRechargeType | null> {
    const settings = await ctx.services.billing.autoRecharge(ctx.viewer, sub, (id) => ctx.loaders.autoRecharge.load(id));
    if (!settings) return null;
    return {
      enabled: settings.enabled,
      threshold: Money.ofMicros(settings.thresholdMicros),
      rechargeAmount: Money.ofMicros(settings.rechargeAmountMicros),
      monthlyCap: settings.monthlyCapMicros === null ? null : Money.ofMicros(settings.monthlyCapMicros),
      consecutiveFailures: settings.consecutiveFailures,
      lastError: settings.lastError,
    };
  }
}
