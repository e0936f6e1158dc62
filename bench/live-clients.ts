import WebSocket from 'ws';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import { profilePhase } from './profile';

/**
 * The live bench's load generator, a separate process: graphql-ws clients subscribed to
 * `usageUpdated`, each on the scope the parent gives it (an agency, or one sub-account).
 * Reports to the parent over IPC: when all are subscribed (each has received a live event,
 * not merely connected), and on request the delivery figures (latency from the event's
 * `occurredAt`, lost and duplicated events per client against the parent's list per scope).
 * On "storm" it drops every socket and reconnects them all with `afterSequence`, spread
 * over the given milliseconds.
 *
 * A failed connection (refused, reset, 4408 under load) is reopened by this file, not by
 * graphql-ws's retry: graphql-ws gives up for good on a socket error (it retries close
 * events only), and its retry would resend the first `afterSequence` instead of the last
 * sequence seen. Like a careful dashboard, a subscriber resumes from what it last saw.
 */
const URL = process.env.WS_URL!;
const KEY = process.env.KEY!;
/** New connections per second while subscribing at the start. */
const CONNECT_RATE = Number(process.env.CONNECT_RATE ?? 1_000);

const QUERY = `subscription($agencyId: ID, $subAccountId: ID, $after: String) {
  usageUpdated(agencyId: $agencyId, subAccountId: $subAccountId, afterSequence: $after) { sequence occurredAt }
}`;

/** What one client watches: an agency (agency-wide) or one sub-account. */
export interface Scope {
  agencyId?: string;
  subAccountId?: string;
}
export const scopeKey = (scope: Scope): string => scope.subAccountId ?? scope.agencyId!;

interface Subscriber {
  scope: Scope;
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
    subscriber.connected = false;
    subscriber.generation += 1;
    void client.dispose();
    setTimeout(() => open(subscriber, subscriber.last), 200 + Math.random() * 800);
  };
  client.on('connected', () => {
    if (generation !== subscriber.generation) return;
    subscriber.connected = true;
  });
  client.subscribe<{ usageUpdated: { sequence: string; occurredAt: string } }>(
    { query: QUERY, variables: { ...subscriber.scope, after } },
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

let subscribers: Subscriber[] = [];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let cpuMark = process.cpuUsage();
let cpuAt = Date.now();
/** This process's CPU share and event-loop delay since the last call (the load generator's own saturation). */
function selfLoad(): string {
  const used = process.cpuUsage(cpuMark);
  const ms = Date.now() - cpuAt;
  cpuMark = process.cpuUsage();
  cpuAt = Date.now();
  const text = `cpu ${(((used.user + used.system) / 1000 / ms) * 100).toFixed(0)}%, loop-lag max ${(lag.max / 1e6).toFixed(0)} ms`;
  lag.reset();
  return text;
}

/** Resolves when every subscriber is connected and has received at least one event. */
async function allSubscribed(label: string, since: (s: Subscriber) => boolean): Promise<void> {
  const started = Date.now();
  let lastLog = started;
  let lastWaiting = 0;
  for (;;) {
    const live = subscribers.filter(since).length;
    const connected = subscribers.filter((s) => s.connected).length;
    if (live === subscribers.length && connected === subscribers.length) return;
    if (Date.now() - lastWaiting >= 1000) {
      // The scopes still waiting for an event, so the parent probes those only.
      lastWaiting = Date.now();
      process.send!({ type: 'waiting', scopes: [...new Set(subscribers.filter((s) => !since(s)).map((s) => scopeKey(s.scope)))] });
    }
    if (Date.now() - lastLog >= 5000) {
      lastLog = Date.now();
      console.error(`[live-clients] ${label} ${((lastLog - started) / 1000).toFixed(0)} s: connected ${connected}, ` +
        `receiving ${live}, reopened ${reopened} ${JSON.stringify([...failures])}; ${selfLoad()}`);
    }
    await sleep(50);
  }
}

async function subscribeAll(scopes: Scope[]): Promise<void> {
  const perTick = Math.max(1, Math.round(CONNECT_RATE / 100));
  reopened = 0;
  failures.clear();
  subscribers = [];
  for (const [i, scope] of scopes.entries()) {
    const subscriber: Subscriber = { scope, client: undefined, seen: new Set(), last: undefined, duplicates: 0, connected: false, generation: 0, mark: 0 };
    subscribers.push(subscriber);
    open(subscriber, undefined);
    if (i % perTick === perTick - 1) await sleep(10);
  }
  process.send!({ type: 'connecting' });
  // The parent records probe calls until every subscriber has received one: only then is
  // every subscription registered on the server (connected is not enough).
  await allSubscribed('subscribing', (s) => s.seen.size > 0);
  process.send!({ type: 'ready', reopened, failures: [...failures] });
}

/**
 * The baseline's clients: plain `ws` sockets on the bench's bare WebSocket server, opened at
 * CONNECT_RATE, reading the same `next` messages (and recording the same latency) as a
 * graphql-ws client does.
 */
let baselineSockets: WebSocket[] = [];
async function openBaseline(url: string, count: number): Promise<void> {
  const perTick = Math.max(1, Math.round(CONNECT_RATE / 100));
  const opened: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const socket = new WebSocket(url);
    baselineSockets.push(socket);
    socket.on('message', (data) => {
      const { payload } = JSON.parse(String(data)) as { payload: { data: { usageUpdated: { occurredAt: string } } } };
      latencies.push(Date.now() - Date.parse(payload.data.usageUpdated.occurredAt));
    });
    opened.push(new Promise((resolve, reject) => socket.once('open', () => resolve()).once('error', reject)));
    if (i % perTick === perTick - 1) await sleep(10);
  }
  await Promise.all(opened);
}

