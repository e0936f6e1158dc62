import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

/**
 * The live bench's load generator, a separate process: N graphql-ws clients subscribed to
 * one agency's usage events. Reports to the parent over IPC: when all are subscribed, and
 * on request the delivery figures (latency from the event's `occurredAt`, lost and
 * duplicated events per client). On "storm" it drops every socket and reconnects them all
 * with `afterSequence`, spread over the given milliseconds.
 */
const URL = process.env.WS_URL!;
const KEY = process.env.KEY!;
const AGENCY_ID = process.env.AGENCY_ID!;
const COUNT = Number(process.env.SUBSCRIBERS ?? 10_000);

const QUERY = `subscription($agencyId: ID!, $after: String) {
  usageUpdated(agencyId: $agencyId, afterSequence: $after) { sequence occurredAt }
}`;

interface Subscriber {
  client: Client;
  seen: Set<string>;
  last: string | undefined;
  duplicates: number;
}

const latencies: number[] = [];
let subscribed = 0;

function open(subscriber: Subscriber, after: string | undefined): void {
  subscriber.client = createClient({
    url: URL,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${KEY}` },
    retryAttempts: 20,
    keepAlive: 30_000,
  });
  let first = true;
  subscriber.client.subscribe<{ usageUpdated: { sequence: string; occurredAt: string } }>(
    { query: QUERY, variables: { agencyId: AGENCY_ID, after } },
    {
      next: ({ data }) => {
        if (!data) return;
        const { sequence, occurredAt } = data.usageUpdated;
        if (subscriber.seen.has(sequence)) subscriber.duplicates += 1;
        subscriber.seen.add(sequence);
        subscriber.last = sequence;
        latencies.push(Date.now() - Date.parse(occurredAt));
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  subscriber.client.on('connected', () => {
    if (first) {
      first = false;
      subscribed += 1;
    }
  });
}

const subscribers: Subscriber[] = [];

async function main(): Promise<void> {
  for (let i = 0; i < COUNT; i++) {
    const subscriber: Subscriber = { client: undefined as unknown as Client, seen: new Set(), last: undefined, duplicates: 0 };
    subscribers.push(subscriber);
    open(subscriber, undefined);
    if (i % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  while (subscribed < COUNT) await new Promise((resolve) => setTimeout(resolve, 100));
  // Subscriptions are registered right after `connected`; a short settle keeps the first event from racing them.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  process.send!({ type: 'ready', subscribed });
}

process.on('message', async (message: { type: string; expected?: string[]; spreadMs?: number }) => {
  if (message.type === 'report') {
    const expected = new Set(message.expected);
    let lost = 0;
    let duplicates = 0;
    for (const s of subscribers) {
      for (const sequence of expected) if (!s.seen.has(sequence)) lost += 1;
      duplicates += s.duplicates;
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    latencies.length = 0;
    process.send!({ type: 'report', deliveries: sorted.length, p50: at(0.5), p99: at(0.99), lost, duplicates });
  } else if (message.type === 'storm') {
    const spread = message.spreadMs ?? 10_000;
    const started = Date.now();
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    subscribed = 0;
    subscribers.forEach((s, i) => setTimeout(() => open(s, s.last), (i / subscribers.length) * spread));
    while (subscribed < COUNT) await new Promise((resolve) => setTimeout(resolve, 100));
    process.send!({ type: 'stormed', reconnectedInMs: Date.now() - started });
  } else if (message.type === 'exit') {
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    process.exit(0);
  }
});

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
