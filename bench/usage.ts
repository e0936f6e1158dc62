import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { Pool, type PoolClient } from 'pg';
import { decodeId } from '../src/shared/global-id';
import { fmt, openBenchEnv, postJson, runLoad, seedAgency, type BenchEnv, type LoadResult } from './harness';
import { recordRow } from './results';

/**
 * Usage ingestion and reporting.
 *
 * Ingestion: calls/s through GraphQL (`recordCallUsageBatch` with an ingest key: HTTP →
 * Apollo → validation → one transaction per request writing calls, USAGE transfers, wallet
 * balances and rollups), beside a baseline that writes the same rows with plain `pg` and
 * the same multi-row statements, on the same database in the same run. Every batch spreads
 * its calls over the same 50 wallets, so concurrent batches contend for them (the usual
 * shape: one voice platform pushing an agency's calls).
 *
 * Reports: latency of dashboard queries over one year of calls, for an agency of 50
 * sub-accounts holding 10 thousand and then 1 million calls. The data is seeded with
 * set-based SQL (calls, their USAGE transfers, balances and rollups, consistent with what
 * ingestion writes), then each query runs sequentially through GraphQL.
 */
const SUB_ACCOUNTS = 50;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const LARGE = Number(process.env.BENCH_LARGE_CALLS ?? 1_000_000);
const SMALL = 10_000;
const REPORT_RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 60);
/** `ingest`, `reports` or both (comma-separated): which half to run. */
const PARTS = (process.env.BENCH_USAGE_PARTS ?? 'ingest,reports').split(',');
const DAY = 86_400_000;
const STATUSES = ['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED', 'NO_ANSWER', 'BUSY', 'FAILED', 'VOICEMAIL', 'CANCELED'];

interface Agency {
  id: string;
  uuid: string;
  subAccountIds: string[];
  subs: Array<{ id: string; walletId: string }>;
}

async function createBenchAgency(env: BenchEnv, label: string): Promise<Agency> {
  const seeded = await seedAgency(env, { label, subAccounts: SUB_ACCOUNTS });
  await env.gql(`mutation($input: SetAgencyMarkupInput!) { setAgencyMarkup(input: $input) { userErrors { code } } }`, {
    input: { agencyId: seeded.agencyId, basic: '0.02', premium: '0.04' },
  });
  return {
    id: seeded.agencyId,
    uuid: seeded.agencyUuid,
    subAccountIds: seeded.subAccountIds,
    subs: seeded.subAccountIds.map((id, i) => ({ id: decodeId(id, 'SubAccount')!, walletId: seeded.walletIds[i] })),
  };
}

/** A fresh call for the batch: a random sub-account, a start in the last 30 days, mostly completed. */
function makeCall(run: string, sequence: number, sub: number) {
  const status = STATUSES[sequence % STATUSES.length];
  return {
    sub,
    externalCallId: `${run}-${sequence}`,
    tier: sequence % 3 === 0 ? 'BASIC' : 'PREMIUM',
    status,
    startedAt: new Date(Date.now() - 3_600_000 - Math.floor(Math.random() * 30 * DAY)).toISOString(),
    durationSeconds: status === 'COMPLETED' ? 10 + (sequence % 600) : status === 'VOICEMAIL' ? sequence % 60 : 0,
  };
}

type Call = ReturnType<typeof makeCall>;

/**
 * The baseline: the rows ingestion writes (calls, USAGE transfers, wallet debits, daily and
 * monthly rollups) with plain `pg`, the same multi-row statements in the same order with the
 * same lock order (call keys and rollup rows sorted, the wallets last, by id), but no HTTP,
 * GraphQL, validation, hashing, tenancy or pricing reads, and no outbox events (which the
 * API writes: the baseline is the stricter for it).
 */
