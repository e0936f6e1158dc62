import 'reflect-metadata';
import { graphql } from 'graphql';
import { MaxLength } from 'class-validator';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, InputType, ObjectType, Query, Resolver, Root, buildSchema, registerEnumType } from 'type-graphql';
import { leanResolvers } from './lean-resolvers';

enum Tier { BASIC = 'BASIC', PREMIUM = 'PREMIUM' }
registerEnumType(Tier, { name: 'Tier' });

@InputType()
class Filter {
  @Field() @MaxLength(3) text!: string;
}

@ArgsType()
class Search {
  @Field(() => String) @MaxLength(3) text!: string;
}

@ObjectType()
class Thing {
  @Field() name!: string;
  @Field() get shout(): string {
    return this.name.toUpperCase();
  }
}

const calls: string[] = [];

@Resolver(() => Thing)
class ThingResolver {
  @Query(() => Thing)
  thing(): Thing {
    return Object.assign(new Thing(), { name: 'a' });
  }

  @FieldResolver(() => String)
  priced(@Root() thing: Thing, @Arg('tier', () => Tier) tier: Tier, @Ctx() ctx: { suffix: string }): string {
    calls.push('priced');
    return `${thing.name}:${tier}:${ctx.suffix}`;
  }

  @FieldResolver(() => String)
  filtered(@Root() thing: Thing, @Arg('filter', () => Filter, { nullable: true }) filter: Filter | null): string {
    return `${thing.name}:${filter ? (filter instanceof Filter ? 'instance' : 'plain') + ' ' + filter.text : 'none'}`;
  }

  @FieldResolver(() => String)
  searched(@Root() thing: Thing, @Args() args: Search): string {
    return `${thing.name}:${args.text}`;
  }
}

describe('leanResolvers', () => {
  const run = async (query: string) => {
    const schema = leanResolvers(await buildSchema({ resolvers: [ThingResolver], validate: { forbidUnknownValues: false } }));
    return graphql({ schema, source: query, contextValue: { suffix: 'ctx' } });
  };

  it('should answer scalar and enum arguments, the root and the context as type-graphql does', async () => {
    const result = await run('{ thing { name shout priced(tier: PREMIUM) filtered } }');
    expect(result).toEqual({ data: { thing: { name: 'a', shout: 'A', priced: 'a:PREMIUM:ctx', filtered: 'a:none' } } });
    expect(calls).toEqual(['priced']);
  });

  it('should replace the wrappers of plain fields and of scalar-argument field resolvers only', async () => {
    const schema = await buildSchema({ resolvers: [ThingResolver], validate: { forbidUnknownValues: false } });
    const fields = (schema.getType('Thing') as import('graphql').GraphQLObjectType).getFields();
    const before = Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.resolve]));
    leanResolvers(schema);
    const replaced = Object.keys(fields).filter((name) => fields[name].resolve !== before[name]).sort();
    // `filtered` gets a direct resolver that hands a non-null input object back to type-graphql's;
    // `shout`, a getter of the type, keeps type-graphql's (it converts a plain root into the class first).
    expect(replaced).toEqual(['filtered', 'name', 'priced']);
  });

  it('should keep type-graphql converting and validating input objects and argument classes', async () => {
    const ok = await run('{ thing { filtered(filter: { text: "abc" }) searched(text: "abc") } }');
    expect(ok).toEqual({ data: { thing: { filtered: 'a:instance abc', searched: 'a:abc' } } });
    const tooLong = await run('{ thing { filtered(filter: { text: "abcd" }) } }');
    expect(tooLong.errors?.[0].message).toMatch(/Argument Validation Error/);
    const tooLongArgs = await run('{ thing { searched(text: "abcd") } }');
    expect(tooLongArgs.errors?.[0].message).toMatch(/Argument Validation Error/);
  });
});