process.on('message', async (message: { type: string; scopes?: Scope[]; expected?: Record<string, string[]>; spreadMs?: number; url?: string; count?: number }) => {
  if (message.type === 'subscribe') {
    await subscribeAll(message.scopes!);
  } else if (message.type === 'start') {
    latencies.length = 0;
  } else if (message.type === 'report') {
    const expected = message.expected ?? {};
    let lost = 0;
    let duplicates = 0;
    let checked = 0;
    for (const s of subscribers) {
      for (const sequence of expected[scopeKey(s.scope)] ?? []) {
        checked += 1;
        if (!s.seen.has(sequence)) lost += 1;
      }
      duplicates += s.duplicates;
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    latencies.length = 0;
    process.send!({ type: 'report', deliveries: sorted.length, checked, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, lost, duplicates });
  } else if (message.type === 'storm') {
    const spread = message.spreadMs ?? 10_000;
    const started = Date.now();
    const cpuBefore = process.cpuUsage();
    const reopenedBefore = reopened;
    for (const s of subscribers) {
      s.mark = s.seen.size;
      s.generation += 1;
      void s.client?.dispose();
      s.connected = false;
    }
    subscribers.forEach((s, i) => setTimeout(() => open(s, s.last), (i / subscribers.length) * spread));
    // Resubscribed: connected again and received an event after reconnecting (a replayed or a live one).
    await profilePhase('storm', 'clients', () => allSubscribed('storm', (s) => s.seen.size > s.mark));
    const cpu = process.cpuUsage(cpuBefore);
    const reconnectedInMs = Date.now() - started;
    process.send!({
      type: 'stormed', reconnectedInMs, reopened: reopened - reopenedBefore,
      cpuShare: (cpu.user + cpu.system) / 1000 / reconnectedInMs,
    });
  } else if (message.type === 'baseline-open') {
    await openBaseline(message.url!, message.count!);
    process.send!({ type: 'baseline-ready' });
  } else if (message.type === 'baseline-close') {
    for (const socket of baselineSockets) socket.terminate();
    baselineSockets = [];
    process.send!({ type: 'baseline-closed' });
  } else if (message.type === 'close') {
    for (const s of subscribers) s.generation += 1;
    await Promise.all(subscribers.map((s) => s.client?.dispose()));
    subscribers = [];
    process.send!({ type: 'closed' });
  } else if (message.type === 'exit') {
    await Promise.all(subscribers.map((s) => s.client?.dispose()));
    process.exit(0);
  }
});
