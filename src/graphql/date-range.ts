import { Field, InputType } from 'type-graphql';
import { DateTimeScalar } from './scalars';
import { BadUserInputError } from './errors';

@InputType('DateRangeInput', { description: 'A half-open range of instants: [from, to).' })
export class DateRangeInput {
  @Field(() => DateTimeScalar, { description: 'inclusive' }) from!: Date;
  @Field(() => DateTimeScalar, { description: 'exclusive' }) to!: Date;
}

/** Five years and a day of leap years: the longest range a report may cover. */
const MAX_RANGE_MS = (5 * 365 + 2) * 86_400_000;

/** Validates a range: `from` before `to`, at most five years. */
export function validRange(range: DateRangeInput | null | undefined): { from: Date; to: Date } | undefined {
  if (!range) return undefined;
  if (range.from.getTime() >= range.to.getTime()) throw new BadUserInputError('range.from must be before range.to', 'range');
  if (range.to.getTime() - range.from.getTime() > MAX_RANGE_MS) {
    throw new BadUserInputError('A range covers at most 5 years', 'range');
  }
  return { from: range.from, to: range.to };
}
