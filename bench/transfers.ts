import { randomBytes } from 'node:crypto';
import { profilePhase } from './profile';
import { fmt, openBenchEnv, postmasterPid, runLoadInChild, seedAgency, withCpu, type BenchEnv } from './harness';
import type { LoadSpec, Traffic } from './load-client';
import { recordRow } from './results';

/**
 * Minute transfers per second and latency through GraphQL (HTTP → Apollo → service →
 * group commit), beside a baseline that issues the same ledger transaction directly
 * with `pg` (guarded debit, credit, transfer row) on the same database in the same run.
 * Both are driven by a load generator in its own process (load-client.ts); the server
 * runs in this one.
 */
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 3);
/** Comma-separated traffic shapes to run (uniform, zipf, two); all by default. */
const TRAFFIC = (process.env.BENCH_TRAFFIC ?? 'uniform,zipf,two').split(',');

export async function run(): Promise<void> {
  const env = await openBenchEnv(CONCURRENCY + 8);
  try {
    const { agencyUuid, subAccountIds, walletIds } = await seedAgency(env, {
      label: 'transfers', subAccounts: ACCOUNTS, fundDollars: '1000000', markupPremium: (i) => `0.0${i % 10}`,
    });

    const scenarios = ([
      [`uniform over ${ACCOUNTS} wallets`, 'uniform'],
      ['hot spot (Zipf 2.0)', 'zipf'],
      ['two wallets only', 'two'],
    ] as Array<[string, Traffic]>).filter(([, traffic]) => TRAFFIC.includes(traffic));
    // Statistics as a running system has them (autovacuum analyzes within a minute); on the
    // fresh tables' missing statistics the planner picks sequential scans that grow with the run.
    await env.dataSource.query('ANALYZE');
    const postmaster = await postmasterPid(env.dataSource);
    // Warm-up, not measured: the first seconds of a fresh server run unoptimised code (the
    // JIT) and cold caches, which counted against whichever shape ran first.
    const warmUp = { traffic: 'uniform' as const, concurrency: CONCURRENCY, seconds: WARM_UP_SECONDS, runId: randomBytes(4).toString('hex') };
    await runLoadInChild<LoadSpec>({ ...warmUp, target: 'graphql', port: env.port, key: env.platformKey, subAccountIds });
    await runLoadInChild<LoadSpec>({ ...warmUp, target: 'pg', databaseUrl: env.databaseUrl, agencyUuid, walletIds });
    const rows: string[] = [];
    const cpuRows: string[] = [];
    const batchRows: string[] = [];
    for (const [name, traffic] of scenarios) {
      const common = { traffic, concurrency: CONCURRENCY, seconds: SECONDS, runId: randomBytes(4).toString('hex') };
      await vacuumHotTables(env);
      const baseline = await withCpu(postmaster, () =>
        runLoadInChild<LoadSpec>({ ...common, target: 'pg', databaseUrl: env.databaseUrl, agencyUuid, walletIds }),
      );
      await vacuumHotTables(env);
      const before = { ...env.transferBatcher.stats };
      const api = await profilePhase(traffic, 'transfers', () =>
        withCpu(postmaster, () =>
          runLoadInChild<LoadSpec>({ ...common, target: 'graphql', port: env.port, key: env.platformKey, subAccountIds }),
        ),
      );
      const after = env.transferBatcher.stats;
      const batches = after.batches - before.batches;
      batchRows.push(
        `| ${name} | ${fmt((after.transfers - before.transfers) / Math.max(1, batches), 1)} | ${fmt((after.writeMs - before.writeMs) / Math.max(1, batches), 2)} |`,
      );
      cpuRows.push(`| ${name} | ${fmt(api.serverCpuMs, 2)} | ${fmt(api.dbCpuMs, 2)} | ${fmt(baseline.dbCpuMs, 2)} |`);
      recordRow({
        scenario: `transfers: ${name}`, metric: 'transfers/s', unit: '1/s', ours: api.perSecond,
        baselines: { 'pg transaction': baseline.perSecond },
        // The ledger issue's goals: at least the baseline's rate; the hot spot also 1,000/s.
        goal: traffic === 'zipf' ? 'ratio ≥ 1.0 and ≥ 1,000/s' : 'ratio ≥ 1.0',
        meets: ({ ours, ratio }) => (ratio ?? 0) >= 1 && (traffic !== 'zipf' || ours >= 1000),
      });
      recordRow({
        scenario: `transfers: ${name}`, metric: 'API server CPU per transfer', unit: 'ms', ours: api.serverCpuMs,
        baselines: {}, goal: null,
      });
      rows.push(
        `| ${name} | ${fmt(api.perSecond)} | ${fmt(api.p50Ms, 1)} | ${fmt(api.p99Ms, 1)} | ${fmt(baseline.perSecond)} | ${fmt(baseline.p50Ms, 1)} | ${fmt(baseline.p99Ms, 1)} | ${fmt(api.perSecond / baseline.perSecond, 2)}× |` +
          (api.failures ? ` (${api.failures} failed)` : ''),
      );
    }
    console.log(`\n### transfers (${CONCURRENCY} concurrent clients, ${SECONDS} s per run, ${ACCOUNTS} wallets)\n`);
    console.log('| traffic | GraphQL transfers/s | p50 ms | p99 ms | pg baseline/s | p50 ms | p99 ms | ratio |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    console.log('\nCPU per transfer (ms): the API server process, PostgreSQL under the API, PostgreSQL under the baseline\n');
    console.log('| traffic | API server | PostgreSQL (API) | PostgreSQL (baseline) |');
    console.log('| --- | --- | --- | --- |');
    for (const row of cpuRows) console.log(row);
    console.log('\nGroup commit under the API: transfers per batch, and ms from sending a batch to its result as the server sees it\n');
    console.log('| traffic | transfers / batch | ms / batch |');
    console.log('| --- | --- | --- |');
    for (const row of batchRows) console.log(row);
  } finally {
    await env.close();
  }
}

/**
 * Each measured run starts from clean hot rows, whichever ran before it. The baseline's 16
 * concurrent transactions update the hot wallets while their transfer rows' foreign-key
 * checks share-lock the same rows, which leaves multixact-locked row versions behind; the
 * next run inherited them (two wallets after the others: 591–838/s, 1,399/s after this
 * VACUUM; PostgreSQL's CPU per transfer 0.7–1.4 → 0.36 ms). Autovacuum visits a database
 * once a minute, longer than a whole shape takes here. The API's own 20 s runs showed no such
 * decay (its batches take the row lock before the FK checks).
 */
async function vacuumHotTables(env: BenchEnv): Promise<void> {
  await env.dataSource.query('VACUUM ledger_accounts, sub_accounts');
}
