import type { EntityManager } from 'typeorm';
import type { Queryable } from '../../db/queryable';
import { LedgerTransferEntity, type LedgerAccountType, type TransferKind } from './ledger.entities';

/**
 * The ledger's SQL: the posting function `ledger_post` (migrations LedgerPostBatch,
 * LedgerPostSetBased, LedgerPostPriced: the one implementation of posting, its locks and
 * checks), the accounts and the idempotency lookup. ledger.service.ts holds what a posting
 * means (requests, answers, errors); nothing else calls the ledger's database functions.
 */

export type SystemAccountType = Exclude<LedgerAccountType, 'WALLET' | 'AGENCY_PROFIT'>;

export interface AccountRef {
  id: string;
  type: LedgerAccountType;
}

const TRANSFER_COLUMNS = `id, agency_id, kind, debit_account_id, credit_account_id, amount_micros, tier, minutes_sent_units,
  minutes_received_units, idempotency_key, memo, created_at`;

function toEntity(row: Record<string, unknown>): LedgerTransferEntity {
  const big = (v: unknown) => (v === null || v === undefined ? null : BigInt(v as string));
  return Object.assign(new LedgerTransferEntity(), {
    id: row.id,
    agencyId: row.agency_id,
    kind: row.kind,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amountMicros: BigInt(row.amount_micros as string),
    tier: row.tier ?? null,
    minutesSentUnits: big(row.minutes_sent_units),
    minutesReceivedUnits: big(row.minutes_received_units),
    idempotencyKey: row.idempotency_key ?? null,
    memo: row.memo ?? null,
    createdAt: row.created_at as Date,
  });
}

/** The first transfer recorded under an agency's idempotency key, if any. */
export async function findByIdempotencyKey(
  em: Queryable,
  agencyId: string,
  key: string,
): Promise<{ transfer: LedgerTransferEntity; requestSha256: Buffer } | undefined> {
  const rows = await em.query(
    `SELECT ${TRANSFER_COLUMNS}, request_sha256 FROM ledger_transfers WHERE agency_id = $1 AND idempotency_key = $2`,
    [agencyId, key],
  );
  return rows[0] ? { transfer: toEntity(rows[0]), requestSha256: rows[0].request_sha256 } : undefined;
}

/** A transfer as the database function `ledger_post` takes it (see migrations LedgerPostBatch and LedgerPostPriced). */
export interface PostingItem {
  idx: number;
  agency_id: string;
  kind: TransferKind;
  debit_id: string;
  debit_tracked: boolean;
  credit_id: string;
  credit_tracked: boolean;
  amount: string;
  allow_overdraft: boolean;
  tier: string | null;
  minutes_sent: string | null;
  minutes_received: string | null;
  idempotency_key: string | null;
  request_sha256: string | null;
  memo: string | null;
  active_sub_accounts: string[] | null;
  prices?: Array<{ sub_account_id: string; price_micros: string }>;
}

export interface PostingResult {
  r_idx: number;
  r_status: 'POSTED' | 'REPLAYED' | 'IDEMPOTENCY_CONFLICT' | 'INSUFFICIENT_FUNDS' | 'SUB_ACCOUNT_REMOVED' | 'PRICE_CHANGED';
  r_transfer_id: string | null;
  r_created_at: Date | null;
  r_debit_balance: string | null;
  r_credit_balance: string | null;
}

/**
 * Runs `ledger_post` (the price check, then `ledger_post_batch`) for the items in the
 * transaction of `em`, or as one statement in autocommit (then it is its own transaction:
 * all its locks, checks and writes, one commit).
 */
export async function postItems(em: Queryable, items: PostingItem[]): Promise<PostingResult[]> {
  return em.query(`SELECT * FROM ledger_post($1::jsonb)`, [JSON.stringify(items)]);
}

/** Creates the ledger account of a new wallet; the wallet row reuses its id. */
export async function openWalletAccount(em: EntityManager, agencyId: string): Promise<string> {
  const [row] = await em.query(`INSERT INTO ledger_accounts (type, agency_id) VALUES ('WALLET', $1) RETURNING id`, [agencyId]);
  return row.id;
}

export async function openAgencyProfitAccount(em: EntityManager, agencyId: string): Promise<string> {
  const [row] = await em.query(`INSERT INTO ledger_accounts (type, agency_id) VALUES ('AGENCY_PROFIT', $1) RETURNING id`, [
    agencyId,
  ]);
  return row.id;
}

export async function agencyProfitAccount(em: EntityManager, agencyId: string): Promise<AccountRef> {
  const [row] = await em.query(`SELECT id FROM ledger_accounts WHERE type = 'AGENCY_PROFIT' AND agency_id = $1`, [agencyId]);
  if (!row) throw new Error(`agency ${agencyId} has no profit account`);
  return { id: row.id, type: 'AGENCY_PROFIT' };
}

const systemAccountIds = new WeakMap<object, Map<SystemAccountType, string>>();

/** The platform / outside-world accounts: seeded once by the Ledger migration, cached per connection pool. */
export async function systemAccount(em: EntityManager, type: SystemAccountType): Promise<AccountRef> {
  const cacheKey = em.connection;
  let ids = systemAccountIds.get(cacheKey);
  if (!ids) {
    const rows: Array<{ id: string; type: SystemAccountType }> = await em.query(
      `SELECT id, type FROM ledger_accounts WHERE agency_id IS NULL`,
    );
    ids = new Map(rows.map((r) => [r.type, r.id]));
    systemAccountIds.set(cacheKey, ids);
  }
  const id = ids.get(type);
  if (!id) throw new Error(`system ledger account ${type} is missing`);
  return { id, type };
}
