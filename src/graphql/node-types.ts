import { AgencyEntity } from '../modules/agency/agency.entity';
import { ApiKeyEntity } from '../modules/auth/api-key.entity';
import { LedgerTransferEntity } from '../modules/ledger/ledger.entities';
import { SubAccountEntity } from '../modules/sub-account/sub-account.entity';
import { CallEntity } from '../modules/usage/call.entity';
import { ScenarioEntity } from '../modules/usage/scenario.entity';
import { WalletEntity } from '../modules/wallet/wallet.entity';

/**
 * The GraphQL type of each entity a Node field can return (`node(id:)`, `nodes`): the
 * mapping is the GraphQL layer's, so entities stay plain rows. Objects built as GraphQL types
 * (a Payout) name their own `__typename`.
 */
const NODE_ENTITIES: ReadonlyArray<readonly [abstract new (...args: never[]) => object, string]> = [
  [SubAccountEntity, 'SubAccount'],
  [AgencyEntity, 'Agency'],
  [WalletEntity, 'Wallet'],
  [LedgerTransferEntity, 'Transfer'],
  [CallEntity, 'Call'],
  [ScenarioEntity, 'Scenario'],
  [ApiKeyEntity, 'ApiKey'],
];

export function nodeTypeName(value: object): string | undefined {
  for (const [entity, name] of NODE_ENTITIES) if (value instanceof entity) return name;
  return (value as { __typename?: string }).__typename;
}
