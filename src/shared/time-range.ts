/** A half-open range of instants, [from, to). */
export interface TimeRange {
  from: Date;
  to: Date;
}

/** "All time" for reports without a range: every instant a call can start at (the DateTime scalar stops at 9999). */
export const ALL_TIME: TimeRange = { from: new Date('1970-01-01T00:00:00.000Z'), to: new Date('9999-01-01T00:00:00.000Z') };
