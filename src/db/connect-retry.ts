import { Client } from 'pg';
import type { Logger } from '../shared/logger';

/** Errors that a later attempt may not see: the server is down, restarting, or not reachable yet. */
const TRANSIENT_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);
/** SQLSTATEs of a server that is starting or shutting down (57P03 cannot_connect_now, 57P01/02 shutdown, 53300 too many connections). */
const TRANSIENT_SQLSTATE = new Set(['57P01', '57P02', '57P03', '53300']);

/** TypeORM's errors for a query runner it released, which it does when the connection failed (below). */
const RELEASED_RUNNER = new Set(['QueryRunnerProviderAlreadyReleasedError', 'QueryRunnerAlreadyReleasedError']);

/** Whether an error of pg (or of a connection it lost) is worth a retry: no answer, or a server not ready. */
export function isTransientConnectionError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (TRANSIENT_NETWORK.has(code) || TRANSIENT_SQLSTATE.has(code) || code.startsWith('08'))) return true;
  if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(message)) return true;
  // TypeORM releases a transaction's query runner when its connection emits 'error' (a
  // terminated backend, a restart): the transaction's next query then throws this instead of
  // the connection's error (through the EntityManager; the runner's own methods throw the
  // second name). Nothing of the transaction committed; found by `npm run soak`.
  if (RELEASED_RUNNER.has(String((error as { name?: unknown }).name))) return true;
  // Wrapped on the way up: graphql-js (originalError; thrownValue for what is not an Error,
  // such as pg's connect failure), `cause`, an AggregateError's `errors` (a dual-stack connect).
  const wrapped = error as { originalError?: unknown; thrownValue?: unknown; cause?: unknown; errors?: unknown };
  const inner = [wrapped.originalError, wrapped.thrownValue, wrapped.cause, ...(Array.isArray(wrapped.errors) ? wrapped.errors : [])];
  return inner.some((candidate) => candidate !== error && isTransientConnectionError(candidate, depth + 1));
}

/** host:port of a connection string, for messages (never its credentials). */
export function serverOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`;
}

/** First wait, growth factor and ceiling of the backoff between attempts. */
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/**
 * Waits until PostgreSQL at `url` answers a query, retrying with exponential backoff (250 ms
 * doubling, at most 5 s apart) for up to `timeoutSeconds`; then throws an error naming the
 * server, the time waited and the last cause. Errors a retry cannot fix (wrong password, no
 * such database) are thrown at once. Probed with a client of its own before the pool exists:
 * a TypeORM DataSource whose first initialize failed is not reliably reusable.
 */
export async function waitForDatabase(url: string, timeoutSeconds: number, logger: Logger): Promise<void> {
  const server = serverOf(url);
  const deadline = Date.now() + timeoutSeconds * 1000;
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    const remaining = deadline - Date.now();
    // A black-holed address would otherwise hang the attempt for the kernel's TCP timeout.
    const client = new Client({ connectionString: url, connectionTimeoutMillis: Math.max(1_000, Math.min(remaining, 10_000)) });
    client.on('error', () => undefined); // a connection lost after connect() is reported by the query
    try {
      await client.connect();
      await client.query('SELECT 1');
      if (attempt > 1) logger.info('PostgreSQL reachable', { server, attempts: attempt });
      return;
    } catch (error) {
      const cause = (error as Error).message || String((error as { code?: string }).code);
      if (!isTransientConnectionError(error)) {
        throw new Error(`cannot use PostgreSQL at ${server}: ${cause}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `PostgreSQL at ${server} unreachable after ${attempt} attempt(s) over ${timeoutSeconds} s ` +
            `(DB_CONNECT_TIMEOUT_SECONDS): ${cause}`,
        );
      }
      const wait = Math.min(delay, left);
      logger.warn(`cannot reach PostgreSQL at ${server} (${cause}); retrying in ${wait} ms`, { server, attempt, cause });
      await new Promise((resolve) => setTimeout(resolve, wait));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
