import { MessageBudget } from './message-budget';

describe('MessageBudget', () => {
  it.each([
    // [per second, burst, message times in ms, expected answers]
    ['a full burst at once, then nothing', 10, 3, [0, 0, 0, 0], [true, true, true, false]],
    ['one token back per 1/rate seconds', 10, 2, [0, 0, 0, 100, 100], [true, true, false, true, false]],
    ['never more than the burst after a long pause', 10, 2, [0, 0, 60_000, 60_000, 60_000], [true, true, true, true, false]],
    ['a steady pace at the rate is never refused', 50, 1, [0, 20, 40, 60, 80, 100], [true, true, true, true, true, true]],
    ['a clock going backwards refills nothing', 10, 1, [1000, 0, 0], [true, false, false]],
  ])('%s', (_label, perSecond, burst, times, expected) => {
    const budget = new MessageBudget(perSecond, burst, times[0]);
    expect(times.map((t) => budget.take(t))).toEqual(expected);
  });
});
