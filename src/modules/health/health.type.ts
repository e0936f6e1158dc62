import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar, DecimalScalar } from '../../graphql/scalars';
import { Money } from '../../graphql/common.types';
import { MaxItems } from '../../graphql/list-size';
import { HEALTH_LEVELS, HEALTH_SIGNALS, type HealthLevel, type HealthSignal } from './health-rules';

export const HealthLevelEnum = Object.fromEntries(HEALTH_LEVELS.map((l) => [l, l])) as { [K in HealthLevel]: K };
registerEnumType(HealthLevelEnum, {
  name: 'HealthLevel',
  description: 'HEALTHY < WATCH < AT_RISK: the worst level any signal sets (docs/health-and-statements.md).',
});

export const HealthSignalEnum = Object.fromEntries(HEALTH_SIGNALS.map((s) => [s, s])) as { [K in HealthSignal]: K };
registerEnumType(HealthSignalEnum, {
  name: 'HealthSignal',
  description: 'Why a sub-account is not HEALTHY.',
  valuesConfig: {
    NEGATIVE_BALANCE: { description: 'Balance below 0 (usage went past it): AT_RISK' },
    BALANCE_DEPLETED: { description: 'Balance exactly 0: AT_RISK' },
    LOW_RUNWAY: { description: 'At the last 7 days\' burn rate the balance lasts under 2 days (AT_RISK) or under 7 days (WATCH)' },
    HIGH_FAILURE_RATE: { description: 'Under 50% of at least 20 calls in the last 7 days COMPLETED: WATCH' },
    USAGE_DROP: { description: 'Minutes of the last 7 days down more than 50% against the 7 before: WATCH' },
    NO_RECENT_CALLS: { description: 'No call started in the last 14 days, after having had calls (churn risk): WATCH' },
    AUTO_RECHARGE_FAILING: {
      description: 'Auto-recharge turned itself off after 3 failed charges in a row (re-enable it with setAutoRecharge): AT_RISK',
    },
  },
});

/** Plain data built by the resolver from the computed health (no per-field resolvers). */
@ObjectType('SubAccountHealth', { simpleResolvers: true, description: 'Computed when read, from the last 14 days of usage and the wallet.' })
export class SubAccountHealthType {
  @Field(() => HealthLevelEnum) level!: HealthLevel;
  @MaxItems(HEALTH_SIGNALS.length)
  @Field(() => [HealthSignalEnum], { description: 'Most severe first; empty when HEALTHY' }) signals!: HealthSignal[];
  @Field(() => Money, { description: 'Spent on calls that started in the last 7 days / 7, truncated to the micro-dollar' })
  burnRatePerDay!: Money;
  @Field(() => DecimalScalar, { nullable: true, description: 'Balance / burn rate in days (0 at or below a zero balance); null when nothing is being spent' })
  runwayDays!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Now + runwayDays; null when nothing is being spent' })
  projectedDepletionAt!: Date | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'COMPLETED / all calls of the last 7 days, 0 to 1; null without calls' })
  successRate!: string | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'Minutes of the last 7 days / the 7 before, minus 1; null without a previous week' })
  usageTrend!: string | null;
  @Field(() => DateTimeScalar, { nullable: true, description: 'Start of the latest call' }) lastCallAt!: Date | null;
}

@ObjectType('AgencyHealth', { simpleResolvers: true, description: 'Active sub-accounts (the primary included) per health level.' })
export class AgencyHealthType {
  @Field(() => Int) healthy!: number;
  @Field(() => Int) watch!: number;
  @Field(() => Int) atRisk!: number;
}
