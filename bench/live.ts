import { fork } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import { fmt, openBenchEnv } from './harness';

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
 * one server process, subscribed to one agency's `usageUpdated`, while calls are recorded
 * at a steady rate. Reports event-to-client latency (from the event's `occurredAt`, so it
 * includes the recording transaction), lost and duplicated events, server memory per
 * subscriber, and a reconnect storm: every client reconnects with `afterSequence` within
 * 10 s while calls keep coming, and must end with every event exactly once.
 */
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 10_000);
const CALLS_PER_SECOND = Number(process.env.BENCH_CALLS_PER_SECOND ?? 2);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONNECT_RATE = Number(process.env.BENCH_CONNECT_RATE ?? 1_000);

type Message = { type: string; [key: string]: any };

export async function run(): Promise<void> {
  instrumentSends();
  const env = await openBenchEnv(16);
  let clients: ReturnType<typeof fork> | undefined;
  try {
    const created = await env.gql(
      `mutation($input: CreateAgencyInput!) { createAgency(input: $input) { agency { id primarySubAccount { id } } } }`,
      { input: { name: 'Live bench', planCode: 'AGENCY_UNLIMITED', primaryLoginEmail: 'live-bench@example.com' } },
    );
    const agencyId: string = created.data.createAgency.agency.id;
    const subAccountId: string = created.data.createAgency.agency.primarySubAccount.id;
    clients = fork(path.join(__dirname, 'live-clients.js'), [], {
      env: {
        ...process.env, WS_URL: env.url.replace('http', 'ws'), KEY: env.platformKey, AGENCY_ID: agencyId,
        SUBSCRIBERS: String(SUBSCRIBERS), CONNECT_RATE: String(CONNECT_RATE),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const generator = clients;
    const nextFrom = (type: string) =>
      new Promise<Message>((resolve) => {
        const handler = (message: Message) => {
          if (message.type === type) {
            generator.off('message', handler);
            resolve(message);
          }
        };
        generator.on('message', handler);
      });

    let callNumber = 0;
    const record = async (prefix = 'live'): Promise<void> => {
      const n = callNumber++;
      // A keep-alive socket the server closed as we reused it: retry (externalCallId makes it idempotent).
      for (let attempt = 0; ; attempt++) {
        try {
          await recordOnce(prefix, n);
          return;
        } catch (error) {
          if (attempt >= 3) throw error;
        }
      }
    };
    const recordOnce = async (prefix: string, n: number) => {
      await env.gql(
        `mutation($input: RecordCallUsageInput!) { recordCallUsage(input: $input) { call { id } userErrors { code } } }`,
        {
          input: {
            subAccountId, externalCallId: `${prefix}-${n}`, tier: 'PREMIUM', status: 'COMPLETED',
            startedAt: new Date(Date.now() - 60_000).toISOString(), durationSeconds: 30,
          },
        },
      );
    };
    const steady = async (seconds: number) => {
      const end = Date.now() + seconds * 1000;
      while (Date.now() < end) {
        const tick = Date.now();
        await record();
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 / CALLS_PER_SECOND - (Date.now() - tick))));
      }
    };
    /** Every USAGE_RECORDED after `since` (a sequence), in order. */
    const expectedSequences = async (since: string): Promise<string[]> => {
      const rows: Array<{ xid: string; id: string }> = await env.dataSource.query(
        `SELECT xid::text AS xid, id::text AS id FROM outbox_events WHERE type = 'USAGE_RECORDED' ORDER BY outbox_events.xid, outbox_events.id`,
      );
      return rows.map((r) => `${r.xid.padStart(20, '0')}-${r.id.padStart(19, '0')}`).filter((s) => s > since);
    };

    const connecting = nextFrom('connecting');
    global.gc?.();
    const before = process.memoryUsage();
    const started = Date.now();
    await connecting;
    // Probe calls until every subscriber has received one: then every subscription is registered.
    const ready = nextFrom('ready');
    let isReady = false;
    void ready.then(() => (isReady = true));
    while (!isReady) {
      await record('probe');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const readyMessage = await ready;
    const connectSeconds = (Date.now() - started) / 1000;
    global.gc?.();
    const after = process.memoryUsage();
    const perSubscriberKb = (after.rss - before.rss) / SUBSCRIBERS / 1024;
    const perSubscriberHeapKb = (after.heapUsed - before.heapUsed) / SUBSCRIBERS / 1024;
    const probes = await expectedSequences('');
    const since = probes[probes.length - 1] ?? '';

    clients.send({ type: 'start' });
    serverSends.length = 0;
    await steady(SECONDS);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const serverLive = percentiles(serverSends);
    clients.send({ type: 'report', expected: await expectedSequences(since) });
    const live = await nextFrom('report');

    // Calls keep coming during the storm, until every client is back and has received an event since.
    const storm = nextFrom('stormed');
    let stormDone = false;
    void storm.then(() => (stormDone = true));
    clients.send({ type: 'start' });
    clients.send({ type: 'storm', spreadMs: 10_000 });
    await steady(10);
    while (!stormDone) await steady(1);
    const stormed = await storm;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    clients.send({ type: 'report', expected: await expectedSequences(since) });
    const afterStorm = await nextFrom('report');
    clients.send({ type: 'exit' });

    console.log(`\n### live (${SUBSCRIBERS} subscribers in another process, ${CALLS_PER_SECOND} calls/s, one server process)\n`);
    console.log('| figure | value |');
    console.log('| --- | --- |');
    console.log(`| all subscribed (connected at ${CONNECT_RATE}/s, each received a live event) in | ${fmt(connectSeconds, 1)} s (${readyMessage.reopened} reopened: ${JSON.stringify(readyMessage.failures)}) |`);
    console.log(`| server memory per subscriber (RSS / JS heap) | ${fmt(perSubscriberKb, 1)} / ${fmt(perSubscriberHeapKb, 1)} KiB |`);
    console.log(`| deliveries (steady ${SECONDS} s) | ${live.deliveries} |`);
    console.log(`| event-to-client latency p50 / p99 / max | ${fmt(live.p50)} / ${fmt(live.p99)} / ${fmt(live.max)} ms |`);
    console.log(`| server side: event to socket write p50 / p99 | ${fmt(serverLive.p50)} / ${fmt(serverLive.p99)} ms |`);
    console.log(`| lost / duplicated (steady) | ${live.lost} / ${live.duplicates} |`);
    console.log(`| reconnect storm (spread over 10 s): all ${SUBSCRIBERS} resubscribed with afterSequence and receiving in | ${fmt(stormed.reconnectedInMs / 1000, 1)} s (${stormed.reopened} reopened) |`);
    console.log(`| latency during the storm p50 / p99 (replayed events count from their occurrence) | ${fmt(afterStorm.p50)} / ${fmt(afterStorm.p99)} ms |`);
    console.log(`| lost / duplicated after the storm (all events since subscribed) | ${afterStorm.lost} / ${afterStorm.duplicates} |`);
  } finally {
    clients?.kill();
    await env.close();
  }
}
