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

export interface RawSocket {
  socket: WebSocket;
  /** Resolves once the handshake succeeded; rejects with `status` when it was refused. */
  opened: Promise<void>;
  /** The close code and reason, and when the close arrived (Date.now()). */
  closed: Promise<{ code: number; reason: string; atMs: number }>;
  send(message: unknown): void;
  /** The first message of `type` (and `id`, when given), waiting up to `timeoutMs`. */
  nextMessage(type: string, timeoutMs?: number, id?: string): Promise<any>;
  /** Sends connection_init with `token` and waits for connection_ack. */
  init(token: string): Promise<void>;
  messages: any[];
}

/** A raw graphql-transport-ws socket, to see close codes, reasons and messages as they are. */
export function rawSocket(url: string, origin?: string): RawSocket {
  const socket = new WebSocket(url, 'graphql-transport-ws', origin ? { headers: { origin } } : {});
  const messages: any[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error('refused'), { status: res.statusCode })));
    socket.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string; atMs: number }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: String(reason), atMs: Date.now() })),
  );
  const send = (message: unknown) => socket.send(JSON.stringify(message));
  const nextMessage = async (type: string, timeoutMs = 5000, id?: string) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = messages.find((m) => m.type === type && (id === undefined || m.id === id));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${type} message${id ? ` for ${id}` : ''}; got ${JSON.stringify(messages)}`);
      await sleep(20);
    }
  };
  const init = async (token: string) => {
    await opened;
    send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await nextMessage('connection_ack');
  };
  return { socket, opened, closed, send, nextMessage, init, messages };
}
