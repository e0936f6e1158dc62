import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { mutationPayload } from '../../graphql/payload';
import { toGlobalId } from '../../shared/global-id';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { ScenarioEntity } from './scenario.entity';
import { CreateScenarioInput, CreateScenarioPayload, ScenarioType } from './scenario.type';
import { assertCanReadUsage } from './usage-access';

@Resolver(() => ScenarioType)
export class ScenarioResolver {
  @Mutation(() => CreateScenarioPayload, {
    description: 'A campaign or project of a sub-account; returns the existing one when the name is taken.',
  })
  createScenario(@Arg('input', () => CreateScenarioInput) input: CreateScenarioInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('scenario', () => ctx.services.scenario.create(ctx.viewer, input));
  }

  @FieldResolver(() => ID)
  id(@Root() scenario: ScenarioEntity): string {
    return toGlobalId('Scenario', scenario.id);
  }

  @FieldResolver(() => SubAccountType)
  async subAccount(@Root() scenario: ScenarioEntity, @Ctx() ctx: RequestContext): Promise<SubAccountEntity> {
    const sub = (await ctx.loaders.subAccount.load(scenario.subAccountId))!;
    assertCanReadUsage(ctx.viewer, sub);
    return sub;
  }
}