async function baselineBatch(client: PoolClient, agency: Agency, revenueId: string, calls: Call[]): Promise<void> {
  const rows = calls.map((c) => {
    const sub = agency.subs[c.sub];
    const markup = c.tier === 'BASIC' ? 20_000n : 40_000n;
    const price = (c.tier === 'BASIC' ? 90_000n : 160_000n) + (c.sub === 0 ? 0n : markup);
    const cost = (BigInt(c.durationSeconds) * price + 59n) / 60n;
    const profit = c.sub === 0 ? 0n : (BigInt(c.durationSeconds) * markup) / 60n;
    return { ...c, sub, price, markup: c.sub === 0 ? 0n : markup, cost, profit, transferId: cost > 0n ? randomUUID() : null };
  });
  // The API's lock order: call keys and rollup rows sorted, the wallets last, in id order.
  rows.sort((a, b) => (a.sub.id + a.externalCallId < b.sub.id + b.externalCallId ? -1 : 1));
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO calls (sub_account_id, external_call_id, scenario_id, tier, status, started_at, duration_seconds,
                          price_micros, markup_micros, cost_micros, profit_micros, transfer_id, request_sha256)
       SELECT a, b, NULL, c, d, e, f, g, h, i, j, k, '\\x00'::bytea
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::int[], $7::bigint[], $8::bigint[],
                     $9::bigint[], $10::bigint[], $11::uuid[]) AS t(a, b, c, d, e, f, g, h, i, j, k)
       ON CONFLICT (sub_account_id, external_call_id) DO NOTHING`,
      [
        rows.map((r) => r.sub.id), rows.map((r) => `base-${r.externalCallId}`), rows.map((r) => r.tier), rows.map((r) => r.status),
        rows.map((r) => r.startedAt), rows.map((r) => r.durationSeconds), rows.map((r) => String(r.price)),
        rows.map((r) => String(r.markup)), rows.map((r) => String(r.cost)), rows.map((r) => String(r.profit)), rows.map((r) => r.transferId),
      ],
    );
    const paid = rows.filter((r) => r.transferId);
    await client.query(
      `INSERT INTO ledger_transfers (id, agency_id, kind, debit_account_id, credit_account_id, amount_micros, tier, memo)
       SELECT t.id, $1, 'USAGE', t.w, $2, t.a, t.tier, t.memo
         FROM unnest($3::uuid[], $4::uuid[], $5::bigint[], $6::text[], $7::text[]) AS t(id, w, a, tier, memo)`,
      [agency.uuid, revenueId, paid.map((r) => r.transferId), paid.map((r) => r.sub.walletId), paid.map((r) => String(r.cost)),
        paid.map((r) => r.tier), paid.map((r) => `Call base-${r.externalCallId}`)],
    );
    const groups = new Map<string, { sub: string; day: string; tier: string; status: string; n: number; s: bigint; c: bigint; p: bigint }>();
    for (const r of rows) {
      const day = r.startedAt.slice(0, 10);
      const key = `${r.sub.id} ${day} ${r.tier} ${r.status}`;
      const g = groups.get(key) ?? { sub: r.sub.id, day, tier: r.tier, status: r.status, n: 0, s: 0n, c: 0n, p: 0n };
      g.n += 1;
      g.s += BigInt(r.durationSeconds);
      g.c += r.cost;
      g.p += r.profit;
      groups.set(key, g);
    }
    const gs = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, g]) => g);
    await client.query(
      `WITH input AS (SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
                        AS t(sub_account_id, day, tier, status, call_count, duration_seconds, cost_micros, profit_micros)),
            daily AS (INSERT INTO usage_daily_rollups AS r SELECT * FROM input
                      ON CONFLICT (sub_account_id, day, tier, status) DO UPDATE SET call_count = r.call_count + excluded.call_count,
                        duration_seconds = r.duration_seconds + excluded.duration_seconds, cost_micros = r.cost_micros + excluded.cost_micros,
                        profit_micros = r.profit_micros + excluded.profit_micros)
       INSERT INTO usage_monthly_rollups AS r
       SELECT sub_account_id, date_trunc('month', day)::date, tier, status, sum(call_count), sum(duration_seconds), sum(cost_micros), sum(profit_micros)
         FROM input GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
       ON CONFLICT (sub_account_id, month, tier, status) DO UPDATE SET call_count = r.call_count + excluded.call_count,
         duration_seconds = r.duration_seconds + excluded.duration_seconds, cost_micros = r.cost_micros + excluded.cost_micros,
         profit_micros = r.profit_micros + excluded.profit_micros`,
      [gs.map((g) => g.sub), gs.map((g) => g.day), gs.map((g) => g.tier), gs.map((g) => g.status), gs.map((g) => g.n),
        gs.map((g) => String(g.s)), gs.map((g) => String(g.c)), gs.map((g) => String(g.p))],
    );
    const debits = new Map<string, bigint>();
    for (const r of paid) debits.set(r.sub.walletId, (debits.get(r.sub.walletId) ?? 0n) + r.cost);
    await client.query(`SELECT id FROM ledger_accounts WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE`, [[...debits.keys()]]);
    await client.query(
      `UPDATE ledger_accounts a SET debits_micros = a.debits_micros + d.amount, balance_micros = a.balance_micros - d.amount
         FROM unnest($1::uuid[], $2::bigint[]) AS d(id, amount) WHERE a.id = d.id`,
      [[...debits.keys()], [...debits.values()].map(String)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function measureIngestion(env: BenchEnv, agency: Agency, ingestKey: string): Promise<string[]> {
  const pool = new Pool({ connectionString: env.databaseUrl, max: CONCURRENCY });
  const [{ id: revenueId }] = await env.dataSource.query(`SELECT id FROM ledger_accounts WHERE type = 'PLATFORM_REVENUE'`);
  const run = randomBytes(3).toString('hex');
  let sequence = 0;
  const batchOf = (size: number) => Array.from({ length: size }, () => makeCall(run, sequence++, Math.floor(Math.random() * SUB_ACCOUNTS)));
  // The harness's keep-alive node:http client (fetch costs this process more CPU than the server's work).
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = async (calls: Call[]) => {
    const body = await postJson(agent, env.port, ingestKey, {
      query: `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { calls { id } userErrors { code } } }`,
      variables: { inputs: calls.map(({ sub, ...c }) => ({ ...c, subAccountId: agency.subAccountIds[sub] })) },
    });
    return body.data?.recordCallUsageBatch.calls.length === calls.length;
  };
  const rows: string[] = [];
  for (const size of (process.env.BENCH_BATCH_SIZES ?? '1,100,1000').split(',').map(Number)) {
    // Warm-up: plans, JIT of the statements, connection pools.
    await post(batchOf(size));
    const api: LoadResult = await runLoad(CONCURRENCY, SECONDS, () => post(batchOf(size)));
    const baseline: LoadResult = await runLoad(CONCURRENCY, SECONDS, async () => {
      const client = await pool.connect();
      try {
        await baselineBatch(client, agency, revenueId, batchOf(size));
        return true;
      } catch {
        return false;
      } finally {
        client.release();
      }
    });
    const apiCalls = api.perSecond * size;
    const baseCalls = baseline.perSecond * size;
    recordRow({
      scenario: `usage ingestion: ${size} call${size === 1 ? '' : 's'} per request`, metric: 'calls/s', unit: '1/s', ours: apiCalls,
      baselines: { 'pg insert': baseCalls }, goal: null,
    });
    rows.push(
      `| ${size === 1 ? '1 (recordCallUsageBatch of one)' : size} | ${fmt(apiCalls)} | ${fmt(api.p50Ms, 1)} | ${fmt(api.p99Ms, 1)} | ` +
        `${fmt(baseCalls)} | ${fmt(baseline.p50Ms, 1)} | ${fmt(baseline.p99Ms, 1)} | ${fmt(apiCalls / baseCalls, 2)}× |` +
        (api.failures || baseline.failures ? ` (failed: ${api.failures} API, ${baseline.failures} baseline)` : ''),
    );
  }
  await pool.end();
  agent.destroy();
  return rows;
}

/**
 * Seeds `count` calls over the last 365 days into the agency's 50 sub-accounts, in chunks:
 * the calls, a USAGE transfer for each paid call, the wallets' debits and the rollups, all
 * consistent (ledger:verify passes on the result).
 */
async function seed(env: BenchEnv, agency: Agency, count: number): Promise<void> {
  const [{ id: revenueId }] = await env.dataSource.query(`SELECT id FROM ledger_accounts WHERE type = 'PLATFORM_REVENUE'`);
  const chunk = 250_000;
  const yearAgo = Date.now() - 365 * DAY;
  for (let offset = 0; offset < count; offset += chunk) {
    const n = Math.min(chunk, count - offset);
    await env.dataSource.transaction(async (em) => {
      await em.query(`CREATE TEMP TABLE seed ON COMMIT DROP AS
        WITH g AS (
          SELECT g AS i, ($3::uuid[])[1 + g % 50] AS sub_id, ($4::uuid[])[1 + g % 50] AS wallet_id, g % 50 = 0 AS is_primary,
                 CASE WHEN g % 3 = 0 THEN 'BASIC' ELSE 'PREMIUM' END AS tier,
                 ($5::text[])[1 + (g * 7) % 9] AS status
            FROM generate_series($1::int, $1::int + $2::int - 1) AS g
        ), t AS (
          SELECT g.*, gen_random_uuid() AS transfer_id,
                 date_trunc('milliseconds', $6::timestamptz + random() * interval '364 days') AS started_at,
                 CASE status WHEN 'COMPLETED' THEN 10 + (random() * 600)::int WHEN 'VOICEMAIL' THEN (random() * 60)::int ELSE 0 END AS duration,
                 CASE WHEN is_primary THEN 0 WHEN tier = 'BASIC' THEN 20000 ELSE 40000 END::bigint AS markup
            FROM g
        )
        SELECT t.*, (CASE tier WHEN 'BASIC' THEN 90000 ELSE 160000 END + markup)::bigint AS price,
               ((duration * (CASE tier WHEN 'BASIC' THEN 90000 ELSE 160000 END + markup) + 59) / 60)::bigint AS cost,
               (duration * markup / 60)::bigint AS profit
          FROM t`,
        [offset, n, agency.subs.map((s) => s.id), agency.subs.map((s) => s.walletId), STATUSES, new Date(yearAgo).toISOString()],
      );
      await em.query(
        `INSERT INTO ledger_transfers (id, agency_id, kind, debit_account_id, credit_account_id, amount_micros, tier, memo, created_at)
         SELECT transfer_id, $1, 'USAGE', wallet_id, $2, cost, tier, 'Call seed-' || i, started_at FROM seed WHERE cost > 0`,
        [agency.uuid, revenueId],
      );
      await em.query(
        `INSERT INTO calls (sub_account_id, external_call_id, tier, status, started_at, duration_seconds, price_micros, markup_micros,
                            cost_micros, profit_micros, transfer_id, request_sha256, recorded_at)
         SELECT sub_id, 'seed-' || i, tier, status, started_at, duration, price, markup, cost, profit,
                CASE WHEN cost > 0 THEN transfer_id END, '\\x00'::bytea, started_at FROM seed`,
      );
      await em.query(
        `UPDATE ledger_accounts a SET debits_micros = a.debits_micros + d.amount, balance_micros = a.balance_micros - d.amount
           FROM (SELECT wallet_id, sum(cost) AS amount FROM seed GROUP BY 1) d WHERE a.id = d.wallet_id`,
      );
      for (const [table, period, expression] of [
        ['usage_daily_rollups', 'day', `(started_at AT TIME ZONE 'UTC')::date`],
        ['usage_monthly_rollups', 'month', `date_trunc('month', started_at AT TIME ZONE 'UTC')::date`],
      ]) {
        await em.query(
          `INSERT INTO ${table} AS r (sub_account_id, ${period}, tier, status, call_count, duration_seconds, cost_micros, profit_micros)
           SELECT sub_id, ${expression}, tier, status, count(*), sum(duration), sum(cost), sum(profit) FROM seed GROUP BY 1, 2, 3, 4
           ON CONFLICT (sub_account_id, ${period}, tier, status) DO UPDATE SET call_count = r.call_count + excluded.call_count,
             duration_seconds = r.duration_seconds + excluded.duration_seconds, cost_micros = r.cost_micros + excluded.cost_micros,
             profit_micros = r.profit_micros + excluded.profit_micros`,
        );
      }
    });
  }
  // What autovacuum does within minutes on a live database: statistics, and the visibility map
  // that lets reports read covering indexes without visiting the heap.
  await env.dataSource.query(`VACUUM (ANALYZE) calls, usage_daily_rollups, usage_monthly_rollups, ledger_transfers, ledger_accounts`);
}

const SUMMARY = `from to totalMinutes minutesByTier { tier minutes } callCount callsByStatus { status count } spent { amount } profit { amount }`;

interface ReportQuery {
  name: string;
  query: string;
  variables: (agency: Agency) => Record<string, unknown>;
}

function reportQueries(): ReportQuery[] {
  const now = Date.now();
  const lastYear = { from: new Date(now - 365 * DAY).toISOString(), to: new Date(now).toISOString() };
  const today = new Date(now);
  const monthStart = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1);
  const twelveMonths = { from: new Date(Date.UTC(today.getUTCFullYear() - 1, today.getUTCMonth(), 1)).toISOString(), to: new Date(monthStart).toISOString() };
  const report = `query($id: ID!, $range: DateRangeInput!) { agency(id: $id) { totalMinutesUsed(range: $range) usageReport(range: $range) {
    totals { ${SUMMARY} } bySubAccount { subAccount { id name } usage { ${SUMMARY} } walletBalance { amount } } } } }`;
  return [
    { name: 'agency report, last 365 days (any instant)', query: report, variables: (a) => ({ id: a.id, range: lastYear }) },
    { name: 'agency report, last 12 calendar months', query: report, variables: (a) => ({ id: a.id, range: twelveMonths }) },
    {
      name: 'one sub-account, last 365 days',
      query: `query($id: ID!, $range: DateRangeInput!) { subAccount(id: $id) { usage(range: $range) { ${SUMMARY} } wallet { spent(range: $range) { amount } } } }`,
      variables: (a) => ({ id: a.subAccountIds[1], range: lastYear }),
    },
    {
      name: 'calls page (20 newest) with totalCount',
      query: `query($id: ID!) { subAccount(id: $id) { calls(first: 20) { totalCount edges { node { id startedAt cost { amount } } } } } }`,
      variables: (a) => ({ id: a.subAccountIds[1] }),
    },
  ];
}

async function timeQuery(env: BenchEnv, query: ReportQuery, agency: Agency): Promise<{ p50: number; p99: number }> {
  const variables = query.variables(agency);
  const once = async () => {
    const t0 = performance.now();
    const response = await env.gql(query.query, variables);
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return performance.now() - t0;
  };
  for (let i = 0; i < 5; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < REPORT_RUNS; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)], p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] };
}

export async function run(): Promise<void> {
  const env = await openBenchEnv(CONCURRENCY + 8);
  try {
    if (PARTS.includes('ingest')) {
      const ingestAgency = await createBenchAgency(env, 'ingest');
      const key = await env.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, {
        input: { name: 'bench ingest', role: 'USAGE_INGEST', agencyId: ingestAgency.id },
      });
      const ingestRows = await measureIngestion(env, ingestAgency, key.data.createApiKey.secret);
      console.log(`\n### usage ingestion (${CONCURRENCY} concurrent clients, ${SECONDS} s per run, calls spread over ${SUB_ACCOUNTS} wallets)\n`);
      console.log('| calls per request | GraphQL calls/s | p50 ms/request | p99 ms | pg baseline calls/s | p50 ms | p99 ms | ratio |');
      console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
      for (const row of ingestRows) console.log(row);
    }
    if (!PARTS.includes('reports')) return;

    const small = await createBenchAgency(env, 'small');
    const large = await createBenchAgency(env, 'large');
    let t0 = performance.now();
    await seed(env, small, SMALL);
    const smallSeed = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await seed(env, large, LARGE);
    const largeSeed = (performance.now() - t0) / 1000;
    const [{ calls, daily, monthly }] = await env.dataSource.query(
      `SELECT (SELECT count(*) FROM calls) AS calls, (SELECT count(*) FROM usage_daily_rollups) AS daily,
              (SELECT count(*) FROM usage_monthly_rollups) AS monthly`,
    );
    console.log(
      `\n### usage reports over one year, ${SUB_ACCOUNTS} sub-accounts (${REPORT_RUNS} sequential runs each; seeded in ${fmt(smallSeed, 1)} s and ` +
        `${fmt(largeSeed, 1)} s; database: ${calls} calls, ${daily} daily and ${monthly} monthly rollup rows)\n`,
    );
    console.log(`| query | p50 ms at ${SMALL.toLocaleString('en')} calls | p99 ms | p50 ms at ${LARGE.toLocaleString('en')} calls | p99 ms | p50 ratio |`);
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const query of reportQueries()) {
      const a = await timeQuery(env, query, small);
      const b = await timeQuery(env, query, large);
      recordRow({
        scenario: `usage report: ${query.name}`, metric: `p50 at ${LARGE.toLocaleString('en')} calls`, unit: 'ms', ours: b.p50,
        baselines: { [`same at ${SMALL.toLocaleString('en')} calls`]: a.p50 },
        // Rollups: a year costs about what it costs at a hundredth of the data.
        goal: 'ratio ≤ 1.5', meets: ({ ratio }) => ratio !== null && ratio <= 1.5,
      });
      console.log(`| ${query.name} | ${fmt(a.p50, 1)} | ${fmt(a.p99, 1)} | ${fmt(b.p50, 1)} | ${fmt(b.p99, 1)} | ${fmt(b.p50 / a.p50, 2)}× |`);
    }
  } finally {
    await env.close();
  }
}
