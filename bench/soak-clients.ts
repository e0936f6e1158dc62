import http from 'node:http';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { percentile, postJson } from './harness';

/**
 * The soak's clients, in a process of their own (forked by soak.ts) so the server's process
 * holds only the server: dashboards, transfers and usage batches over HTTP at fixed rates, and
 * subscribers that churn (connect, hold for a while, disconnect, resume from the last sequence
 * they saw). Every request that got no answer, or a retryable refusal, is retried with its
 * idempotency key (transfers) or external call id (usage) until it is answered, as a careful
 * client does; at the end every subscriber is checked against the outbox: each event of its
 * stream after the sequence it first resumed from to the last one written, received exactly once,
 * in order.
 */
/** Subscriber sockets per AGENCY_ADMIN key: under the server's per-key cap (WS_MAX_SOCKETS_PER_KEY, 50). */
export const SOCKETS_PER_KEY = 40;

export interface SoakAgency {
  agencyId: string;
  /** AGENCY_ADMIN keys: the first for HTTP, all of them for subscribers (a key holds 50 sockets at most). */
  adminKeys: string[];
  ingestKey: string;
  subAccountIds: string[];
}

export interface SoakClientSpec {
  port: number;
  runId: string;
  seconds: number;
  agencies: SoakAgency[];
  subscribers: number;
  dashboardsPerSecond: number;
  transfersPerSecond: number;
  usageBatchesPerSecond: number;
  callsPerBatch: number;
  reportEverySeconds: number;
  /** How long a subscriber holds its connection before it leaves and resumes: uniform in [min, max] seconds. */
  holdSeconds: [number, number];
}

/** One operation kind's figures over a report window. */
export interface OpWindow {
  ok: number;
  /** Answers that were errors or retryable refusals, by code (each retried). */
  failed: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
}

export interface SoakWindow {
  type: 'window';
  atSeconds: number;
  ops: Record<'dashboard' | 'transfer' | 'usage', OpWindow>;
  subscribers: { connected: number; deliveries: number; reopened: Record<string, number>; churned: number };
}

export interface SoakCheck {
  type: 'checked';
  subscribers: number;
  /** Subscribers that resumed at least once (the others started "from now" and are not checked for loss). */
  resumedSubscribers: number;
  checkedEvents: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  /** Subscribers that had not received their stream's last event when the check gave up waiting. */
  behind: number;
  /** A few lost events, to tell why: the stream, the event, the subscriber's (re)connections. */
  lostSample: Array<{ stream: string; scope: string; sequence: string; opens: number }>;
  /** A few of them, to tell why. */
  behindSample: Array<{ stream: string; scope: string; connected: boolean; seen: number; last?: string; expectedLast?: string }>;
}

export interface SoakLoadsDone {
  type: 'loads-done';
  transfers: { moved: number; refused: Record<string, number>; retries: number; unresolved: number };
  calls: { recorded: number; refused: Record<string, number>; retries: number; unresolved: number };
  /** Each answered transfer key and the transfer id it got (the parent checks the ledger holds each exactly once). */
  transferIds: Record<string, string>;
}

const DASHBOARD = `query($id: ID!) { agency(id: $id) { id name subAccountSlotsRemaining subAccounts(first: 50) { totalCount edges { node {
  id name status wallet { balance { amount } } markup(tier: PREMIUM) { amount } minutePrice(tier: PREMIUM) { amount }
  usage { totalMinutes spent { amount } } health { level signals } } } } } }`;
