import type { DataSource, EntityManager } from 'typeorm';
import { dateFromEpochMillis, epochMillis } from '../../db/epoch-millis';
import { queryPrepared } from '../../db/prepared-statements';
import { AgencyEntity } from '../agency/agency.entity';
import { LedgerAccountEntity } from '../ledger/ledger.entities';
import { WalletEntity } from '../wallet/wallet.entity';
import { SubAccountEntity, type SubAccountKind, type SubAccountStatus } from './sub-account.entity';

/**
 * How a write locks the sub-account it works on, for the rest of its transaction:
 * - `share` (FOR SHARE): a change beside the sub-account (its wallet's settings, a top-up)
 *   that a removal or restore (FOR UPDATE) must find wholly before or after it;
 * - `no-key-update` (FOR NO KEY UPDATE): writers of the sub-account's own children that must
 *   run one after another (scenario creates count and compare names) without waiting for
 *   usage ingestion, which holds KEY SHARE;
 * - `update` (FOR UPDATE): changes of the sub-account itself (edit, remove, restore).
 */
export type SubAccountLock = 'share' | 'no-key-update' | 'update';

const TYPEORM_LOCK = { share: 'pessimistic_read', 'no-key-update': 'for_no_key_update', update: 'pessimistic_write' } as const;

/** The sub-account, locked as `mode` says until the transaction `em` ends; null when there is no such row (or no id). */
export function lockSubAccount(em: EntityManager, id: string | undefined, mode: SubAccountLock): Promise<SubAccountEntity | null> {
  if (!id) return Promise.resolve(null);
  return em.createQueryBuilder(SubAccountEntity, 's').setLock(TYPEORM_LOCK[mode]).where('s.id = :id', { id }).getOne();
}

/** The sub-account by id, unlocked, in the caller's transaction; null when there is none. */
export function findSubAccount(em: EntityManager, id: string): Promise<SubAccountEntity | null> {
  return em.findOneBy(SubAccountEntity, { id });
}

/** The agency's PRIMARY sub-account (every agency has one, created with it). */
export function primaryOf(em: EntityManager, agencyId: string): Promise<SubAccountEntity | null> {
  return em.findOneBy(SubAccountEntity, { agencyId, kind: 'PRIMARY' });
}

/** The agency's ACTIVE sub-accounts, the primary included (what a plan's cap counts). */
export function countActiveSubAccounts(em: EntityManager, agencyId: string): Promise<number> {
  return em.countBy(SubAccountEntity, { agencyId, status: 'ACTIVE' });
}

/** Whether an ACTIVE sub-account other than `exceptId` logs in with this email, whatever its case. */
export function activeLoginEmailTaken(em: EntityManager, loginEmail: string, exceptId: string | undefined): Promise<boolean> {
  const query = em
    .createQueryBuilder(SubAccountEntity, 's')
    .where(`lower(s.login_email) = lower(:loginEmail) AND s.status = 'ACTIVE'`, { loginEmail });
  if (exceptId) query.andWhere('s.id <> :exceptId', { exceptId });
  return query.getExists();
}

export function insertSubAccount(
  em: EntityManager,
  fields: Pick<
    SubAccountEntity,
    | 'agencyId' | 'kind' | 'status' | 'name' | 'loginEmail' | 'markupBasicMicros' | 'markupPremiumMicros'
    | 'applyBasePrice' | 'subscriptionStartedAt' | 'removedAt' | 'activeSince'
  >,
): Promise<SubAccountEntity> {
  return em.save(em.create(SubAccountEntity, fields));
}

/** Writes the sub-account's changed columns (its row is locked by the caller). */
export function saveSubAccount(em: EntityManager, sub: SubAccountEntity): Promise<SubAccountEntity> {
  return em.save(sub);
}

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

export interface AgencyWithPage {
  agency: AgencyEntity;
  page: SubAccountPageRows;
  /** The agency's active sub-accounts, when asked for. */
  activeCount: number | null;
}

interface AgencyRow {
  agency_row_id: string; agency_name: string; plan_code: string; plan_started_at: string;
  default_markup_basic_micros: string; default_markup_premium_micros: string; agency_created_at: string;
  total_count: string; active_count: string | null;
}

