import type { DataSource } from 'typeorm';
import type { MinuteTier } from '../pricing/pricing';
import { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { CallStatus } from '../usage/call.entity';
import { planRange } from './range-plan';
import { addGroup, emptyFigures, type UsageFigures } from './usage-figures';

/** Every sub-account of one agency over one half-open range of call start instants. */
export interface AgencyUsageKey {
  agencyId: string;
  from: Date;
  to: Date;
}

/** One sub-account of an agency-wide figure: the row itself, its wallet balance now, its figures over the range. */
export interface SubAccountUsage {
  subAccount: SubAccountEntity;
  walletBalanceMicros: bigint;
  figures: UsageFigures;
}

/**
 * Agency-wide figures in ONE statement, whatever the number of agencies and sub-accounts:
 * every sub-account of each agency (removed ones included; the primary first, then oldest
 * first), its wallet balance now, and its figures over the key's range. The range is
 * planned once per key (`planRange`: monthly rollups, signed daily rollups, raw calls of the
 * partial edge days) and every piece is read per sub-account by one index-only range scan,
 * as in `loadUsageFigures`; the sums come back as one JSON array per sub-account (decimal
 * strings: sums of micro-dollars can pass 2^53).
 *
 * The pieces are summed inside a LATERAL per sub-account (a hash of at most 12 tier ×
 * status groups per sub-account), not in one hash over every row of the agency keyed by
 * sub-account, tier and status followed by a second grouping per sub-account: the same rows
 * and index scans, about 1 ms less per year of 50 sub-accounts on these machines.
 *
 * One statement instead of three (sub-accounts, figures, balances) because on these
 * machines a statement's round trip costs as much as the figures of a year of 50
 * sub-accounts (docs/usage.md, "Measured").
 */
export async function loadAgencyUsage(dataSource: DataSource, keys: readonly AgencyUsageKey[]): Promise<SubAccountUsage[][]> {
  const monthly = { k: [] as number[], from: [] as string[], to: [] as string[] };
  const daily = { k: [] as number[], from: [] as string[], to: [] as string[], sign: [] as number[] };
  const raw = { k: [] as number[], from: [] as string[], to: [] as string[] };
  keys.forEach((key, k) => {
    const plan = planRange(key.from, key.to);
    for (const piece of plan.monthly) monthly.k.push(k), monthly.from.push(piece.from), monthly.to.push(piece.to);
    for (const piece of plan.daily) daily.k.push(k), daily.from.push(piece.from), daily.to.push(piece.to), daily.sign.push(piece.sign);
    for (const piece of plan.raw) raw.k.push(k), raw.from.push(piece.from.toISOString()), raw.to.push(piece.to.toISOString());
  });
  const rows: Array<Record<string, unknown> & { k: number; wallet_balance_micros: string; figures: string[][] | null }> =
    await dataSource.query(
      `WITH q AS (SELECT * FROM unnest($1::int[], $2::uuid[]) AS t(k, agency_id)),
            m AS (SELECT * FROM unnest($3::int[], $4::date[], $5::date[]) AS t(k, lo, hi)),
            d AS (SELECT * FROM unnest($6::int[], $7::date[], $8::date[], $9::int[]) AS t(k, lo, hi, sign)),
            r AS (SELECT * FROM unnest($10::int[], $11::timestamptz[], $12::timestamptz[]) AS t(k, lo, hi))
       SELECT q.k, s.*, la.balance_micros AS wallet_balance_micros, f.figures
         FROM q
         JOIN sub_accounts s ON s.agency_id = q.agency_id
         JOIN wallets w ON w.sub_account_id = s.id
         JOIN ledger_accounts la ON la.id = w.id
         CROSS JOIN LATERAL (
           SELECT json_agg(json_build_array(tier, status, calls::text, seconds::text, cost::text, profit::text)) AS figures
             FROM (
               SELECT tier, status, sum(calls) AS calls, sum(seconds) AS seconds, sum(cost) AS cost, sum(profit) AS profit
                 FROM (
                   SELECT tier, status, call_count AS calls, duration_seconds AS seconds, cost_micros AS cost, profit_micros AS profit
                     FROM m JOIN usage_monthly_rollups u ON u.sub_account_id = s.id AND u.month >= m.lo AND u.month < m.hi
                    WHERE m.k = q.k
                   UNION ALL
                   SELECT tier, status, d.sign * call_count, d.sign * duration_seconds, d.sign * cost_micros, d.sign * profit_micros
                     FROM d JOIN usage_daily_rollups u ON u.sub_account_id = s.id AND u.day >= d.lo AND u.day < d.hi
                    WHERE d.k = q.k
                   UNION ALL
                   SELECT tier, status, 1, duration_seconds, cost_micros, profit_micros
                     FROM r JOIN calls c ON c.sub_account_id = s.id AND c.started_at >= r.lo AND c.started_at < r.hi
                    WHERE r.k = q.k
                 ) pieces
                GROUP BY tier, status
             ) groups
         ) f
        ORDER BY q.k, s.kind, s.created_at, s.id`,
      [
        keys.map((_, k) => k), keys.map((key) => key.agencyId),
        monthly.k, monthly.from, monthly.to,
        daily.k, daily.from, daily.to, daily.sign,
        raw.k, raw.from, raw.to,
      ],
    );
  const metadata = dataSource.getMetadata(SubAccountEntity);
  const results: SubAccountUsage[][] = keys.map(() => []);
  for (const row of rows) {
    // The entity as TypeORM would hydrate it (column types and transformers), from the same row.
    const subAccount = metadata.create() as SubAccountEntity;
    for (const column of metadata.columns) {
      column.setEntityValue(subAccount, dataSource.driver.prepareHydratedValue(row[column.databaseName], column));
    }
    const figures = emptyFigures();
    for (const [tier, status, calls, seconds, cost, profit] of row.figures ?? []) {
      addGroup(figures, tier as MinuteTier, status as CallStatus, calls, seconds, cost, profit);
    }
    results[row.k].push({ subAccount, walletBalanceMicros: BigInt(row.wallet_balance_micros), figures });
  }
  return results;
}
