import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { fmt, openBenchEnv, seedAgency, type BenchEnv } from './harness';
import { LATEST_RESULTS, recordRow, recordedRows, writeRows, formatTable } from './results';
import { injectFault, SOAK_FAULTS, type InjectedFault } from './soak-faults';
import { SOCKETS_PER_KEY, streamKey, type SoakAgency, type SoakCheck, type SoakClientSpec, type SoakLoadsDone, type SoakWindow } from './soak-clients';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { encodeSequence } from '../src/modules/outbox/outbox.entity';
import { decodeId, toGlobalId } from '../src/shared/global-id';

/**
 * `npm run soak` (issue 17): mixed load for SOAK_MINUTES (10) on one server: dashboards,
 * transfers and usage batches at fixed rates, and SOAK_SUBSCRIBERS (1,000) subscribers
 * churning (connect, hold 20–120 s, leave, resume from their last sequence), with a fault
 * every SOAK_FAULT_EVERY_SECONDS (60): terminated backends of the pool, the listener, the
 * hub's pools, the job runner, or all of them. Reports throughput, latency percentiles and
 * the server's memory every window, then the invariants: ledger:verify, every transfer
 * key moved exactly once, every call recorded once, every subscriber's stream without a
 * lost, duplicated or reordered event, and the heap's trend after warm-up. Exits 1 when an
 * invariant fails. Not part of `npm test` (tests/soak-smoke.spec.ts runs a 20-second one).
 */
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = process.env.SOAK_SECONDS ? num('SOAK_SECONDS', 600) : num('SOAK_MINUTES', 10) * 60;
const SUBSCRIBERS = num('SOAK_SUBSCRIBERS', 1_000);
const FAULT_EVERY = num('SOAK_FAULT_EVERY_SECONDS', 60);
const REPORT_EVERY = num('SOAK_REPORT_EVERY_SECONDS', 30);
const SUB_ACCOUNTS = num('SOAK_SUB_ACCOUNTS', 20);
const AGENCIES = 2;
/** Memory before this share of the run is warm-up (caches, pools, JIT), left out of the trend. */
const WARM_UP_SHARE = 0.2;

interface MemorySample {
  atSeconds: number;
  rssMb: number;
  heapMb: number;
}

async function seed(env: BenchEnv, runId: string): Promise<SoakAgency[]> {
  const agencies: SoakAgency[] = [];
  const keysPerAgency = 1 + Math.ceil(SUBSCRIBERS / AGENCIES / SOCKETS_PER_KEY);
  for (let a = 0; a < AGENCIES; a++) {
    const seeded = await seedAgency(env, { label: `soak-${runId}-${a}`, subAccounts: SUB_ACCOUNTS, fundDollars: '100000.00' });
    const key = async (role: string, name: string) =>
      (await env.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, {
        input: { name, role, agencyId: seeded.agencyId },
      })).data!.createApiKey.secret as string;
    const adminKeys: string[] = [];
    for (let k = 0; k < keysPerAgency; k++) adminKeys.push(await key('AGENCY_ADMIN', `soak dashboard ${k}`));
    agencies.push({ agencyId: seeded.agencyId, adminKeys, ingestKey: await key('USAGE_INGEST', 'soak ingest'), subAccountIds: seeded.subAccountIds });
  }
  return agencies;
}

