import 'reflect-metadata';
import type { GraphQLInterfaceType } from 'graphql';
import { createSchema } from './schema';
import { nodeTypeName } from './node-types';
import { AgencyEntity } from '../modules/agency/agency.entity';
import { ApiKeyEntity } from '../modules/auth/api-key.entity';
import { LedgerTransferEntity } from '../modules/ledger/ledger.entities';
import { SubAccountEntity } from '../modules/sub-account/sub-account.entity';
import { CallEntity } from '../modules/usage/call.entity';
import { ScenarioEntity } from '../modules/usage/scenario.entity';
import { WalletEntity } from '../modules/wallet/wallet.entity';
import { PayoutType } from '../modules/payout/payout.type';

describe('the Node interface\'s type resolution', () => {
  it('should resolve every entity a Node field returns, and cover every type that implements Node', async () => {
    const schema = await createSchema();
    const implementations = schema.getPossibleTypes(schema.getType('Node') as GraphQLInterfaceType).map((type) => type.name).sort();
    const values = [
      new SubAccountEntity(), new AgencyEntity(), new WalletEntity(), new LedgerTransferEntity(), new CallEntity(),
      new ScenarioEntity(), new ApiKeyEntity(), new PayoutType(),
    ];
    expect(values.map((value) => nodeTypeName(value)).sort()).toEqual(implementations);
  });

  it('should name no type for an object that is none of them', () => {
    expect(nodeTypeName({ id: 'x' })).toBeUndefined();
  });
});
