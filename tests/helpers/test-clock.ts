import type { Clock } from '../../src/shared/clock';

/**
 * A clock a test moves by hand: the machine's time until `set`, then that instant (until
 * moved again or `reset`). Given to `startTestApp`, it dates sub-account adds, removals and
 * restores, so a test can walk through billing cycles and run the monthly job at the same times.
 */
export class TestClock implements Clock {
  private fixed: Date | undefined;

  now(): Date {
    return new Date(this.fixed ?? Date.now());
  }

  set(at: Date | string): void {
    this.fixed = new Date(at);
  }

  advance(ms: number): Date {
    this.fixed = new Date(this.now().getTime() + ms);
    return this.now();
  }

  reset(): void {
    this.fixed = undefined;
  }
}