/** Every outbox sequence of each subscriber stream of the soak's agencies, in order. */
async function expectedStreams(admin: Client, agencies: SoakAgency[]): Promise<Record<string, string[]>> {
  // The aliases shadow the columns: ORDER BY names the table, or it would sort text.
  const { rows } = await admin.query(
    `SELECT xid::text AS xid, id::text AS id, type, agency_id, sub_account_id FROM outbox_events
     WHERE type IN ('USAGE_RECORDED', 'BALANCE_CHANGED') AND agency_id = ANY($1::uuid[])
     ORDER BY outbox_events.xid, outbox_events.id`,
    [agencies.map((a) => decodeId(a.agencyId, 'Agency')!)],
  );
  const expected: Record<string, string[]> = {};
  for (const row of rows) {
    const stream = row.type === 'USAGE_RECORDED' ? 'usage' : 'balance';
    const sequence = encodeSequence({ xid: BigInt(row.xid), id: BigInt(row.id) });
    for (const scope of [toGlobalId('Agency', row.agency_id), row.sub_account_id && toGlobalId('SubAccount', row.sub_account_id)]) {
      if (scope) (expected[streamKey(stream, scope)] ??= []).push(sequence);
    }
  }
  return expected;
}

/** The trend of the heap after warm-up: the least heap of each minute (after a GC), first against last. */
function heapTrend(samples: MemorySample[]): { firstMb: number; lastMb: number; growth: number } {
  const warm = samples.filter((s) => s.atSeconds >= SECONDS * WARM_UP_SHARE);
  const byMinute = new Map<number, number>();
  for (const s of warm) {
    const minute = Math.floor(s.atSeconds / 60);
    byMinute.set(minute, Math.min(byMinute.get(minute) ?? Infinity, s.heapMb));
  }
  const troughs = [...byMinute.values()];
  const firstMb = troughs[0] ?? 0;
  const lastMb = troughs.at(-1) ?? 0;
  return { firstMb, lastMb, growth: firstMb ? lastMb / firstMb - 1 : 0 };
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], onOther?: (m: any) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`soak clients exited with ${code}`));
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return onOther?.(message);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const windowLine = (w: SoakWindow, memory: MemorySample | undefined) => {
  const op = (name: keyof SoakWindow['ops']) => {
    const o = w.ops[name];
    const failed = Object.entries(o.failed).map(([code, n]) => `${code} ${n}`).join(', ');
    return `${name} ${fmt(o.ok / REPORT_EVERY, 1)}/s p50 ${fmt(o.p50Ms)} p99 ${fmt(o.p99Ms)} ms${failed ? ` (failed: ${failed})` : ''}`;
  };
  const reopened = Object.entries(w.subscribers.reopened).map(([code, n]) => `${code} ${n}`).join(', ');
  return `[soak ${w.atSeconds} s] ${op('dashboard')}; ${op('transfer')}; ${op('usage')}; subscribers ${w.subscribers.connected} connected, ` +
    `${fmt(w.subscribers.deliveries / REPORT_EVERY)} events/s, ${w.subscribers.churned} churned${reopened ? `, reopened: ${reopened}` : ''}; ` +
    `server rss ${fmt(memory?.rssMb ?? 0)} MB heap ${fmt(memory?.heapMb ?? 0)} MB`;
};

