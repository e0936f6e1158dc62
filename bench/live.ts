import { fork } from 'node:child_process';
import path from 'node:path';
import { fmt, openBenchEnv } from './harness';

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

type Message = { type: string; [key: string]: any };

export async function run(): Promise<void> {
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
        SUBSCRIBERS: String(SUBSCRIBERS),
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

    global.gc?.();
    const before = process.memoryUsage();
    const started = Date.now();
    await nextFrom('ready');
    const connectSeconds = (Date.now() - started) / 1000;
    global.gc?.();
    const after = process.memoryUsage();
    const perSubscriberKb = (after.rss - before.rss) / SUBSCRIBERS / 1024;

    let callNumber = 0;
    const record = async () => {
      const n = callNumber++;
      await env.gql(
        `mutation($input: RecordCallUsageInput!) { recordCallUsage(input: $input) { call { id } userErrors { code } } }`,
        {
          input: {
            subAccountId, externalCallId: `live-${n}`, tier: 'PREMIUM', status: 'COMPLETED',
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
    const expectedSequences = async (): Promise<string[]> => {
      const rows: Array<{ xid: string; id: string }> = await env.dataSource.query(
        `SELECT xid::text AS xid, id::text AS id FROM outbox_events WHERE type = 'USAGE_RECORDED' ORDER BY outbox_events.xid, outbox_events.id`,
      );
      return rows.map((r) => `${r.xid.padStart(20, '0')}-${r.id.padStart(19, '0')}`);
    };

    await steady(SECONDS);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    clients.send({ type: 'report', expected: await expectedSequences() });
    const live = await nextFrom('report');

    const storm = nextFrom('stormed');
    clients.send({ type: 'storm', spreadMs: 10_000 });
    await steady(10);
    const stormed = await storm;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    clients.send({ type: 'report', expected: await expectedSequences() });
    const afterStorm = await nextFrom('report');
    clients.send({ type: 'exit' });

    console.log(`\n### live (${SUBSCRIBERS} subscribers in another process, ${CALLS_PER_SECOND} calls/s, one server process)\n`);
    console.log('| figure | value |');
    console.log('| --- | --- |');
    console.log(`| subscribers connected and subscribed in | ${fmt(connectSeconds, 1)} s |`);
    console.log(`| server memory per subscriber (RSS) | ${fmt(perSubscriberKb, 1)} KiB |`);
    console.log(`| deliveries (steady ${SECONDS} s) | ${live.deliveries} |`);
    console.log(`| event-to-client latency p50 / p99 | ${fmt(live.p50)} / ${fmt(live.p99)} ms |`);
    console.log(`| lost / duplicated (steady) | ${live.lost} / ${live.duplicates} |`);
    console.log(`| reconnect storm: all ${SUBSCRIBERS} resubscribed with afterSequence in | ${fmt(stormed.reconnectedInMs / 1000, 1)} s |`);
    console.log(`| lost / duplicated after the storm (all events since the start) | ${afterStorm.lost} / ${afterStorm.duplicates} |`);
  } finally {
    clients?.kill();
    await env.close();
  }
}
