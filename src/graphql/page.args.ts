import { ArgsType, Field, Int } from 'type-graphql';
import { MaxLength } from 'class-validator';

/** Forward pagination arguments shared by every connection. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, 0 to 100; 20 when omitted' }) first?: number | null;
  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' }) @MaxLength(500) after?: string | null;
}
