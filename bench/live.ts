import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { toGlobalId } from '../src/shared/global-id';
import { fmt, openBenchEnv, type BenchEnv } from './harness';
import { recordRow } from './results';
import { profilePhase } from './profile';
import type { Scope } from './live-clients';

/**
 * Server-side delivery times: when this process (the server) hands each `next` message to
 * its socket, minus the event's occurredAt. Beside the clients' figure it separates the
 * server's fan-out from the load generator's own receive queue (one process reading 10,000
 * sockets). Bench-only instrumentation of ws's send.
 */
const serverSends: number[] = [];
function instrumentSends(): void {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data: any, ...rest: any[]) {
    if (typeof data === 'string' && data.includes('"type":"next"')) {
      const at = data.indexOf('"occurredAt":"');
      if (at >= 0) serverSends.push(Date.now() - Date.parse(data.slice(at + 14, at + 38)));
    }
    return (send as any).call(this, data, ...rest);
  } as typeof send;
}
const percentiles = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
};

/**
 * Live delivery: SUBSCRIBERS graphql-ws clients (in a separate load-generator process) on
 * one server process, subscribed to `usageUpdated`, while calls are recorded at a steady
 * rate, in two shapes (`BENCH_LIVE_SHAPES`, default both):
 *
 * - `broadcast`: every subscriber watches one agency, which records CALLS_PER_SECOND calls:
 *   each event goes to every socket (the worst case for one process).
 * - `spread`: AGENCIES agencies with two sub-accounts each (the primary and one client),
 *   SUBSCRIBERS / AGENCIES monitors per agency, half agency-wide and half on one of its
 *   sub-accounts; SPREAD_CALLS_PER_SECOND calls spread at random over every sub-account.
 *
 * Reports event-to-client latency (from the event's `occurredAt`, so it includes the
 * recording transaction), lost and duplicated events, server memory per subscriber, and a
 * reconnect storm: every client reconnects with `afterSequence` within 10 s while calls
 * keep coming, and must end with every event of its scope exactly once.
 */
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const CALLS_PER_SECOND = Number(process.env.BENCH_CALLS_PER_SECOND ?? 2);
const AGENCIES = Number(process.env.BENCH_AGENCIES ?? 1_000);
const SPREAD_CALLS_PER_SECOND = Number(process.env.BENCH_SPREAD_CALLS_PER_SECOND ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECT_RATE = Number(process.env.BENCH_CONNECT_RATE ?? 1_000);
const SHAPES = (process.env.BENCH_LIVE_SHAPES ?? 'broadcast,spread').split(',').map((s) => s.trim()).filter(Boolean);

type Message = { type: string; [key: string]: any };

interface Shape {
  name: string;
  label: string;
  /** One per subscriber. */
  scopes: Scope[];
  /** Where the steady calls go (at random). */
  subAccountIds: string[];
  /** Per scope key (agency or sub-account global id), the sub-account a probe call goes to. */
  probeTargets: Map<string, string>;
  callsPerSecond: number;
  /** Every steady call reaches every subscriber (no probes needed to see that all are back). */
  steadyReachesAll: boolean;
}

interface ShapeResult {
  shape: Shape;
  connectSeconds: number;
  ready: Message;
  perSubscriberKb: number;
  perSubscriberHeapKb: number;
  live: Message;
  serverLive: { p50: number; p99: number };
  serverCpuSteady: number;
  stormed: Message;
  serverCpuStorm: number;
  serverStorm: { p50: number; p99: number };
  afterStorm: Message;
  replays: { fromTable: number; fromMemory: number; backfills: number };
}

export async function run(): Promise<void> {
  instrumentSends();
  const env = await openBenchEnv(16);
  const debugTimer = process.env.BENCH_LIVE_DEBUG ? debugLog(env) : undefined;
  let clients: ChildProcess | undefined;
  try {
    clients = fork(path.join(__dirname, 'live-clients.js'), [], {
      env: { ...process.env, WS_URL: env.url.replace('http', 'ws'), KEY: env.platformKey, CONNECT_RATE: String(CONNECT_RATE) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const results: ShapeResult[] = [];
    // The floor for the broadcast shape on this machine: the same fan-out from a bare ws server.
    const baseline = SHAPES.includes('broadcast') ? await bareBroadcast(clients) : undefined;
    if (baseline) printBaseline(baseline);
    for (const name of SHAPES) {
      // The keep-alive socket may have been closed by the server while idle: a harmless
      // request with retries first, so the seeding mutations (not idempotent) get a live one.
      await retried(() => env.gql(`{ viewer { role } }`));
      const shape = name === 'broadcast' ? await broadcastShape(env) : name === 'spread' ? await spreadShape(env) : undefined;
      if (!shape) throw new Error(`unknown live shape "${name}" (broadcast, spread)`);
      results.push(await runShape(env, clients, shape));
      if (SHAPES.length > 1) printTable(results.slice(-1));
    }
    clients.send({ type: 'exit' });
    if (baseline) printBaseline(baseline);
    printTable(results);
    recordLiveRows(results, baseline);
  } finally {
    clients?.kill();
    if (debugTimer) clearInterval(debugTimer);
    await env.close();
  }
}

interface BaselineResult {
  report: Message;
  /** From the start of the fan-out to each socket write (the server's own part). */
  server: { p50: number; p99: number };
  serverCpu: number;
}

/**
 * Baseline for the broadcast shape, in the same run: a bare `ws` server in this process sends
 * CALLS_PER_SECOND messages per second to SUBSCRIBERS plain sockets of the load generator,
 * each message the size and shape of a graphql-ws `next` of `usageUpdated`, stringified per
 * socket as graphql-ws does (its id differs per subscription). No database, no GraphQL, no
 * authorization: what one process pays to write an event to every socket, which is the
 * floor under the broadcast shape's latency on this machine.
 */
async function bareBroadcast(generator: ChildProcess): Promise<BaselineResult> {
  const next = (type: string) => nextMessage(generator, type);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  try {
    console.error(`[live] baseline: ${SUBSCRIBERS} sockets on a bare ws server`);
    const ready = next('baseline-ready');
    generator.send({ type: 'baseline-open', url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, count: SUBSCRIBERS });
    await ready;
    generator.send({ type: 'start' });
    serverSends.length = 0;
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    let sequence = 0;
    const timer = setInterval(() => {
      const occurredAt = new Date().toISOString();
      sequence += 1;
      let id = 0;
      for (const socket of wss.clients) {
        id += 1;
        socket.send(JSON.stringify({
          id: `${id}`.padStart(36, '0'), type: 'next',
          payload: { data: { usageUpdated: { sequence: `${sequence}`.padStart(40, '0'), occurredAt } } },
        }));
      }
    }, 1000 / CALLS_PER_SECOND);
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    clearInterval(timer);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const cpu = process.cpuUsage(cpuBefore);
    const serverCpu = (cpu.user + cpu.system) / 1000 / (Date.now() - started);
    const server = percentiles(serverSends);
    const reported = next('report');
    generator.send({ type: 'report' });
    const report = await reported;
    const closed = next('baseline-closed');
    generator.send({ type: 'baseline-close' });
    await closed;
    return { report, server, serverCpu };
  } finally {
    await new Promise((resolve) => wss.close(resolve));
  }
}

function printBaseline({ report, server, serverCpu }: BaselineResult): void {
  console.log(`\n### live baseline: a bare ws server broadcasting ${CALLS_PER_SECOND} messages/s to ${SUBSCRIBERS} sockets\n`);
  console.log('| deliveries | latency p50 / p99 / max | server side: to socket write p50 / p99 | server process CPU |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| ${report.deliveries} | ${fmt(report.p50)} / ${fmt(report.p99)} / ${fmt(report.max)} ms | ${fmt(server.p50)} / ${fmt(server.p99)} ms | ${fmt(serverCpu * 100)} % |`);
}

/** The load generator's next IPC message of `type` (listen before sending what prompts it). */
function nextMessage(generator: ChildProcess, type: string): Promise<Message> {
  return new Promise((resolve) => {
    const handler = (message: Message) => {
      if (message.type !== type) return;
      generator.off('message', handler);
      resolve(message);
    };
    generator.on('message', handler);
  });
}

async function retried<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function broadcastShape(env: BenchEnv): Promise<Shape> {
  const created = await env.gql(
    `mutation($input: CreateAgencyInput!) { createAgency(input: $input) { agency { id primarySubAccount { id } } } }`,
    { input: { name: 'Live bench', planCode: 'AGENCY_UNLIMITED', primaryLoginEmail: 'live-bench@example.com' } },
  );
  const agencyId: string = created.data.createAgency.agency.id;
  const subAccountId: string = created.data.createAgency.agency.primarySubAccount.id;
  return {
    name: 'broadcast',
    label: `broadcast: all on 1 agency, ${CALLS_PER_SECOND} calls/s`,
    scopes: Array.from({ length: SUBSCRIBERS }, () => ({ agencyId })),
    subAccountIds: [subAccountId],
    probeTargets: new Map([[agencyId, subAccountId]]),
    callsPerSecond: CALLS_PER_SECOND,
    steadyReachesAll: true,
  };
}

async function spreadShape(env: BenchEnv): Promise<Shape> {
  const perAgency = Math.max(1, Math.round(SUBSCRIBERS / AGENCIES));
  const agencies: Array<{ agencyId: string; subAccountIds: string[] }> = [];
  const seedOne = async (i: number) => {
    const created = await env.gql(
      `mutation($input: CreateAgencyInput!) { createAgency(input: $input) { agency { id primarySubAccount { id } } } }`,
      { input: { name: `Spread ${i}`, planCode: 'AGENCY_UNLIMITED', primaryLoginEmail: `spread-${i}@example.com` } },
    );
    const agencyId: string = created.data.createAgency.agency.id;
    const added = await env.gql(`mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } } }`, {
      input: { agencyId, name: `Client of ${i}`, loginEmail: `spread-${i}-client@example.com` },
    });
    agencies[i] = { agencyId, subAccountIds: [created.data.createAgency.agency.primarySubAccount.id, added.data.addSubAccount.subAccount.id] };
  };
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < AGENCIES) await seedOne(next++);
  }));
  const scopes: Scope[] = [];
  for (const { agencyId, subAccountIds } of agencies) {
    for (let j = 0; j < perAgency; j++) {
      // Half the monitors watch the whole agency, the others one of its sub-accounts.
      scopes.push(j % 2 === 0 ? { agencyId } : { subAccountId: subAccountIds[(j >> 1) % subAccountIds.length] });
    }
  }
  return {
    name: 'spread',
    label: `spread: ${AGENCIES} agencies × ${perAgency}, ${SPREAD_CALLS_PER_SECOND} calls/s`,
    scopes,
    subAccountIds: agencies.flatMap((a) => a.subAccountIds),
    probeTargets: new Map(agencies.flatMap((a) => [[a.agencyId, a.subAccountIds[0]], ...a.subAccountIds.map((id) => [id, id] as [string, string])])),
    callsPerSecond: SPREAD_CALLS_PER_SECOND,
    steadyReachesAll: false,
  };
}

async function runShape(env: BenchEnv, generator: ChildProcess, shape: Shape): Promise<ShapeResult> {
  const nextFrom = (type: string) => nextMessage(generator, type);

  let callNumber = 0;
  const recordCalls = async (prefix: string, subAccountIds: string[]): Promise<void> => {
    for (let from = 0; from < subAccountIds.length; from += 1000) {
      const inputs = subAccountIds.slice(from, from + 1000).map((subAccountId) => ({
        subAccountId, externalCallId: `${shape.name}-${prefix}-${callNumber++}`, tier: 'PREMIUM', status: 'COMPLETED',
        startedAt: new Date(Date.now() - 60_000).toISOString(), durationSeconds: 30,
      }));
      // A keep-alive socket the server closed as we reused it: retry (externalCallId makes it idempotent).
      for (let attempt = 0; ; attempt++) {
        try {
          const result = await env.gql(
            `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { userErrors { code message } } }`,
            { inputs },
          );
          const errors = result.errors ?? result.data?.recordCallUsageBatch.userErrors ?? [];
          if (errors.length) throw new Error(`recording calls failed: ${JSON.stringify(errors).slice(0, 300)}`);
          break;
        } catch (error) {
          console.error(`[live] recording calls, attempt ${attempt + 1}: ${(error as Error).message}`);
          if (attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    }
  };
  /**
   * One call per scope still waiting for an event (as the load generator last reported them;
   * every scope before its first report), so every waiting subscriber gets one.
   */
  let waiting: string[] | undefined;
  const onWaiting = (message: Message) => {
    if (message.type === 'waiting') waiting = message.scopes;
  };
  generator.on('message', onWaiting);
  const probe = () => {
    const scopes = waiting ?? [...shape.probeTargets.keys()];
    return recordCalls('probe', [...new Set(scopes.map((key) => shape.probeTargets.get(key)!))]);
  };
  const tickMs = Math.max(100, 1000 / shape.callsPerSecond);
  const perTick = Math.max(1, Math.round((shape.callsPerSecond * tickMs) / 1000));
  const pick = () => shape.subAccountIds[Math.floor(Math.random() * shape.subAccountIds.length)];
  const steady = async (seconds: number) => {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      const tick = Date.now();
      await recordCalls('live', Array.from({ length: perTick }, pick));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, tickMs - (Date.now() - tick))));
    }
  };
  /** Every USAGE_RECORDED after `since` (a sequence), in order, per scope (agency and sub-account global ids). */
  const expectedSequences = async (since: string): Promise<Record<string, string[]>> => {
    const rows: Array<{ xid: string; id: string; agency_id: string; sub_account_id: string }> = await env.dataSource.query(
      `SELECT xid::text AS xid, id::text AS id, agency_id, sub_account_id FROM outbox_events WHERE type = 'USAGE_RECORDED'
        ORDER BY outbox_events.xid, outbox_events.id`,
    );
    const byScope: Record<string, string[]> = {};
    for (const r of rows) {
      const sequence = `${r.xid.padStart(20, '0')}-${r.id.padStart(19, '0')}`;
      if (sequence <= since) continue;
      for (const key of [toGlobalId('Agency', r.agency_id), toGlobalId('SubAccount', r.sub_account_id)]) (byScope[key] ??= []).push(sequence);
    }
    return byScope;
  };
  const lastSequence = async (): Promise<string> => {
    const [row] = await env.dataSource.query(
      `SELECT lpad(xid::text, 20, '0') || '-' || lpad(id::text, 19, '0') AS seq FROM outbox_events ORDER BY xid DESC, id DESC LIMIT 1`,
    );
    return row?.seq ?? '';
  };

  console.error(`[live] ${shape.label}: subscribing ${shape.scopes.length}`);
  const connecting = nextFrom('connecting');
  global.gc?.();
  const before = process.memoryUsage();
  const started = Date.now();
  generator.send({ type: 'subscribe', scopes: shape.scopes });
  await connecting;
  // Probe calls until every subscriber has received one: then every subscription is registered.
  const ready = nextFrom('ready');
  let isReady = false;
  void ready.then(() => (isReady = true));
  while (!isReady) {
    await probe();
    await new Promise((resolve) => setTimeout(resolve, shape.steadyReachesAll ? 500 : 2000));
  }
  const readyMessage = await ready;
  const connectSeconds = (Date.now() - started) / 1000;
  global.gc?.();
  const after = process.memoryUsage();
  const since = await lastSequence();

  generator.send({ type: 'start' });
  serverSends.length = 0;
  let cpu = process.cpuUsage();
  let cpuAt = Date.now();
  await profilePhase(`steady-${shape.name}`, 'server', () => steady(SECONDS));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const cpuShare = () => {
    const used = process.cpuUsage(cpu);
    const share = (used.user + used.system) / 1000 / (Date.now() - cpuAt);
    cpu = process.cpuUsage();
    cpuAt = Date.now();
    return share;
  };
  const serverCpuSteady = cpuShare();
  const serverLive = percentiles(serverSends);
  generator.send({ type: 'report', expected: await expectedSequences(since) });
  const live = await nextFrom('report');

  // Calls keep coming during the storm, until every client is back and has received an event since.
  const replaysBefore = { ...env.events.replays };
  const storm = nextFrom('stormed');
  let stormDone = false;
  void storm.then(() => (stormDone = true));
  generator.send({ type: 'start' });
  serverSends.length = 0;
  cpuShare();
  waiting = [];
  generator.send({ type: 'storm', spreadMs: 10_000 });
  const stormed = await profilePhase(`storm-${shape.name}`, 'server', async () => {
    await steady(10);
    while (!stormDone) {
      // A spread subscriber may wait long for its next live event: probe rounds show it is back.
      if (!shape.steadyReachesAll) await probe();
      await steady(1);
    }
    return storm;
  });
  const serverCpuStorm = cpuShare();
  const serverStorm = percentiles(serverSends);
  const replays = {
    fromTable: env.events.replays.fromTable - replaysBefore.fromTable,
    fromMemory: env.events.replays.fromMemory - replaysBefore.fromMemory,
    backfills: env.events.replays.backfills - replaysBefore.backfills,
  };
  await new Promise((resolve) => setTimeout(resolve, 5000));
  generator.send({ type: 'report', expected: await expectedSequences(since) });
  const afterStorm = await nextFrom('report');
  const closed = nextFrom('closed');
  generator.send({ type: 'close' });
  await closed;
  generator.off('message', onWaiting);
  return {
    shape, connectSeconds, ready: readyMessage,
    perSubscriberKb: (after.rss - before.rss) / shape.scopes.length / 1024,
    perSubscriberHeapKb: (after.heapUsed - before.heapUsed) / shape.scopes.length / 1024,
    live, serverLive, serverCpuSteady, stormed, serverCpuStorm, serverStorm, afterStorm, replays,
  };
}

