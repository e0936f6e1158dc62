import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

/**
 * The live bench's load generator, a separate process: N graphql-ws clients subscribed to
 * one agency's usage events. Reports to the parent over IPC: when all are subscribed (each
 * has received a live event, not merely connected), and on request the delivery figures
 * (latency from the event's `occurredAt`, lost and duplicated events per client). On
 * "storm" it drops every socket and reconnects them all with `afterSequence`, spread over
 * the given milliseconds.
 *
 * A failed connection (refused, reset, 4408 under load) is reopened by this file, not by
 * graphql-ws's retry: graphql-ws gives up for good on a socket error (it retries close
 * events only), and its retry would resend the first `afterSequence` instead of the last
 * sequence seen. Like a careful dashboard, a subscriber resumes from what it last saw.
 */
const URL = process.env.WS_URL!;
const KEY = process.env.KEY!;
const AGENCY_ID = process.env.AGENCY_ID!;
const COUNT = Number(process.env.SUBSCRIBERS ?? 10_000);
/** New connections per second while subscribing at the start. */
const CONNECT_RATE = Number(process.env.CONNECT_RATE ?? 1_000);

const QUERY = `subscription($agencyId: ID!, $after: String) {
  usageUpdated(agencyId: $agencyId, afterSequence: $after) { sequence occurredAt }
}`;

interface Subscriber {
  client: Client | undefined;
  seen: Set<string>;
  last: string | undefined;
  duplicates: number;
  connected: boolean;
  /** Events seen when the storm started. */
  mark: number;
  /** Increments per (re)open, so a late callback of a disposed client is ignored. */
  generation: number;
}

const latencies: number[] = [];
let connected = 0;
let reopened = 0;
const failures = new Map<string, number>();
const count = (key: string) => failures.set(key, (failures.get(key) ?? 0) + 1);

function open(subscriber: Subscriber, after: string | undefined): void {
  const generation = ++subscriber.generation;
  const client = createClient({
    url: URL,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${KEY}` },
    retryAttempts: 0,
    keepAlive: 30_000,
  });
  subscriber.client = client;
  const reopen = (reason: string) => {
    if (generation !== subscriber.generation) return;
    count(reason);
    reopened += 1;
    if (subscriber.connected) {
      subscriber.connected = false;
      connected -= 1;
    }
    subscriber.generation += 1;
    void client.dispose();
    setTimeout(() => open(subscriber, subscriber.last), 200 + Math.random() * 800);
  };
  client.on('connected', () => {
    if (generation !== subscriber.generation || subscriber.connected) return;
    subscriber.connected = true;
    connected += 1;
  });
  client.subscribe<{ usageUpdated: { sequence: string; occurredAt: string } }>(
    { query: QUERY, variables: { agencyId: AGENCY_ID, after } },
    {
      next: ({ data }) => {
        if (!data || generation !== subscriber.generation) return;
        const { sequence, occurredAt } = data.usageUpdated;
        if (subscriber.seen.has(sequence)) subscriber.duplicates += 1;
        subscriber.seen.add(sequence);
        subscriber.last = sequence;
        latencies.push(Date.now() - Date.parse(occurredAt));
      },
      error: (error: unknown) => {
        const e = error as { code?: number; message?: string } | undefined;
        reopen(String(e?.code ?? e?.message ?? 'error').slice(0, 40));
      },
      complete: () => reopen('completed'),
    },
  );
}

const subscribers: Subscriber[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when every subscriber is connected and has received at least one event. */
async function allSubscribed(label: string, since: (s: Subscriber) => boolean): Promise<void> {
  const started = Date.now();
  let lastLog = started;
  for (;;) {
    const live = subscribers.filter(since).length;
    if (live === COUNT && connected === COUNT) return;
    if (Date.now() - lastLog >= 5000) {
      lastLog = Date.now();
      console.error(`[live-clients] ${label} ${((lastLog - started) / 1000).toFixed(0)} s: connected ${connected}, ` +
        `receiving ${live}, reopened ${reopened} ${JSON.stringify([...failures])}`);
    }
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const perTick = Math.max(1, Math.round(CONNECT_RATE / 100));
  for (let i = 0; i < COUNT; i++) {
    const subscriber: Subscriber = { client: undefined, seen: new Set(), last: undefined, duplicates: 0, connected: false, generation: 0, mark: 0 };
    subscribers.push(subscriber);
    open(subscriber, undefined);
    if (i % perTick === perTick - 1) await sleep(10);
  }
  process.send!({ type: 'connecting' });
  // The parent records a probe call every 250 ms until every subscriber has received one:
  // only then is every subscription registered on the server (connected is not enough).
  await allSubscribed('subscribing', (s) => s.seen.size > 0);
  process.send!({ type: 'ready', connected, reopened, failures: [...failures] });
}

process.on('message', async (message: { type: string; expected?: string[]; spreadMs?: number }) => {
  if (message.type === 'start') {
    latencies.length = 0;
  } else if (message.type === 'report') {
    const expected = message.expected ?? [];
    let lost = 0;
    let duplicates = 0;
    for (const s of subscribers) {
      for (const sequence of expected) if (!s.seen.has(sequence)) lost += 1;
      duplicates += s.duplicates;
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    latencies.length = 0;
    process.send!({ type: 'report', deliveries: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, lost, duplicates });
  } else if (message.type === 'storm') {
    const spread = message.spreadMs ?? 10_000;
    const started = Date.now();
    const reopenedBefore = reopened;
    for (const s of subscribers) {
      s.mark = s.seen.size;
      s.generation += 1;
      void s.client?.dispose();
      s.connected = false;
    }
    connected = 0;
    subscribers.forEach((s, i) => setTimeout(() => open(s, s.last), (i / subscribers.length) * spread));
    // Resubscribed: connected again and received an event after reconnecting (a replayed or a live one).
    await allSubscribed('storm', (s) => s.seen.size > s.mark);
    process.send!({ type: 'stormed', reconnectedInMs: Date.now() - started, reopened: reopened - reopenedBefore });
  } else if (message.type === 'exit') {
    await Promise.all(subscribers.map((s) => s.client?.dispose()));
    process.exit(0);
  }
});

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
