import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { fmt, openBenchEnv, runLoad, zipfSampler, type LoadResult } from './harness';

/**
 * Minute transfers per second and latency through GraphQL (HTTP → Apollo → service →
 * one transaction), beside a baseline that issues the same ledger transaction directly
 * with `pg` (guarded debit, credit, transfer row) on the same database in the same run.
 */
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

type Picker = () => [number, number];

function distinctPair(pick: () => number): Picker {
  return () => {
    const from = pick();
    let to = pick();
    while (to === from) to = pick();
    return [from, to];
  };
}

export async function run(): Promise<void> {
  const env = await openBenchEnv(CONCURRENCY + 8);
  try {
    const created = await env.gql(
      `mutation($input: CreateAgencyInput!) { createAgency(input: $input) { agency { id primarySubAccount { id } } } }`,
      { input: { name: 'Bench agency', planCode: 'AGENCY_UNLIMITED', primaryLoginEmail: 'bench-primary@example.com' } },
    );
    const agencyId: string = created.data.createAgency.agency.id;
    const subAccountIds: string[] = [created.data.createAgency.agency.primarySubAccount.id];
    for (let i = 1; i < ACCOUNTS; i++) {
      const added = await env.gql(
        `mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } } }`,
        { input: { agencyId, name: `Client ${i}`, loginEmail: `bench-${i}@example.com`, markupPremium: `0.0${i % 10}` } },
      );
      subAccountIds.push(added.data.addSubAccount.subAccount.id);
    }
    for (const [i, id] of subAccountIds.entries()) {
      await env.gql(
        `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
        { input: { subAccountId: id, amount: '1000000', reason: 'bench funding', idempotencyKey: `fund-${i}` } },
      );
    }
    const wallets: Array<{ id: string }> = await env.dataSource.query(
      `SELECT w.id FROM wallets w JOIN sub_accounts s ON s.id = w.sub_account_id WHERE s.agency_id = (
         SELECT agency_id FROM sub_accounts WHERE kind = 'PRIMARY' LIMIT 1) ORDER BY s.created_at, s.id`,
    );
    const [{ agency_id: agencyUuid }] = await env.dataSource.query(`SELECT agency_id FROM ledger_accounts WHERE id = $1`, [wallets[0].id]);

    const uniform = () => Math.floor(Math.random() * ACCOUNTS);
    const scenarios: Array<[string, Picker]> = [
      [`uniform over ${ACCOUNTS} wallets`, distinctPair(uniform)],
      ['hot spot (Zipf 2.0)', distinctPair(zipfSampler(ACCOUNTS, 2.0))],
      ['two wallets only', () => (Math.random() < 0.5 ? [0, 1] : [1, 0])],
    ];

    const pool = new Pool({ connectionString: env.databaseUrl, max: CONCURRENCY });
    const run = randomBytes(3).toString('hex');
    let sequence = 0;
    const rows: string[] = [];
    for (const [name, pick] of scenarios) {
      const baseline: LoadResult = await runLoad(CONCURRENCY, SECONDS, async () => {
        const [from, to] = pick();
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const legs = [
            { id: wallets[from].id, sql: `UPDATE ledger_accounts SET debits_micros = debits_micros + 1600, balance_micros = balance_micros - 1600 WHERE id = $1 AND balance_micros >= 1600` },
            { id: wallets[to].id, sql: `UPDATE ledger_accounts SET credits_micros = credits_micros + 1600, balance_micros = balance_micros + 1600 WHERE id = $1` },
          ].sort((a, b) => (a.id < b.id ? -1 : 1));
          await client.query(
            `INSERT INTO ledger_transfers (agency_id, kind, debit_account_id, credit_account_id, amount_micros, idempotency_key, request_sha256)
             VALUES ($1, 'MINUTE_TRANSFER', $2, $3, 1600, $4, '\\x00')`,
            [agencyUuid, wallets[from].id, wallets[to].id, `base-${run}-${sequence++}`],
          );
          for (const leg of legs) await client.query(leg.sql, [leg.id]);
          await client.query('COMMIT');
          return true;
        } catch {
          await client.query('ROLLBACK').catch(() => undefined);
          return false;
        } finally {
          client.release();
        }
      });
      const api: LoadResult = await runLoad(CONCURRENCY, SECONDS, async () => {
        const [from, to] = pick();
        const response = await env.gql(
          `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code } } }`,
          {
            input: {
              fromSubAccountId: subAccountIds[from],
              toSubAccountId: subAccountIds[to],
              tier: 'PREMIUM',
              minutes: '0.01',
              idempotencyKey: `bench-${run}-${sequence++}`,
            },
          },
        );
        return Boolean(response.data?.transferMinutes?.transfer);
      });
      rows.push(
        `| ${name} | ${fmt(api.perSecond)} | ${fmt(api.p50Ms, 1)} | ${fmt(api.p99Ms, 1)} | ${fmt(baseline.perSecond)} | ${fmt(baseline.p50Ms, 1)} | ${fmt(baseline.p99Ms, 1)} | ${fmt(api.perSecond / baseline.perSecond, 2)}× |` +
          (api.failures ? ` (${api.failures} failed)` : ''),
      );
    }
    await pool.end();
    console.log(`\n### transfers (${CONCURRENCY} concurrent clients, ${SECONDS} s per run, ${ACCOUNTS} wallets)\n`);
    console.log('| traffic | GraphQL transfers/s | p50 ms | p99 ms | pg baseline/s | p50 ms | p99 ms | ratio |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
  } finally {
    await env.close();
  }
}