const TRANSFER = `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code } } }`;
const USAGE = `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { calls { id } userErrors { code } } }`;
const STREAMS = {
  usage: `subscription($agencyId: ID, $subAccountId: ID, $after: String) { usageUpdated(agencyId: $agencyId, subAccountId: $subAccountId, afterSequence: $after) { sequence } }`,
  balance: `subscription($agencyId: ID, $subAccountId: ID, $after: String) { walletBalanceChanged(agencyId: $agencyId, subAccountId: $subAccountId, afterSequence: $after) { sequence } }`,
};
export type StreamName = keyof typeof STREAMS;
/** What a subscriber watches, as the parent names it when it sends the expected sequences. */
export const streamKey = (stream: StreamName, scopeId: string) => `${stream}:${scopeId}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];

/** Latencies and failures of one operation kind since the last window. */
class OpStats {
  private latencies: number[] = [];
  private failed: Record<string, number> = {};
  private ok = 0;
  record(ms: number, failure?: string): void {
    this.latencies.push(ms);
    if (failure) this.failed[failure] = (this.failed[failure] ?? 0) + 1;
    else this.ok += 1;
  }
  take(): OpWindow {
    const sorted = this.latencies.sort((a, b) => a - b);
    const window = { ok: this.ok, failed: this.failed, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
    this.latencies = [];
    this.failed = {};
    this.ok = 0;
    return window;
  }
}

/** The code of a failed answer (GraphQL error code, or the transport's), undefined when it succeeded. */
function failureOf(response: { data?: any; errors?: any[] } | Error): string | undefined {
  if (response instanceof Error) return `transport:${(response as NodeJS.ErrnoException).code ?? response.message.slice(0, 30)}`;
  const error = response.errors?.[0];
  return error ? String(error.extensions?.code ?? 'NO_CODE') : undefined;
}

let agent: http.Agent;
let spec: SoakClientSpec;
let running = true;
const stats = { dashboard: new OpStats(), transfer: new OpStats(), usage: new OpStats() };

async function post(key: string, body: object, op: keyof typeof stats): Promise<{ data?: any } | undefined> {
  const t0 = performance.now();
  const response = await postJson(agent, spec.port, key, body).catch((error: Error) => error);
  const failure = failureOf(response);
  stats[op].record(performance.now() - t0, failure);
  return failure ? undefined : (response as { data?: any });
}

/** Calls `operation` perSecond times a second until the loads stop, without waiting for answers (an open loop). */
async function paced(perSecond: number, operation: () => Promise<void>, inFlight: Set<Promise<void>>): Promise<void> {
  if (perSecond <= 0) return;
  const started = performance.now();
  for (let k = 0; running; k++) {
    const wait = started + (k * 1000) / perSecond - performance.now();
    if (wait > 0) await sleep(wait);
    if (!running) break;
    const call = operation().finally(() => inFlight.delete(call));
    inFlight.add(call);
  }
}

const transferIds: Record<string, string> = {};
const refused: Record<string, number> = {};
const callsRefused: Record<string, number> = {};
let callsRecorded = 0;
/** Per kind: requests sent and not yet answered, and the retries they took. */
const unanswered = { transfer: 0, usage: 0 };
const retries = { transfer: 0, usage: 0 };

/**
 * Sends `send` until it is answered (a payload, not a transport error or a retryable refusal),
 * with the same idempotency key or call ids each time, backing off 200 ms doubling to 2 s.
 */
async function untilAnswered<T>(kind: 'transfer' | 'usage', send: () => Promise<T | undefined>): Promise<T> {
  unanswered[kind] += 1;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      retries[kind] += 1;
      await sleep(Math.min(2_000, 100 * 2 ** attempt));
    }
    const answer = await send();
    if (answer !== undefined) {
      unanswered[kind] -= 1;
      return answer;
    }
  }
}

/** One transfer, retried with the same idempotency key until answered (moved or refused with a userError). */
async function transfer(n: number): Promise<void> {
  const agency = pick(spec.agencies);
  const from = pick(agency.subAccountIds);
  let to = pick(agency.subAccountIds);
  while (to === from) to = pick(agency.subAccountIds);
  const key = `soak-${spec.runId}-t${n}`;
  const input = { fromSubAccountId: from, toSubAccountId: to, tier: 'PREMIUM', minutes: '0.5', idempotencyKey: key };
  const payload = await untilAnswered('transfer', async () =>
    (await post(agency.adminKeys[0], { query: TRANSFER, variables: { input } }, 'transfer'))?.data?.transferMinutes);
  if (payload.transfer) transferIds[key] = payload.transfer.id;
  else for (const e of payload.userErrors) refused[e.code] = (refused[e.code] ?? 0) + 1;
}

/** One batch of calls, retried with the same external call ids until answered. */
async function usageBatch(n: number): Promise<void> {
  const agency = pick(spec.agencies);
  const inputs = Array.from({ length: spec.callsPerBatch }, (_, i) => ({
    subAccountId: pick(agency.subAccountIds), externalCallId: `soak-${spec.runId}-c${n}-${i}`, tier: 'PREMIUM',
    status: Math.random() < 0.9 ? 'COMPLETED' : 'FAILED', durationSeconds: 30 + Math.floor(Math.random() * 120),
    startedAt: new Date(Date.now() - 300_000).toISOString(),
  }));
  const payload = await untilAnswered('usage', async () =>
    (await post(agency.ingestKey, { query: USAGE, variables: { inputs } }, 'usage'))?.data?.recordCallUsageBatch);
  callsRecorded += payload.calls.length;
  for (const e of payload.userErrors) callsRefused[e.code] = (callsRefused[e.code] ?? 0) + 1;
}

async function dashboard(): Promise<void> {
  const agency = pick(spec.agencies);
  await post(agency.adminKeys[0], { query: DASHBOARD, variables: { id: agency.agencyId } }, 'dashboard');
}

interface Subscriber {
  stream: StreamName;
  scope: { agencyId?: string; subAccountId?: string };
  key: string;
  client?: Client;
  generation: number;
  connected: boolean;
  /**
   * The last sequence seen when this subscriber first resumed: the check starts after it. A
   * subscription without `afterSequence` starts "from now" (rows of transactions committed
   * before it are history, even with a greater sequence than its first event), so only
   * resumes have an exact start.
   */
  resumedAfter?: string;
  last?: string;
  seen: Set<string>;
  duplicated: number;
  outOfOrder: number;
  /** When this connection is dropped on purpose (churn); Infinity once churn stops. */
  leaveAt: number;
}

const subscribers: Subscriber[] = [];
const reopened: Record<string, number> = {};
let deliveries = 0;
let churned = 0;
let churning = true;

const scopeId = (s: Subscriber) => s.scope.subAccountId ?? s.scope.agencyId!;

function open(s: Subscriber): void {
  const generation = ++s.generation;
  s.resumedAfter ??= s.last;
  const client = createClient({
    url: `ws://127.0.0.1:${spec.port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, keepAlive: 30_000,
    connectionParams: { authorization: `Bearer ${s.key}` },
  });
  s.client = client;
  const [minHold, maxHold] = spec.holdSeconds;
  s.leaveAt = churning ? Date.now() + (minHold + Math.random() * (maxHold - minHold)) * 1000 : Infinity;
  const reopen = (reason: string) => {
    if (generation !== s.generation) return;
    reopened[reason] = (reopened[reason] ?? 0) + 1;
    s.connected = false;
    s.generation += 1;
    void client.dispose();
    setTimeout(() => open(s), 200 + Math.random() * 800);
  };
  client.on('connected', () => {
    if (generation === s.generation) s.connected = true;
  });
  client.subscribe<Record<string, { sequence: string }>>(
    { query: STREAMS[s.stream], variables: { ...s.scope, after: s.last } },
    {
      next: ({ data }) => {
        if (!data || generation !== s.generation) return;
        const { sequence } = Object.values(data)[0];
        deliveries += 1;
        if (s.seen.has(sequence)) s.duplicated += 1;
        else if (s.last !== undefined && sequence < s.last) s.outOfOrder += 1;
        s.seen.add(sequence);
        if (s.last === undefined || sequence > s.last) s.last = sequence;
      },
      error: (error: unknown) => {
        const e = error as { code?: number; message?: string; [k: number]: any } | undefined;
        const code = Array.isArray(error) ? String(error[0]?.extensions?.code ?? 'graphql') : String(e?.code ?? e?.message ?? 'error');
        reopen(code.slice(0, 40));
      },
      complete: () => reopen('completed'),
    },
  );
}

