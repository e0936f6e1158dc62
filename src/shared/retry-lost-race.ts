import { sqlState } from './batch-isolation';

/**
 * Deadlock detected (40P01) and serialization failure (40001): PostgreSQL aborted this
 * transaction so that a concurrent one could go on. Nothing of it was written, and running
 * it again is the documented remedy.
 */
const LOST_RACE = new Set(['40P01', '40001']);

/** How many times a transaction that keeps losing races is run before its error is thrown. */
export const MAX_RACE_ATTEMPTS = 5;

/** Whether `error` says the transaction lost a deadlock or serialization race (and wrote nothing). */
export function lostRace(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && LOST_RACE.has(code);
}

/**
 * Runs `work` again while it loses a race, at most `maxAttempts` times in all; any other
 * failure, and the last lost race, is thrown. The one retry rule of every writer (group
 * commits, usage ingestion): `work` must be a whole transaction or autocommit statement,
 * so that a lost attempt left nothing behind.
 */
export async function retryLostRace<T>(work: (attempt: number) => Promise<T>, maxAttempts = MAX_RACE_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work(attempt);
    } catch (error) {
      if (attempt >= maxAttempts || !lostRace(error)) throw error;
    }
  }
}
