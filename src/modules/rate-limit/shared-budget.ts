import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../shared/logger';

/** What a charge answered: admitted, or refused until the window ends. */
export type Decision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** One key's view of its window on this replica. */
interface KeyState {
  /** Points the shared store had counted at its last answer (or this replica's estimate without one). */
  consumed: number;
  /** Admitted here and sent to the store, answer pending. */
  inFlight: number;
  /** Admitted here and not sent yet. */
  pending: number;
  /** When the window ends (epoch ms): the store's expiry once it has answered, else a local estimate. */
  resetAt: number;
  /** Whether the store has answered for the current window. */
  known: boolean;
  syncing: boolean;
}

/** How often a failing store is reported (one warning, not one per sync). */
const STORE_WARNING_INTERVAL_MS = 10_000;
/** How often states of finished windows are dropped. */
const SWEEP_INTERVAL_MS = 5_000;

/**
 * A budget of `points` per key and `windowSeconds`, shared by every replica through a
 * rate-limiter-flexible store, without a store round trip on the request path.
 *
 * `charge` decides synchronously from this replica's view: the count the store last
 * answered, plus what this replica admitted since. Admitted points are sent to the store
 * aggregated, one `consume(key, points)` per key every `syncMs`, and at once for a key this
 * replica has not heard the store about in the current window; each answer replaces the
 * view with the store's count (every replica's traffic) and expiry.
 *
 * Overshoot: a replica admits against a count at most one sync old, so the store can end a
 * window above `points` by what the other replicas admitted during one sync interval (plus
 * the round trip) after the budget ran out, and a replica that has not heard from the store
 * yet in a window admits at most one budget before its first answer arrives (it asks at its
 * first request). One replica alone never exceeds `points`.
 *
 * A store failure never fails a request: the limiter is built with an in-memory insurance
 * limiter (see rate-limit-store.ts), and should that fail too, the points stay in the local
 * view, so each replica keeps enforcing the budget on its own traffic.
 */
export class SharedBudget {
  private readonly states = new Map<string, KeyState>();
  private readonly dirty = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly windowMs: number;
  private lastSweep = 0;
  private lastWarning = 0;
  private readonly syncs = new Set<Promise<void>>();

  constructor(
    private readonly store: RateLimiterAbstract,
    readonly points: number,
    windowSeconds: number,
    syncMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = windowSeconds * 1000;
    this.timer = setInterval(() => this.syncDirty(), syncMs);
    this.timer.unref();
  }

  /** Admits `cost` points for `key` if they fit in its window; no I/O. */
  charge(key: string, cost: number): Decision {
    const now = this.now();
    const state = this.stateOf(key, now);
    const points = Math.max(1, Math.ceil(cost));
    if (state.consumed + state.inFlight + state.pending + points > this.points) return this.refusal(state, now);
    state.pending += points;
    if (!state.known && !state.syncing) this.track(this.sync(key, state));
    else this.dirty.add(key);
    return { allowed: true };
  }

  /** Whether `key` could not spend `cost` now (nothing is charged). */
  check(key: string, cost = 1): Decision {
    const now = this.now();
    const state = this.states.get(key);
    if (!state || now >= state.resetAt) return { allowed: true };
    return state.consumed + state.inFlight + state.pending + cost > this.points ? this.refusal(state, now) : { allowed: true };
  }

  /** Sends every pending charge and waits for the answers. */
  async flush(): Promise<void> {
    // A key charged while its sync was in flight is sent after that sync answers: repeat until nothing is left.
    for (;;) {
      this.syncDirty();
      if (this.syncs.size === 0) return;
      await Promise.all([...this.syncs]);
    }
  }

  /** Stops the timer and sends what is pending. */
  async dispose(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private refusal(state: KeyState, now: number): Decision {
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((state.resetAt - now) / 1000)) };
  }

  private stateOf(key: string, now: number): KeyState {
    let state = this.states.get(key);
    if (!state) {
      state = { consumed: 0, inFlight: 0, pending: 0, resetAt: now + this.windowMs, known: false, syncing: false };
      this.states.set(key, state);
    } else if (now >= state.resetAt) {
      // A new window: what is still in flight was sent and counts where the store puts it.
      state.consumed = 0;
      state.resetAt = now + this.windowMs;
      state.known = false;
    }
    return state;
  }

  private syncDirty(): void {
    const now = this.now();
    for (const key of this.dirty) {
      const state = this.states.get(key);
      this.dirty.delete(key);
      if (state && !state.syncing && state.pending > 0) this.track(this.sync(key, state));
    }
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) {
      this.lastSweep = now;
      for (const [key, state] of this.states) {
        if (now >= state.resetAt && state.pending === 0 && !state.syncing) this.states.delete(key);
      }
    }
  }

  private track(sync: Promise<void>): void {
    this.syncs.add(sync);
    void sync.finally(() => this.syncs.delete(sync));
  }

  private async sync(key: string, state: KeyState): Promise<void> {
    const sent = state.pending;
    state.pending = 0;
    state.inFlight += sent;
    state.syncing = true;
    let answer: RateLimiterRes | undefined;
    try {
      answer = await this.store.consume(key, sent);
    } catch (error) {
      if (error instanceof RateLimiterRes) answer = error; // over the budget: the store counted it and says until when
      else this.warn(error);
    }
    state.inFlight -= sent;
    state.syncing = false;
    if (answer) {
      state.consumed = answer.consumedPoints;
      if (answer.msBeforeNext > 0) state.resetAt = this.now() + answer.msBeforeNext;
      state.known = true;
    } else {
      // Neither the store nor its insurance answered: keep the points in this replica's view.
      state.consumed += sent;
    }
    if (state.pending > 0) this.dirty.add(key);
  }

  private warn(error: unknown): void {
    const now = this.now();
    if (now - this.lastWarning < STORE_WARNING_INTERVAL_MS) return;
    this.lastWarning = now;
    this.logger.warn('rate-limit store failed; budgets are enforced per replica until it answers', {
      message: error instanceof Error ? error.message : String(error),
    });
  }
}