/** The summary rows: latency against the bare broadcast (broadcast shape), and nothing lost or duplicated. */
function recordLiveRows(results: ShapeResult[], baseline: BaselineResult | undefined): void {
  for (const r of results) {
    const scenario = `live: ${r.shape.label}`;
    const bare: Record<string, number> = r.shape.label.startsWith('broadcast') && baseline ? { 'bare ws broadcast': Number(baseline.report.p99) } : {};
    recordRow({ scenario, metric: 'event-to-client latency p99', unit: 'ms', ours: Number(r.live.p99), baselines: bare, goal: null });
    const wrong = Number(r.live.lost) + Number(r.live.duplicates) + Number(r.afterStorm.lost) + Number(r.afterStorm.duplicates);
    recordRow({
      scenario, metric: 'events lost or duplicated (steady and after the reconnect storm)', unit: 'events', ours: wrong,
      baselines: {}, goal: '0', meets: ({ ours }) => ours === 0,
    });
    recordRow({ scenario, metric: 'reconnect storm: all resubscribed in', unit: 's', ours: Number(r.stormed.reconnectedInMs) / 1000, baselines: {}, goal: null });
  }
}

function printTable(results: ShapeResult[]): void {
  const pct = (share: number) => `${fmt(share * 100)} %`;
  const rows: Array<[string, (r: ShapeResult) => string]> = [
    [`all subscribed (connected at ${CONNECT_RATE}/s, each received a live event) in`,
      (r) => `${fmt(r.connectSeconds, 1)} s (${r.ready.reopened} reopened${r.ready.reopened ? `: ${JSON.stringify(r.ready.failures)}` : ''})`],
    ['server memory per subscriber (RSS / JS heap)', (r) => `${fmt(r.perSubscriberKb, 1)} / ${fmt(r.perSubscriberHeapKb, 1)} KiB`],
    [`deliveries (steady ${SECONDS} s)`, (r) => `${r.live.deliveries}`],
    ['event-to-client latency p50 / p99 / max', (r) => `${fmt(r.live.p50)} / ${fmt(r.live.p99)} / ${fmt(r.live.max)} ms`],
    ['server side: event to socket write p50 / p99', (r) => `${fmt(r.serverLive.p50)} / ${fmt(r.serverLive.p99)} ms`],
    ['server process CPU (steady)', (r) => pct(r.serverCpuSteady)],
    ['lost / duplicated (steady)', (r) => `${r.live.lost} / ${r.live.duplicates} (of ${r.live.checked})`],
    [`reconnect storm (spread over 10 s): all ${SUBSCRIBERS} resubscribed with afterSequence and receiving in`,
      (r) => `${fmt(r.stormed.reconnectedInMs / 1000, 1)} s (${r.stormed.reopened} reopened)`],
    ['resumes from memory / backfills / from the table', (r) => `${r.replays.fromMemory} / ${r.replays.backfills} / ${r.replays.fromTable}`],
    ['latency during the storm p50 / p99 (replayed events count from their occurrence)', (r) => `${fmt(r.afterStorm.p50)} / ${fmt(r.afterStorm.p99)} ms`],
    ['server side during the storm p50 / p99', (r) => `${fmt(r.serverStorm.p50)} / ${fmt(r.serverStorm.p99)} ms`],
    ['CPU during the storm: server / load generator', (r) => `${pct(r.serverCpuStorm)} / ${pct(r.stormed.cpuShare)}`],
    ['lost / duplicated after the storm (all events since subscribed)', (r) => `${r.afterStorm.lost} / ${r.afterStorm.duplicates} (of ${r.afterStorm.checked})`],
  ];
  console.log(`\n### live (${SUBSCRIBERS} subscribers in another process, one server process)\n`);
  console.log(`| figure | ${results.map((r) => r.shape.label).join(' | ')} |`);
  console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
  for (const [label, value] of rows) console.log(`| ${label} | ${results.map(value).join(' | ')} |`);
}

/** BENCH_LIVE_DEBUG: the server's CPU, event-loop delay, streams and resumes every 5 s. */
function debugLog(env: BenchEnv): NodeJS.Timeout {
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  let cpu = process.cpuUsage();
  let at = Date.now();
  return setInterval(() => {
    const used = process.cpuUsage(cpu);
    const ms = Date.now() - at;
    cpu = process.cpuUsage();
    at = Date.now();
    console.error(`[server] cpu ${(((used.user + used.system) / 1000 / ms) * 100).toFixed(0)}% loop-lag p50 ${(lag.percentile(50) / 1e6).toFixed(0)} ` +
      `max ${(lag.max / 1e6).toFixed(0)} ms, streams ${env.events.subscriberCount}, replays ${JSON.stringify(env.events.replays)}, sends ${serverSends.length}`);
    lag.reset();
  }, 5000);
}
