import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/db/data-source';
import { EventHub } from '../src/modules/events/event-hub';
import { OUTBOX_CHANNEL } from '../src/modules/events/outbox-listener';
import { postTransfer } from '../src/modules/ledger/ledger.service';
import { Logger } from '../src/shared/logger';
import { fmt, openBenchEnv, runLoad, seedAgency, type LoadResult } from './harness';
import { recordRow } from './results';

/**
 * What the live-event wake-up costs the ledger's commits. 16 concurrent writers each post
 * minute transfers (one transaction each, through `postTransfer`, so each commit writes the
 * transfer, two balances and two BALANCE_CHANGED outbox rows) between random wallets, in
 * three variants on the same database, interleaved in rounds so drift hits all alike:
 *
 * - (a) outbox only: the events are written, nothing wakes anyone (no hub on this pool);
 * - (w) the wake-up path as shipped, alone: an EventHub on this pool (after-commit hook → a
 *   poll and one coalesced `pg_notify` after the commit, on the hub's own connection;
 *   LISTEN; 250 ms polling) with no subscriber in this process;
 * - (b) the same with one live subscriber to the agency's balance events, so every row is
 *   also read and fanned out (executed for the subscriber) in the writers' process;
 * - (c) naive: `pg_notify` inside every business transaction (what the design avoids:
 *   PostgreSQL takes a cluster-wide lock at commit for a transaction that notified).
 *
 * The API server of the bench environment (with its own hub, listening) runs in every
 * variant alike, like a second replica.
 */
const WRITERS = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WALLETS = Number(process.env.BENCH_ACCOUNTS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);

type Variant = 'a' | 'w' | 'b' | 'c';
const VARIANTS: Variant[] = ['a', 'w', 'b', 'c'];

export async function run(): Promise<void> {
  const env = await openBenchEnv(8);
  const pools: DataSource[] = [];
  let hub: EventHub | undefined;
  try {
    const { agencyUuid, walletIds: wallets } = await seedAgency(env, { label: 'notify', subAccounts: WALLETS, fundDollars: '1000000' });

    const open = async () => {
      const ds = createDataSource(env.databaseUrl, WRITERS + 2);
      await ds.initialize();
      pools.push(ds);
      return ds;
    };
    const plain = await open();
    const wakeOnly = await open();
    const withHub = await open();
    const naive = await open();
    let polls = 0;

    const transfer = (ds: DataSource, notifyInside: boolean) => async () => {
      const from = Math.floor(Math.random() * WALLETS);
      let to = Math.floor(Math.random() * (WALLETS - 1));
      if (to >= from) to += 1;
      try {
        await ds.transaction(async (em) => {
          await postTransfer(em, {
            agencyId: agencyUuid,
            kind: 'MINUTE_TRANSFER',
            debit: { id: wallets[from], type: 'WALLET' },
            credit: { id: wallets[to], type: 'WALLET' },
            amountMicros: 1n,
            tier: 'PREMIUM',
            minutesSentUnits: 1n,
            minutesReceivedUnits: 1n,
          });
          if (notifyInside) await em.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
        });
        return true;
      } catch {
        return false;
      }
    };
    const operations: Record<Variant, () => Promise<boolean>> = {
      a: transfer(plain, false),
      w: transfer(wakeOnly, false),
      b: transfer(withHub, false),
      c: transfer(naive, true),
    };

    // A hub runs during (w) and (b) only: started before, stopped after each of their runs.
    const measure = async (variant: Variant, seconds: number) => {
      let drained: Promise<void> | undefined;
      if (variant === 'w') hub = await EventHub.start(wakeOnly, new Logger('error'));
      if (variant === 'b') {
        hub = await EventHub.start(withHub, new Logger('error'));
        // One live subscriber on this process, so the hub reads and fans out every row.
        const stream = await hub.open(
          { agencyId: agencyUuid, types: new Set(['BALANCE_CHANGED']), agencyWide: true },
          { role: 'PLATFORM_ADMIN', via: 'platform-key' },
          undefined,
        );
        drained = (async () => {
          for await (const item of stream) if (item.end) break;
        })();
      }
      try {
        return await runLoad(WRITERS, seconds, operations[variant]);
      } finally {
        if (hub) {
          if (variant === 'b') polls += hub.polls;
          await hub.stop();
          await drained;
          hub = undefined;
        }
      }
    };
    // Warm-up (plans, caches, pools), then rounds of a, b, c in alternating order.
    for (const variant of VARIANTS) await measure(variant, 1);
    polls = 0;
    const results: Record<Variant, LoadResult[]> = { a: [], w: [], b: [], c: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
        results[variant].push(await measure(variant, SECONDS));
      }
    }
    const total = (variant: Variant) => {
      const rs = results[variant];
      const operationsDone = rs.reduce((sum, r) => sum + r.operations - r.failures, 0);
      const seconds = rs.reduce((sum, r) => sum + r.seconds, 0);
      const p50 = median(rs.map((r) => r.p50Ms));
      const p99 = median(rs.map((r) => r.p99Ms));
      const failures = rs.reduce((sum, r) => sum + r.failures, 0);
      return { perSecond: operationsDone / seconds, p50, p99, failures, rounds: rs.map((r) => r.perSecond) };
    };
    const a = total('a');
    const w = total('w');
    const b = total('b');
    const c = total('c');
    console.log(`\n### notify (${WRITERS} writers, minute transfers over ${WALLETS} wallets, ${ROUNDS} rounds × ${SECONDS} s per variant)\n`);
    console.log('| variant | commits/s | per round | p50 ms | p99 ms | ratio to (a) |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    const line = (name: string, r: ReturnType<typeof total>) =>
      console.log(`| ${name} | ${fmt(r.perSecond)} | ${r.rounds.map((x) => fmt(x)).join(', ')} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.perSecond / a.perSecond, 3)}× |`);
    for (const [name, r] of [['wake-up path as shipped (w)', w], ['wake-up path with a live subscriber (b)', b], ['naive pg_notify per transaction (c)', c]] as const) {
      recordRow({
        scenario: `notify: ${name}`, metric: 'commits/s', unit: '1/s', ours: r.perSecond,
        baselines: { 'outbox rows, nobody woken (a)': a.perSecond },
        // Waking listeners must not cost the writers their throughput.
        goal: name.startsWith('naive') ? null : 'ratio ≥ 0.9', meets: name.startsWith('naive') ? undefined : ({ ratio }) => (ratio ?? 0) >= 0.9,
      });
    }
    line('(a) outbox rows, no wake-up', a);
    line('(w) the wake-up path as shipped: after-commit poll + coalesced NOTIFY, LISTEN, no subscriber here', w);
    line('(b) the same plus one live subscriber (events read and executed in the writers\' process)', b);
    line('(c) naive: pg_notify inside each transaction', c);
    console.log(`\nhub polls that read rows during (b): ${fmt(polls / (ROUNDS * SECONDS))}/s; failed transactions: a ${a.failures}, w ${w.failures}, b ${b.failures}, c ${c.failures}`);
  } finally {
    await hub?.stop();
    for (const ds of pools) await ds.destroy();
    await env.close();
  }
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;
