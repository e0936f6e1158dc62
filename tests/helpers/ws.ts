import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

export interface Received<T = any> {
  /** `data` of every `next` message, in arrival order. */
  events: T[];
  /** Errors of `next` messages with errors, or of an `error` message. */
  errors: Array<{ message: string; extensions?: { code?: string } }>;
  /** Resolves when the subscription completes or fails. */
  done: Promise<void>;
  /** Resolves once `count` events have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

/** A graphql-ws client over the `ws` package, authenticated with `token` in connection_init. */
export function wsClient(url: string, token: string | undefined, options: { origin?: string } = {}): Client {
  class OriginSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, options.origin ? { headers: { origin: options.origin } } : {});
    }
  }
  return createClient({
    url,
    webSocketImpl: OriginSocket,
    connectionParams: token === undefined ? {} : { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: true,
    shouldRetry: () => false,
  });
}

/** Subscribes and records everything that arrives. */
export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Received<T> {
  const events: T[] = [];
  const errors: Received['errors'] = [];
  const waiters: Array<() => void> = [];
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const notify = () => waiters.splice(0).forEach((wake) => wake());
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...(result.errors as any));
        if (result.data) events.push(result.data as T);
        notify();
      },
      error: (error: any) => {
        if (Array.isArray(error)) errors.push(...error);
        else errors.push({ message: error?.reason ?? error?.message ?? String(error), extensions: { code: String(error?.code ?? '') } });
        finish();
        notify();
      },
      complete: () => {
        finish();
        notify();
      },
    },
  );
  return {
    events,
    errors,
    done,
    stop,
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out with ${events.length} of ${count} events; errors ${JSON.stringify(errors)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return events.slice(0, count);
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
