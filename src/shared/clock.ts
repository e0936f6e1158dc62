/**
 * Where services read the time of a state change (a sub-account's add, removal or
 * restore). The grant rules compare those instants with billing-cycle starts, so tests
 * that walk through cycles give the server their own clock instead of waiting a month.
 */
export interface Clock {
  now(): Date;
}

/** The machine's clock: what every process uses outside tests. */
export const systemClock: Clock = { now: () => new Date() };
