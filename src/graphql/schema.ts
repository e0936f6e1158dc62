import 'reflect-metadata';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { DateTimeScalar } from './scalars';
import { capListFields } from './list-size';
import { leanResolvers } from './lean-resolvers';
import { NodeResolver } from './node.resolver';
import { PlanResolver } from '../modules/plan/plan.resolver';
import { AgencyResolver } from '../modules/agency/agency.resolver';
import { SubAccountResolver } from '../modules/sub-account/sub-account.resolver';
import { WalletResolver } from '../modules/wallet/wallet.resolver';
import { ApiKeyResolver, ViewerResolver } from '../modules/auth/api-key.resolver';
import { TransferResolver } from '../modules/transfer/transfer.resolver';
import { WalletTransfersResolver } from '../modules/transfer/wallet-transfers.resolver';
import { CallResolver } from '../modules/usage/call.resolver';
import { ScenarioResolver } from '../modules/usage/scenario.resolver';
import { SubAccountCallsResolver } from '../modules/usage/sub-account-calls.resolver';
import { AgencyEventHealthResolver, AgencyHealthResolver, SubAccountHealthResolver } from '../modules/health/health.resolver';
import { SubAccountStatementResolver } from '../modules/statement/statement.resolver';
import { EVENT_RESOLVERS } from '../modules/events/event.resolver';
import { BillingResolver, SubAccountPaymentMethodResolver } from '../modules/billing/billing.resolver';
import { AgencyPayoutResolver, PayoutResolver } from '../modules/payout/payout.resolver';
import { AutoAllocationResolver, SubAccountAutoAllocationResolver } from '../modules/auto-allocation/auto-allocation.resolver';
import {
  AgencyUsageResolver, SubAccountUsageFieldResolver, WalletSpentResolver,
} from '../modules/reporting/usage-report.resolver';

export const RESOLVERS = [
  NodeResolver, ViewerResolver, PlanResolver, AgencyResolver, SubAccountResolver, WalletResolver, ApiKeyResolver,
  TransferResolver, WalletTransfersResolver,
  ScenarioResolver, CallResolver, SubAccountCallsResolver, SubAccountUsageFieldResolver, WalletSpentResolver, AgencyUsageResolver,
  SubAccountHealthResolver, AgencyHealthResolver, AgencyEventHealthResolver, SubAccountStatementResolver,
  BillingResolver, SubAccountPaymentMethodResolver, PayoutResolver, AgencyPayoutResolver,
  AutoAllocationResolver, SubAccountAutoAllocationResolver,
  ...EVENT_RESOLVERS,
] as const;

/**
 * Builds the executable schema from the resolver classes (type-graphql), once per process;
 * fields that need nothing of type-graphql's resolver wrappers get direct ones
 * (lean-resolvers.ts); every list field's answer is cut at its declared maximum (list-size.ts).
 */
export async function createSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [...RESOLVERS],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    // Every subscription brings its own `subscribe` (the outbox event hub); type-graphql still
    // insists on a PubSub, so it gets one that nothing uses.
    pubSub: {
      publish: () => {
        throw new Error('events are published through the outbox, not a PubSub');
      },
      subscribe: () => {
        throw new Error('subscriptions read the outbox through the event hub');
      },
    },
    // Structural limits on inputs (string lengths); business validation lives in services.
    validate: { forbidUnknownValues: false },
  });
  return capListFields(leanResolvers(schema));
}

/** The SDL committed as schema/schema.graphql: sorted, so it only changes when the API does. */
export function printSortedSchema(schema: GraphQLSchema): string {
  return printSchema(lexicographicSortSchema(schema)) + '\n';
}
