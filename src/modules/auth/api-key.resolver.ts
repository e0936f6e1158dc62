import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../graphql/context';
import { mutationPayload } from '../../graphql/payload';
import { toGlobalId } from '../../shared/global-id';
import { AgencyType } from '../agency/agency.type';
import type { AgencyEntity } from '../agency/agency.entity';
import { SubAccountType } from '../sub-account/sub-account.type';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { ApiKeyEntity } from './api-key.entity';
import { ApiKeyType, CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyInput, RevokeApiKeyPayload, ViewerType } from './api-key.type';

@Resolver(() => ApiKeyType)
export class ApiKeyResolver {
  @Mutation(() => CreateApiKeyPayload, { description: 'Returns the secret once; only its hash is kept.' })
  async createApiKey(@Arg('input', () => CreateApiKeyInput) input: CreateApiKeyInput, @Ctx() ctx: RequestContext) {
    const result = await mutationPayload('created', () => ctx.services.apiKey.create(ctx.viewer, input));
    return { secret: result.created?.secret ?? null, apiKey: result.created?.apiKey ?? null, userErrors: result.userErrors };
  }

  @Mutation(() => RevokeApiKeyPayload, { description: 'The key stops working from the next request on.' })
  revokeApiKey(@Arg('input', () => RevokeApiKeyInput) input: RevokeApiKeyInput, @Ctx() ctx: RequestContext) {
    return mutationPayload('apiKey', () => ctx.services.apiKey.revoke(ctx.viewer, input));
  }

  @FieldResolver(() => ID)
  id(@Root() key: ApiKeyEntity): string {
    return toGlobalId('ApiKey', key.id);
  }

  @FieldResolver(() => AgencyType, { nullable: true })
  async agency(@Root() key: ApiKeyEntity, @Ctx() ctx: RequestContext): Promise<AgencyEntity | null> {
    return key.agencyId ? ((await ctx.loaders.agency.load(key.agencyId)) ?? null) : null;
  }

  @FieldResolver(() => SubAccountType, { nullable: true })
  async subAccount(@Root() key: ApiKeyEntity, @Ctx() ctx: RequestContext): Promise<SubAccountEntity | null> {
    return key.subAccountId ? ((await ctx.loaders.subAccount.load(key.subAccountId)) ?? null) : null;
  }
}

@Resolver(() => ViewerType)
export class ViewerResolver {
  @Query(() => ViewerType, { description: 'The caller: role, and the agency or sub-account it is scoped to.' })
  async viewer(@Ctx() ctx: RequestContext): Promise<ViewerType> {
    const { viewer, loaders } = ctx;
    return {
      role: viewer.role,
      agency: viewer.agencyId ? ((await loaders.agency.load(viewer.agencyId)) ?? null) : null,
      subAccount: viewer.subAccountId ? ((await loaders.subAccount.load(viewer.subAccountId)) ?? null) : null,
    };
  }
}