/** Every second: the subscribers whose time is up leave and come back a moment later with `afterSequence`. */
async function churn(): Promise<void> {
  while (churning) {
    const now = Date.now();
    for (const s of subscribers) {
      if (s.leaveAt > now || !s.connected) continue;
      churned += 1;
      s.generation += 1;
      s.connected = false;
      void s.client?.dispose();
      setTimeout(() => open(s), 200 + Math.random() * 1_800);
    }
    await sleep(1_000);
  }
}

function openSubscribers(): void {
  for (let i = 0; i < spec.subscribers; i++) {
    const agency = spec.agencies[i % spec.agencies.length];
    // One in fifty watches the whole agency (every call and transfer of it); the others one client.
    const agencyWide = i % 50 === 0;
    const scope = agencyWide ? { agencyId: agency.agencyId } : { subAccountId: agency.subAccountIds[Math.floor(i / spec.agencies.length) % agency.subAccountIds.length] };
    // A fleet of dashboards with keys of their own, each key under the per-key socket cap.
    const key = agency.adminKeys[Math.floor(i / spec.agencies.length / SOCKETS_PER_KEY) % agency.adminKeys.length];
    const s: Subscriber = { stream: i % 2 === 0 ? 'balance' : 'usage', scope, key, generation: 0, connected: false, seen: new Set(), duplicated: 0, outOfOrder: 0, leaveAt: 0 };
    subscribers.push(s);
    setTimeout(() => open(s), (i / spec.subscribers) * 10_000);
  }
}

