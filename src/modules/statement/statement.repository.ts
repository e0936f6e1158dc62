import type { DataSource, EntityManager } from 'typeorm';
import type { MinuteTier } from '../pricing/pricing';
import type { CallStatus } from '../usage/call.entity';
import { addGroup, emptyFigures, type UsageFigures } from '../reporting/usage-figures';
import { statementFigures, type LegSum, type StatementFigures } from './statement-rules';
import { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { Keyset } from '../../shared/pagination';

/** One sub-account over one billing cycle [from, to). */
export interface StatementScope {
  subAccountId: string;
  from: Date;
  to: Date;
}

export interface StatementData {
  figures: StatementFigures;
  /** The calls recorded in the cycle (the ones its USAGE debits are for). */
  usage: UsageFigures;
}

/**
 * The SQL of statements: two statements for any number of (sub-account, cycle) scopes.
 *
 * 1. The ledger: per scope, its wallet's legs in [from, to) summed by kind and direction (two
 *    index ranges of ledger_transfers_debit_idx / _credit_idx), and per *run* of consecutive
 *    cycles of one sub-account the sum of every leg before the run's first cycle (its opening).
 *    Later cycles of a run open at the previous one's closing, so a year of statements reads
 *    each leg once.
 * 2. The calls recorded in each scope (calls_sub_account_recorded_idx, index-only).
 */
export class StatementRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /** A page of the agency's sub-accounts (removed ones included) after `after`, oldest first: the export's unit of work. */
  subAccountsPage(agencyId: string, after: Keyset | undefined, take: number): Promise<SubAccountEntity[]> {
    const query = this.db.getRepository(SubAccountEntity).createQueryBuilder('s').where('s.agency_id = :agencyId', { agencyId });
    if (after) query.andWhere('(s.created_at, s.id) > (:createdAt, :id)', after);
    return query.orderBy('s.created_at', 'ASC').addOrderBy('s.id', 'ASC').take(take).getMany();
  }

  async load(scopes: readonly StatementScope[]): Promise<StatementData[]> {
    if (scopes.length === 0) return [];
    const order = scopes.map((_, k) => k).sort((a, b) => {
      const x = scopes[a];
      const y = scopes[b];
      return x.subAccountId < y.subAccountId ? -1 : x.subAccountId > y.subAccountId ? 1 : x.from.getTime() - y.from.getTime();
    });
    // The first scope of each run of consecutive cycles (same sub-account, each starting where the previous ended).
    const runStarts = order.filter((k, i) => {
      const previous = i > 0 ? scopes[order[i - 1]] : undefined;
      return !previous || previous.subAccountId !== scopes[k].subAccountId || previous.to.getTime() !== scopes[k].from.getTime();
    });
    const ks = scopes.map((_, k) => k);
    const [ledgerRows, callRows] = await Promise.all([
      this.db.query(
        `WITH s AS (SELECT t.k, t.lo, t.hi, w.id AS wallet
                      FROM unnest($1::int[], $2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS t(k, sub, lo, hi)
                      JOIN wallets w ON w.sub_account_id = t.sub),
              o AS (SELECT t.k, t.lo, w.id AS wallet
                      FROM unnest($5::int[], $6::uuid[], $7::timestamptz[]) AS t(k, sub, lo)
                      JOIN wallets w ON w.sub_account_id = t.sub)
         SELECT s.k, x.kind, x.direction, x.amount::text AS amount FROM s CROSS JOIN LATERAL (
             SELECT t.kind, 'D'::text AS direction, sum(t.amount_micros) AS amount FROM ledger_transfers t
              WHERE t.debit_account_id = s.wallet AND t.created_at >= s.lo AND t.created_at < s.hi GROUP BY t.kind
             UNION ALL
             SELECT t.kind, 'C'::text, sum(t.amount_micros) FROM ledger_transfers t
              WHERE t.credit_account_id = s.wallet AND t.created_at >= s.lo AND t.created_at < s.hi GROUP BY t.kind) x
         UNION ALL
         SELECT o.k, NULL, 'O', (
             coalesce((SELECT sum(t.amount_micros) FROM ledger_transfers t WHERE t.credit_account_id = o.wallet AND t.created_at < o.lo), 0)
           - coalesce((SELECT sum(t.amount_micros) FROM ledger_transfers t WHERE t.debit_account_id = o.wallet AND t.created_at < o.lo), 0))::text
           FROM o`,
        [
          ks, ks.map((k) => scopes[k].subAccountId), ks.map((k) => scopes[k].from.toISOString()), ks.map((k) => scopes[k].to.toISOString()),
          runStarts, runStarts.map((k) => scopes[k].subAccountId), runStarts.map((k) => scopes[k].from.toISOString()),
        ],
      ) as Promise<Array<{ k: number; kind: string | null; direction: 'C' | 'D' | 'O'; amount: string }>>,
      this.db.query(
        `WITH s AS (SELECT * FROM unnest($1::int[], $2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS t(k, sub, lo, hi))
         SELECT s.k, c.tier, c.status, count(*)::text AS calls, sum(c.duration_seconds)::text AS seconds,
                sum(c.cost_micros)::text AS cost, sum(c.profit_micros)::text AS profit
           FROM s CROSS JOIN LATERAL (
             SELECT tier, status, duration_seconds, cost_micros, profit_micros FROM calls
              WHERE sub_account_id = s.sub AND recorded_at >= s.lo AND recorded_at < s.hi OFFSET 0) c
          GROUP BY s.k, c.tier, c.status`,
        [ks, ks.map((k) => scopes[k].subAccountId), ks.map((k) => scopes[k].from.toISOString()), ks.map((k) => scopes[k].to.toISOString())],
      ) as Promise<Array<{ k: number; tier: MinuteTier; status: CallStatus; calls: string; seconds: string; cost: string; profit: string }>>,
    ]);

    const legs = scopes.map((): LegSum[] => []);
    const openings = new Map<number, bigint>();
    for (const row of ledgerRows) {
      if (row.direction === 'O') openings.set(row.k, BigInt(row.amount));
      else legs[row.k].push({ kind: row.kind!, direction: row.direction, amountMicros: BigInt(row.amount) });
    }
    const usage = scopes.map(() => emptyFigures());
    for (const row of callRows) addGroup(usage[row.k], row.tier, row.status, row.calls, row.seconds, row.cost, row.profit);

    const results: StatementData[] = new Array(scopes.length);
    let closing = 0n;
    for (const k of order) {
      // A run's first cycle opens at the sum before it; each later one at the previous closing.
      const opening = openings.get(k) ?? closing;
      const figures = statementFigures(opening, legs[k]);
      closing = figures.closingMicros;
      results[k] = { figures, usage: usage[k] };
    }
    return results;
  }
}
