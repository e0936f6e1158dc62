import type { DataSource } from 'typeorm';
import { LedgerAccountEntity } from '../ledger/ledger.entities';
import { WalletEntity } from '../wallet/wallet.entity';
import { SubAccountEntity, type SubAccountKind, type SubAccountStatus } from './sub-account.entity';

/** What a page of an agency's sub-accounts is filtered by; the cursor is the last row's keyset. */
export interface SubAccountPageQuery {
  agencyId: string;
  status?: SubAccountStatus | null;
  /** A LIKE pattern (already escaped) matched against name and login email, case-insensitively. */
  pattern?: string | null;
  after?: { createdAt: Date | string; id: string };
  /** Rows to fetch: the page size plus one, which only says whether a next page exists. */
  take: number;
}

/** A page's rows with their wallets and balances, read together, and the count of every match. */
export interface SubAccountPageRows {
  subAccounts: SubAccountEntity[];
  wallets: WalletEntity[];
  ledgerAccounts: LedgerAccountEntity[];
  /** Every sub-account matching the filters, cursor aside. */
  totalCount: number;
}

interface PageRow {
  id: string; agency_id: string; kind: SubAccountKind; status: SubAccountStatus; name: string; login_email: string;
  markup_basic_micros: string | null; markup_premium_micros: string | null; apply_base_price: boolean;
  subscription_started_at: Date; created_at: Date; removed_at: Date | null; active_since: Date;
  wallet_id: string; low_balance_threshold_micros: string; wallet_created_at: Date;
  debits_micros: string; credits_micros: string; balance_micros: string; ledger_created_at: Date; total_count: string;
}

/**
 * The read side of sub-accounts that the dashboard hits on every page: one statement for
 * the page, its wallets and their balances, and the total count (a scalar subquery, so a
 * page past the end still knows it). Raw rows mapped by hand: TypeORM's entity hydration
 * (alias maps, transformers, per-row metadata walks) cost more CPU than the query itself.
 */
export class SubAccountRepository {
  constructor(private readonly dataSource: DataSource) {}

  async page(query: SubAccountPageQuery): Promise<SubAccountPageRows> {
    const filters = ['s.agency_id = $1'];
    const values: unknown[] = [query.agencyId];
    if (query.status) {
      values.push(query.status);
      filters.push(`s.status = $${values.length}`);
    }
    if (query.pattern) {
      values.push(query.pattern);
      filters.push(`(s.name ILIKE $${values.length} ESCAPE '\\' OR s.login_email ILIKE $${values.length} ESCAPE '\\')`);
    }
    const matching = filters.join(' AND ');
    const pageFilters = [matching];
    if (query.after) {
      values.push(query.after.createdAt, query.after.id);
      pageFilters.push(`(s.created_at, s.id) > ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
    }
    values.push(query.take);
    const rows: PageRow[] = await this.dataSource.query(
      `SELECT s.id, s.agency_id, s.kind, s.status, s.name, s.login_email, s.markup_basic_micros, s.markup_premium_micros,
              s.apply_base_price, s.subscription_started_at, s.created_at, s.removed_at, s.active_since,
              w.id AS wallet_id, w.low_balance_threshold_micros, w.created_at AS wallet_created_at,
              l.debits_micros, l.credits_micros, l.balance_micros, l.created_at AS ledger_created_at,
              (SELECT count(*) FROM sub_accounts s WHERE ${matching}) AS total_count
         FROM sub_accounts s
         JOIN wallets w ON w.sub_account_id = s.id
         JOIN ledger_accounts l ON l.id = w.id
        WHERE ${pageFilters.join(' AND ')}
        ORDER BY s.created_at, s.id
        LIMIT $${values.length}`,
      values,
    );
    const totalCount = rows.length ? Number(rows[0].total_count) : await this.count(matching, values.slice(0, filters.length));
    return {
      subAccounts: rows.map(toSubAccount),
      wallets: rows.map(toWallet),
      ledgerAccounts: rows.map(toLedgerAccount),
      totalCount,
    };
  }

  /** Only for a page past the end, which has no row to carry the count. */
  private async count(matching: string, values: unknown[]): Promise<number> {
    const [row] = await this.dataSource.query(`SELECT count(*) AS n FROM sub_accounts s WHERE ${matching}`, values);
    return Number(row.n);
  }
}

const bigintOrNull = (value: string | null) => (value === null ? null : BigInt(value));

function toSubAccount(row: PageRow): SubAccountEntity {
  return Object.assign(new SubAccountEntity(), {
    id: row.id,
    agencyId: row.agency_id,
    kind: row.kind,
    status: row.status,
    name: row.name,
    loginEmail: row.login_email,
    markupBasicMicros: bigintOrNull(row.markup_basic_micros),
    markupPremiumMicros: bigintOrNull(row.markup_premium_micros),
    applyBasePrice: row.apply_base_price,
    subscriptionStartedAt: row.subscription_started_at,
    createdAt: row.created_at,
    removedAt: row.removed_at,
    activeSince: row.active_since,
  });
}

function toWallet(row: PageRow): WalletEntity {
  return Object.assign(new WalletEntity(), {
    id: row.wallet_id,
    subAccountId: row.id,
    lowBalanceThresholdMicros: BigInt(row.low_balance_threshold_micros),
    createdAt: row.wallet_created_at,
  });
}

function toLedgerAccount(row: PageRow): LedgerAccountEntity {
  return Object.assign(new LedgerAccountEntity(), {
    id: row.wallet_id,
    type: 'WALLET' as const,
    agencyId: row.agency_id,
    debitsMicros: BigInt(row.debits_micros),
    creditsMicros: BigInt(row.credits_micros),
    balanceMicros: BigInt(row.balance_micros),
    createdAt: row.ledger_created_at,
  });
}