function report(started: number): SoakWindow {
  const window: SoakWindow = {
    type: 'window',
    atSeconds: Math.round((Date.now() - started) / 1000),
    ops: { dashboard: stats.dashboard.take(), transfer: stats.transfer.take(), usage: stats.usage.take() },
    subscribers: { connected: subscribers.filter((s) => s.connected).length, deliveries, reopened: { ...reopened }, churned },
  };
  deliveries = 0;
  churned = 0;
  for (const k of Object.keys(reopened)) delete reopened[k];
  return window;
}

async function runLoads(): Promise<void> {
  agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  openSubscribers();
  void churn();
  const started = Date.now();
  const reporter = setInterval(() => process.send!(report(started)), spec.reportEverySeconds * 1000);
  const inFlight = new Set<Promise<void>>();
  let transfers = 0;
  let batches = 0;
  setTimeout(() => (running = false), spec.seconds * 1000);
  await Promise.all([
    paced(spec.dashboardsPerSecond, dashboard, inFlight),
    paced(spec.transfersPerSecond, () => transfer(transfers++), inFlight),
    paced(spec.usageBatchesPerSecond, () => usageBatch(batches++), inFlight),
  ]);
  // Stopped sending: what is still in flight is retried until answered, for at most a minute.
  await Promise.race([Promise.all(inFlight), sleep(60_000)]);
  clearInterval(reporter);
  process.send!(report(started));
  churning = false;
  for (const s of subscribers) s.leaveAt = Infinity;
  const done: SoakLoadsDone = {
    type: 'loads-done',
    transfers: { moved: Object.keys(transferIds).length, refused, retries: retries.transfer, unresolved: unanswered.transfer },
    calls: { recorded: callsRecorded, refused: callsRefused, retries: retries.usage, unresolved: unanswered.usage },
    transferIds,
  };
  process.send!(done);
}

/**
 * Waits (at most `waitMs`) until every subscriber has its stream's last event, then checks
 * each against the outbox from its first resume to the end: lost, duplicated, out of order.
 */
async function check(expected: Record<string, string[]>, waitMs: number): Promise<SoakCheck> {
  const lastOf = (s: Subscriber) => expected[streamKey(s.stream, scopeId(s))]?.at(-1);
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline && subscribers.some((s) => lastOf(s) !== undefined && s.last !== lastOf(s))) await sleep(250);
  const result: SoakCheck = { type: 'checked', subscribers: subscribers.length, resumedSubscribers: 0, checkedEvents: 0, lost: 0, duplicated: 0, outOfOrder: 0, behind: 0, lostSample: [], behindSample: [] };
  for (const s of subscribers) {
    result.duplicated += s.duplicated;
    result.outOfOrder += s.outOfOrder;
    if (lastOf(s) !== undefined && s.last !== lastOf(s)) {
      result.behind += 1;
      if (result.behindSample.length < 3) {
        result.behindSample.push({ stream: s.stream, scope: scopeId(s), connected: s.connected, seen: s.seen.size, last: s.last, expectedLast: lastOf(s) });
      }
    }
    if (s.resumedAfter === undefined) continue;
    result.resumedSubscribers += 1;
    for (const sequence of expected[streamKey(s.stream, scopeId(s))] ?? []) {
      if (sequence <= s.resumedAfter) continue;
      result.checkedEvents += 1;
      if (s.seen.has(sequence)) continue;
      result.lost += 1;
      if (result.lostSample.length < 5) result.lostSample.push({ stream: s.stream, scope: scopeId(s), sequence, opens: s.generation });
    }
  }
  return result;
}

process.on('message', async (message: { type: string; spec?: SoakClientSpec; expected?: Record<string, string[]>; waitMs?: number }) => {
  if (message.type === 'start') {
    spec = message.spec!;
    await runLoads();
  } else if (message.type === 'check') {
    process.send!(await check(message.expected!, message.waitMs ?? 60_000));
  } else if (message.type === 'exit') {
    for (const s of subscribers) s.generation += 1;
    await Promise.all(subscribers.map((s) => s.client?.dispose()));
    agent?.destroy();
    process.exit(0);
  }
});
