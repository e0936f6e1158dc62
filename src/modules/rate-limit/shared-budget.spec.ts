import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Logger } from '../../shared/logger';
import { SharedBudget } from './shared-budget';

const logger = new Logger('silent');
const budgets: SharedBudget[] = [];
const budget = (store: RateLimiterAbstract, points = 10, now?: () => number) => {
  const created = new SharedBudget(store, points, 60, 10_000, logger, now);
  budgets.push(created);
  return created;
};
afterEach(async () => {
  await Promise.all(budgets.splice(0).map((b) => b.dispose()));
});

describe('SharedBudget', () => {
  it('should admit charges up to the budget and refuse the rest until the window ends', async () => {
    const b = budget(new RateLimiterMemory({ points: 10, duration: 60 }));
    expect([3, 3, 3].map((cost) => b.charge('k', cost).allowed)).toEqual([true, true, true]);
    expect(b.charge('k', 2)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(b.charge('k', 1)).toEqual({ allowed: true });
    expect(b.charge('other', 10)).toEqual({ allowed: true });
  });

  it('should count the other replicas\' charges once the store has answered', async () => {
    const store = new RateLimiterMemory({ points: 10, duration: 60 });
    const one = budget(store);
    const two = budget(store);
    expect(one.charge('k', 8).allowed).toBe(true);
    await one.flush();
    expect(two.charge('k', 1).allowed).toBe(true); // two has not heard from the store yet: the documented overshoot
    await two.flush();
    expect(two.charge('k', 2).allowed).toBe(false);
    expect(one.charge('k', 1).allowed).toBe(true); // one's view is its last answer (8) until it syncs again
    await one.flush();
    expect(one.charge('k', 1).allowed).toBe(false);
  });

  it('should send the charges of a key aggregated, not one store call per charge', async () => {
    const store = new RateLimiterMemory({ points: 1000, duration: 60 });
    const consume = jest.spyOn(store, 'consume');
    const b = budget(store, 1000);
    for (let i = 0; i < 100; i++) b.charge('k', 5);
    await b.flush();
    expect(consume.mock.calls.map((call) => call[1])).toEqual([5, 495]);
  });

  it('should start a new window after the old one ends', async () => {
    let now = 1_000_000;
    const store = new RateLimiterMemory({ points: 10, duration: 60 });
    const b = budget(store, 10, () => now);
    expect(b.charge('k', 10).allowed).toBe(true);
    await b.flush();
    expect(b.charge('k', 1).allowed).toBe(false);
    now += 61_000;
    expect(b.check('k')).toEqual({ allowed: true });
  });

  it('should never fail a charge when the store and its insurance fail, and keep the budget on this replica', async () => {
    const failing = new RateLimiterMemory({ points: 10, duration: 60 });
    jest.spyOn(failing, 'consume').mockRejectedValue(new Error('connection refused'));
    const b = budget(failing);
    const decisions: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      decisions.push(b.charge('k', 2).allowed);
      await b.flush();
    }
    expect(decisions).toEqual([true, true, true, true, true, false]);
  });

  it('should refuse a single charge larger than the whole budget', () => {
    expect(budget(new RateLimiterMemory({ points: 10, duration: 60 })).charge('k', 11).allowed).toBe(false);
  });
});
