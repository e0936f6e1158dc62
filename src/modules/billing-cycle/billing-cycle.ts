/**
 * Monthly billing cycles anchored on a start instant, in UTC. The anchor day is clamped
 * to the month's length (a Jan 31 start renews Feb 28 or 29, then Mar 31: the clamp
 * never drifts the anchor), and the time of day is kept.
 */
export interface BillingCycle {
  start: Date;
  end: Date;
  nextBillingDate: Date;
}

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/** `start` moved `months` months forward, its day of month clamped to the target month. */
export function addMonthsClamped(start: Date, months: number): Date {
  const totalMonths = start.getUTCFullYear() * 12 + start.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const monthIndex = totalMonths - year * 12;
  const day = Math.min(start.getUTCDate(), daysInMonth(year, monthIndex));
  return new Date(
    Date.UTC(year, monthIndex, day, start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds(), start.getUTCMilliseconds()),
  );
}

/** The cycle containing `at`; before the start instant, the first cycle. */
export function billingCycleAt(startedAt: Date, at: Date): BillingCycle {
  let index = 0;
  if (at.getTime() >= startedAt.getTime()) {
    index = (at.getUTCFullYear() - startedAt.getUTCFullYear()) * 12 + (at.getUTCMonth() - startedAt.getUTCMonth());
    while (index > 0 && addMonthsClamped(startedAt, index).getTime() > at.getTime()) index -= 1;
    while (addMonthsClamped(startedAt, index + 1).getTime() <= at.getTime()) index += 1;
  }
  const start = addMonthsClamped(startedAt, index);
  const end = addMonthsClamped(startedAt, index + 1);
  return { start, end, nextBillingDate: end };
}
