import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('Plan', { description: 'A subscription plan of the voice platform.' })
export class PlanType {
  @Field(() => String, { description: 'KICKSTART, AGENCY_LITE, AGENCY_UNLIMITED or PARTNER_LEGACY' }) code!: string;
  @Field(() => String) name!: string;
  @Field(() => Int, { nullable: true, description: 'Most active sub-accounts, the primary included; null: no cap' })
  subAccountLimit!: number | null;
}
