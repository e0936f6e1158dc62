import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { DateTimeScalar } from '../../graphql/scalars';
import { Node, UserError, MAX_USER_ERRORS_PER_MUTATION } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';

@ObjectType('Scenario', { implements: Node, description: 'A call scenario of a sub-account: a campaign or project its calls belong to.' })
export class ScenarioType extends Node {
  @Field(() => String) name!: string;
  @Field(() => DateTimeScalar) createdAt!: Date;
}

@InputType('CreateScenarioInput')
export class CreateScenarioInput {
  @Field(() => ID) @MaxLength(200) subAccountId!: string;
  @Field(() => String, { description: '1 to 200 characters; an existing name (any case) returns that scenario' })
  @MaxLength(1000)
  name!: string;
}

@ObjectType('CreateScenarioPayload')
export class CreateScenarioPayload {
  @Field(() => ScenarioType, { nullable: true }) scenario!: ScenarioType | null;
  @MaxItems(MAX_USER_ERRORS_PER_MUTATION) @Field(() => [UserError]) userErrors!: UserError[];
}
