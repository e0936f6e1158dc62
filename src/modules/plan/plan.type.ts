import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('Plan', { description: 'A subscription plan of the voice platform.' })
export class PlanType {
  @Field(() => String, { description: 'KICKSTART, AGENCY_LITE, AGENCY_UNLIMITED or PARTNER_LEGACY' }) code!: string;
  @Field(() => String) name!: string;
  @Field(() => Int, { nullable: true, description: 'Most active sub-accounts, the primary included; null: no cap' })
  subAccountLimit!: number | null;
  @Field(() => Boolean, {
    description: 'Kept for the agencies already on it: changeAgencyPlan refuses to move an agency onto it (PLAN_NOT_AVAILABLE)',
  })
  legacy!: boolean;
}