export async function run(): Promise<boolean> {
  const runId = Date.now().toString(36);
  const env = await openBenchEnv(10);
  const database = new URL(env.databaseUrl).pathname.slice(1);
  const admin = new Client({ connectionString: env.databaseUrl, application_name: 'voice-minutes-soak' });
  await admin.connect();
  const child = fork(path.join(__dirname, 'soak-clients.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const agencies = await seed(env, runId);
    const spec: SoakClientSpec = {
      port: env.port, runId, seconds: SECONDS, agencies, subscribers: SUBSCRIBERS, reportEverySeconds: REPORT_EVERY,
      dashboardsPerSecond: num('SOAK_DASHBOARDS_PER_SECOND', 10), transfersPerSecond: num('SOAK_TRANSFERS_PER_SECOND', 30),
      usageBatchesPerSecond: num('SOAK_USAGE_BATCHES_PER_SECOND', 5), callsPerBatch: num('SOAK_CALLS_PER_BATCH', 10),
      holdSeconds: [num('SOAK_HOLD_MIN_SECONDS', 20), num('SOAK_HOLD_MAX_SECONDS', 120)],
    };
    console.log(`soak: ${SECONDS} s, ${AGENCIES} agencies × ${SUB_ACCOUNTS} sub-accounts, ${SUBSCRIBERS} subscribers, ` +
      `${spec.dashboardsPerSecond} dashboards/s, ${spec.transfersPerSecond} transfers/s, ${spec.usageBatchesPerSecond * spec.callsPerBatch} calls/s, a fault every ${FAULT_EVERY} s`);
    const started = Date.now();
    const at = () => Math.round((Date.now() - started) / 1000);
    const memory: MemorySample[] = [];
    const windows: SoakWindow[] = [];
    const faults: InjectedFault[] = [];
    const sampler = setInterval(() => {
      const { rss, heapUsed } = process.memoryUsage();
      memory.push({ atSeconds: at(), rssMb: rss / 2 ** 20, heapMb: heapUsed / 2 ** 20 });
    }, 2_000);
    let faultIndex = 0;
    let injecting: Promise<void> = Promise.resolve();
    const injector = setInterval(() => {
      const fault = SOAK_FAULTS[faultIndex++ % SOAK_FAULTS.length];
      injecting = injectFault(admin, database, fault).then(
        (terminated) => {
          faults.push({ atSeconds: at(), name: fault.name, terminated });
          console.log(`[soak ${at()} s] fault: terminated ${terminated} backend(s): ${fault.name}`);
        },
        (error) => console.error(`[soak] fault injection failed: ${error}`),
      );
    }, FAULT_EVERY * 1000);
    child.send({ type: 'start', spec });
    const done = await nextMessage<SoakLoadsDone>(child, 'loads-done', (m) => {
      if (m.type !== 'window') return;
      windows.push(m);
      console.log(windowLine(m, memory.at(-1)));
    });
    clearInterval(injector);
    clearInterval(sampler);
    await injecting; // a fault under way would otherwise cut the checks' connections


    // Invariants. The transfer keys: each answered key is exactly one ledger row, no row without an answer.
    const agencyUuids = agencies.map((a) => decodeId(a.agencyId, 'Agency')!);
    // Each key's row is the transfer its answer named (a retry answered with the first posting, not a second one).
    const { rows: transferRows } = await admin.query(
      `SELECT idempotency_key, id FROM ledger_transfers WHERE kind = 'MINUTE_TRANSFER' AND idempotency_key LIKE $1`, [`soak-${runId}-t%`],
    );
    const keys = { rows: transferRows.length, keys: new Set(transferRows.map((r) => r.idempotency_key)).size };
    const answeredAs = transferRows.filter((r) => decodeId(done.transferIds[r.idempotency_key] ?? '', 'Transfer') === r.id).length;
    const { rows: [calls] } = await admin.query(
      `SELECT count(*)::int AS calls FROM calls c JOIN sub_accounts s ON s.id = c.sub_account_id
       WHERE s.agency_id = ANY($1::uuid[]) AND c.external_call_id LIKE $2`, [agencyUuids, `soak-${runId}-c%`],
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const expected = await expectedStreams(admin, agencies);
    child.send({ type: 'check', expected, waitMs: 60_000 });
    const streams = await nextMessage<SoakCheck>(child, 'checked');
    const ledger = await verifyLedger(env.dataSource);
    const trend = heapTrend(memory);

    const totals = (name: keyof SoakWindow['ops']) => {
      const ok = windows.reduce((sum, w) => sum + w.ops[name].ok, 0);
      const failed = windows.reduce((sum, w) => sum + Object.values(w.ops[name].failed).reduce((a, b) => a + b, 0), 0);
      const loaded = windows.filter((w) => w.ops[name].ok > 0);
      const p99s = loaded.map((w) => w.ops[name].p99Ms).sort((a, b) => a - b);
      const p50s = loaded.map((w) => w.ops[name].p50Ms).sort((a, b) => a - b);
      return { ok, failed, perSecond: ok / SECONDS, p50Ms: p50s[Math.floor(p50s.length / 2)] ?? 0, worstP99Ms: p99s.at(-1) ?? 0 };
    };
    const summary = {
      seconds: SECONDS, subscribers: SUBSCRIBERS, faults: faults.length,
      dashboard: totals('dashboard'), transfer: totals('transfer'), usage: totals('usage'),
      transfers: { ...done.transfers, ledgerRows: keys.rows, ledgerKeys: keys.keys, answeredAs },
      calls: { ...done.calls, stored: calls.calls },
      streams, ledger: { ok: ledger.ok, problems: ledger.problems.slice(0, 5) },
      memory: { rssMaxMb: Math.max(...memory.map((m) => m.rssMb)), heapTroughFirstMb: trend.firstMb, heapTroughLastMb: trend.lastMb, heapGrowth: trend.growth },
    };
    const exactlyOnce = keys.rows === done.transfers.moved && keys.keys === keys.rows && answeredAs === keys.rows;
    const checks: Array<[string, boolean]> = [
      ['ledger:verify', ledger.ok],
      ['every answered transfer key moved exactly once', exactlyOnce],
      ['every answered call recorded once', calls.calls === done.calls.recorded],
      ['no transfer or call refused (funded wallets, fresh keys: a refusal is a bug)',
        Object.keys(done.transfers.refused).length === 0 && Object.keys(done.calls.refused).length === 0],
      ['no request left unanswered', done.transfers.unresolved === 0 && done.calls.unresolved === 0],
      ['subscribers: 0 lost, 0 duplicated, 0 out of order, none behind', streams.lost + streams.duplicated + streams.outOfOrder + streams.behind === 0],
      ['heap after warm-up grows less than 20%', trend.growth < 0.2],
    ];
    console.log(`\n## Soak summary\n\n${JSON.stringify(summary, null, 2)}\n`);
    for (const [name, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
    const soakRow = (metric: string, unit: string, ours: number, goal: string | null = null, meets?: (r: { ours: number }) => boolean) =>
      recordRow({ scenario: `soak: ${fmt(SECONDS / 60, 1)} min, ${SUBSCRIBERS} churning subscribers, a fault every ${FAULT_EVERY} s`, metric, unit, ours, baselines: {}, goal, meets });
    soakRow('dashboards/s', '1/s', summary.dashboard.perSecond);
    soakRow('transfers/s', '1/s', summary.transfer.perSecond);
    soakRow('calls/s', '1/s', (done.calls.recorded) / SECONDS);
    soakRow('transfer p50 (median window)', 'ms', summary.transfer.p50Ms);
    soakRow('transfer p99 (worst window)', 'ms', summary.transfer.worstP99Ms);
    soakRow('dashboard p99 (worst window)', 'ms', summary.dashboard.worstP99Ms);
    soakRow('events lost + duplicated + reordered', 'events', streams.lost + streams.duplicated + streams.outOfOrder, '0', ({ ours }) => ours === 0);
    soakRow('heap growth after warm-up', '%', trend.growth * 100, '< 20%', ({ ours }) => ours < 20);
    soakRow('server rss, max', 'MB', summary.memory.rssMaxMb);
    soakRow('ledger:verify problems', 'problems', ledger.problems.length, '0', ({ ours }) => ours === 0);
    console.log(`\n${formatTable(recordedRows())}\n`);
    if (process.env.SOAK_WRITE_RESULTS !== '0') writeRows(LATEST_RESULTS, recordedRows());
    console.log(`SOAK_RESULT ${JSON.stringify({ ok: checks.every(([, ok]) => ok), summary })}`);
    return checks.every(([, ok]) => ok);
  } finally {
    if (child.connected) child.send({ type: 'exit' });
    await admin.end().catch(() => undefined);
    await env.close();
  }
}

if (require.main === module) {
  run().then(
    (ok) => process.exit(ok ? 0 : 1),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