interface PageRow {
  id: string; agency_id: string; kind: SubAccountKind; status: SubAccountStatus; name: string; login_email: string;
  markup_basic_micros: string | null; markup_premium_micros: string | null; apply_base_price: boolean;
  subscription_started_at: string; created_at: string; removed_at: string | null; active_since: string;
  wallet_id: string; low_balance_threshold_micros: string; wallet_created_at: string;
  debits_micros: string; credits_micros: string; balance_micros: string; ledger_created_at: string; total_count: string;
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
    const { values, matching, matchingValues, pageSelect } = pageStatement(query);
    const rows = await queryPrepared<PageRow>(
      this.dataSource,
      `SELECT p.*, (SELECT count(*) FROM sub_accounts s WHERE ${matching}) AS total_count FROM (${pageSelect}) p
        ORDER BY p.created_at, p.id`,
      values,
    );
    const totalCount = rows.length ? Number(rows[0].total_count) : await this.count(matching, matchingValues);
    return toPageRows(rows, totalCount);
  }

  /**
   * `agency(id) { subAccounts(…) }` in one statement: the agency row, its page (as `page`
   * reads it) and the count, and with `activeCount` the agency's active sub-accounts (its
   * free slots). Undefined when the agency does not exist.
   */
  async agencyWithPage(query: SubAccountPageQuery, options: { activeCount: boolean }): Promise<AgencyWithPage | undefined> {
    const { values, matching, pageSelect } = pageStatement(query);
    const rows = await queryPrepared<Partial<PageRow> & AgencyRow>(
      this.dataSource,
      `SELECT a.id AS agency_row_id, a.name AS agency_name, a.plan_code, ${epochMillis('a.plan_started_at')} AS plan_started_at,
              a.default_markup_basic_micros, a.default_markup_premium_micros, ${epochMillis('a.created_at')} AS agency_created_at,
              (SELECT count(*) FROM sub_accounts s WHERE ${matching}) AS total_count,
              ${options.activeCount ? `(SELECT count(*) FROM sub_accounts x WHERE x.agency_id = a.id AND x.status = 'ACTIVE')` : 'NULL'} AS active_count,
              p.*
         FROM agencies a
         LEFT JOIN LATERAL (${pageSelect}) p ON true
        WHERE a.id = $1
        ORDER BY p.created_at, p.id`,
      values,
    );
    if (!rows.length) return undefined;
    const [head] = rows;
    const pageRows = (head.id === null ? [] : rows) as PageRow[];
    return {
      agency: toAgency(head),
      page: toPageRows(pageRows, Number(head.total_count)),
      activeCount: head.active_count === null ? null : Number(head.active_count),
    };
  }

  /** Only for a page past the end, which has no row to carry the count. */
  private async count(matching: string, values: unknown[]): Promise<number> {
    const [row] = await queryPrepared<{ n: string }>(this.dataSource, `SELECT count(*) AS n FROM sub_accounts s WHERE ${matching}`, values);
    return Number(row.n);
  }
}

/** The page's SELECT (filters, keyset, limit) and its parameters; `$1` is always the agency. */
function pageStatement(query: SubAccountPageQuery) {
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
  const matchingValues = values.slice();
  const pageFilters = [matching];
  if (query.after) {
    values.push(query.after.createdAt, query.after.id);
    pageFilters.push(`(s.created_at, s.id) > ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  values.push(query.take);
  const pageSelect = `SELECT s.id, s.agency_id, s.kind, s.status, s.name, s.login_email, s.markup_basic_micros, s.markup_premium_micros,
              s.apply_base_price, ${epochMillis('s.subscription_started_at')} AS subscription_started_at,
              ${epochMillis('s.created_at')} AS created_at, ${epochMillis('s.removed_at')} AS removed_at,
              ${epochMillis('s.active_since')} AS active_since,
              w.id AS wallet_id, w.low_balance_threshold_micros, ${epochMillis('w.created_at')} AS wallet_created_at,
              l.debits_micros, l.credits_micros, l.balance_micros, ${epochMillis('l.created_at')} AS ledger_created_at
         FROM sub_accounts s
         JOIN wallets w ON w.sub_account_id = s.id
         JOIN ledger_accounts l ON l.id = w.id
        WHERE ${pageFilters.join(' AND ')}
        ORDER BY s.created_at, s.id
        LIMIT $${values.length}`;
  return { values, matching, matchingValues, pageSelect };
}

function toPageRows(rows: PageRow[], totalCount: number): SubAccountPageRows {
  return {
    subAccounts: rows.map(toSubAccount),
    wallets: rows.map(toWallet),
    ledgerAccounts: rows.map(toLedgerAccount),
    totalCount,
  };
}

function toAgency(row: AgencyRow): AgencyEntity {
  return Object.assign(new AgencyEntity(), {
    id: row.agency_row_id,
    name: row.agency_name,
    planCode: row.plan_code,
    planStartedAt: dateFromEpochMillis(row.plan_started_at),
    defaultMarkupBasicMicros: BigInt(row.default_markup_basic_micros),
    defaultMarkupPremiumMicros: BigInt(row.default_markup_premium_micros),
    createdAt: dateFromEpochMillis(row.agency_created_at),
  });
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
    subscriptionStartedAt: dateFromEpochMillis(row.subscription_started_at),
    createdAt: dateFromEpochMillis(row.created_at),
    removedAt: dateFromEpochMillis(row.removed_at),
    activeSince: dateFromEpochMillis(row.active_since),
  });
}

function toWallet(row: PageRow): WalletEntity {
  return Object.assign(new WalletEntity(), {
    id: row.wallet_id,
    subAccountId: row.id,
    lowBalanceThresholdMicros: BigInt(row.low_balance_threshold_micros),
    createdAt: dateFromEpochMillis(row.wallet_created_at),
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
    createdAt: dateFromEpochMillis(row.ledger_created_at),
  });
}
