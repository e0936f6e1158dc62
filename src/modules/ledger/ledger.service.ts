import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../../shared/domain-error';
import { LedgerTransferEntity, type LedgerAccountType, type TransferKind } from './ledger.entities';

/** Accounts whose balance is stored and bounded below by zero (except where a transfer allows overdraft). */
const TRACKED: ReadonlySet<LedgerAccountType> = new Set(['WALLET', 'AGENCY_PROFIT']);

export type SystemAccountType = Exclude<LedgerAccountType, 'WALLET' | 'AGENCY_PROFIT'>;

export interface AccountRef {
  id: string;
  type: LedgerAccountType;
}

export interface TransferRequest {
  agencyId: string;
  kind: TransferKind;
  debit: AccountRef;
  credit: AccountRef;
  amountMicros: bigint;
  /** Usage is a fact: it may drive a wallet below zero. Nothing else may. */
  allowOverdraft?: boolean;
  tier?: 'BASIC' | 'PREMIUM' | null;
  minutesSentUnits?: bigint | null;
  minutesReceivedUnits?: bigint | null;
  /** With `requestSha256`: the same key returns the first transfer; another request under it conflicts. */
  idempotencyKey?: string | null;
  requestSha256?: Buffer | null;
  memo?: string | null;
  /** Sub-accounts share-locked and required ACTIVE in the posting (SUB_ACCOUNT_REMOVED otherwise). */
  activeSubAccountIds?: string[] | null;
  /**
   * The per-minute prices of `tier` the amount was computed from, by sub-account: checked
   * under the posting's locks, and the transfer is refused with PricesChanged if one differs
   * (see migration LedgerPostPriced).
   */
  pricedAt?: Array<{ subAccountId: string; priceMicros: bigint }> | null;
}

/**
 * A priced transfer whose prices no longer hold at posting time; nothing was written. Not a
 * client error: the caller prices the transfer again from fresh rows.
 */
export class PricesChanged extends Error {
  constructor() {
    super('the prices a transfer was computed from changed before it was posted');
  }
}

export interface PostedTransfer {
  transfer: LedgerTransferEntity;
  /** True when the idempotency key had already been used with this request: nothing moved now. */
  replayed: boolean;
  /** Stored balances after this transfer, by account id (tracked accounts only; empty on replay). */
  balances: Map<string, bigint>;
}

export const LedgerErrorCode = {
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
} as const;

/** A stable hash of a request's terms, for idempotency conflict detection. */
export function requestHash(kind: string, terms: unknown[]): Buffer {
  return createHash('sha256').update(JSON.stringify([kind, ...terms])).digest();
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
  em: Pick<EntityManager, 'query'>,
  agencyId: string,
  key: string,
): Promise<{ transfer: LedgerTransferEntity; requestSha256: Buffer } | undefined> {
  const rows = await em.query(
    `SELECT ${TRANSFER_COLUMNS}, request_sha256 FROM ledger_transfers WHERE agency_id = $1 AND idempotency_key = $2`,
    [agencyId, key],
  );
  return rows[0] ? { transfer: toEntity(rows[0]), requestSha256: rows[0].request_sha256 } : undefined;
}

/** Replays a keyed request: the first result for the same terms, IDEMPOTENCY_CONFLICT for others. */
export function replayOrConflict(
  existing: { transfer: LedgerTransferEntity; requestSha256: Buffer },
  requestSha256: Buffer,
): LedgerTransferEntity {
  if (!existing.requestSha256.equals(requestSha256)) {
    throw new DomainError(
      LedgerErrorCode.IDEMPOTENCY_CONFLICT,
      'This idempotency key was already used for a different request',
      ['idempotencyKey'],
    );
  }
  return existing.transfer;
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

export function toPostingItem(request: TransferRequest, idx = 0): PostingItem {
  if (request.amountMicros <= 0n) throw new RangeError('a transfer amount must be positive');
  if (request.debit.id === request.credit.id) throw new RangeError('a transfer needs two different accounts');
  // Prices hold until commit only for sub-accounts the posting share-locks.
  if (request.pricedAt?.some((p) => !request.activeSubAccountIds?.includes(p.subAccountId))) {
    throw new RangeError('a priced sub-account must be among the active sub-accounts of the posting');
  }
  const keyed = Boolean(request.idempotencyKey);
  return {
    idx,
    agency_id: request.agencyId,
    kind: request.kind,
    debit_id: request.debit.id,
    debit_tracked: TRACKED.has(request.debit.type),
    credit_id: request.credit.id,
    credit_tracked: TRACKED.has(request.credit.type),
    amount: request.amountMicros.toString(),
    allow_overdraft: request.allowOverdraft ?? false,
    tier: request.tier ?? null,
    minutes_sent: request.minutesSentUnits?.toString() ?? null,
    minutes_received: request.minutesReceivedUnits?.toString() ?? null,
    idempotency_key: keyed ? request.idempotencyKey! : null,
    request_sha256: keyed ? request.requestSha256!.toString('hex') : null,
    memo: request.memo ?? null,
    active_sub_accounts: request.activeSubAccountIds ?? null,
    ...(request.pricedAt
      ? { prices: request.pricedAt.map((p) => ({ sub_account_id: p.subAccountId, price_micros: p.priceMicros.toString() })) }
      : {}),
  };
}

/**
 * Runs `ledger_post` (the price check, then `ledger_post_batch`) for the items in the
 * transaction of `em`, or as one statement in autocommit (then it is its own transaction:
 * all its locks, checks and writes, one commit).
 */
export async function postItems(em: Pick<EntityManager, 'query'>, items: PostingItem[]): Promise<PostingResult[]> {
  return em.query(`SELECT * FROM ledger_post($1::jsonb)`, [JSON.stringify(items)]);
}

/**
 * Turns a posting result into the caller's answer: the transfer (new or replayed), or the
 * business error. A replay loads the first transfer's row, so it answers exactly as the
 * first request did.
 */
export async function settle(
  em: Pick<EntityManager, 'query'>,
  request: TransferRequest,
  result: PostingResult,
): Promise<PostedTransfer> {
  switch (result.r_status) {
    case 'POSTED': {
      const balances = new Map<string, bigint>();
      if (result.r_debit_balance !== null) balances.set(request.debit.id, BigInt(result.r_debit_balance));
      if (result.r_credit_balance !== null) balances.set(request.credit.id, BigInt(result.r_credit_balance));
      const transfer = Object.assign(new LedgerTransferEntity(), {
        id: result.r_transfer_id!,
        agencyId: request.agencyId,
        kind: request.kind,
        debitAccountId: request.debit.id,
        creditAccountId: request.credit.id,
        amountMicros: request.amountMicros,
        tier: request.tier ?? null,
        minutesSentUnits: request.minutesSentUnits ?? null,
        minutesReceivedUnits: request.minutesReceivedUnits ?? null,
        idempotencyKey: request.idempotencyKey ?? null,
        memo: request.memo ?? null,
        createdAt: new Date(result.r_created_at!),
      });
      return { transfer, replayed: false, balances };
    }
    case 'REPLAYED': {
      const existing = await findByIdempotencyKey(em, request.agencyId, request.idempotencyKey!);
      return { transfer: existing!.transfer, replayed: true, balances: new Map() };
    }
    case 'IDEMPOTENCY_CONFLICT':
      throw new DomainError(LedgerErrorCode.IDEMPOTENCY_CONFLICT, 'This idempotency key was already used for a different request', [
        'idempotencyKey',
      ]);
    case 'INSUFFICIENT_FUNDS':
      throw new DomainError(LedgerErrorCode.INSUFFICIENT_FUNDS, 'The source balance cannot pay this amount');
    case 'SUB_ACCOUNT_REMOVED':
      throw new DomainError('SUB_ACCOUNT_REMOVED', 'The sub-account was removed');
    case 'PRICE_CHANGED':
      throw new PricesChanged();
    default:
      throw new Error(`unexpected posting status ${String(result.r_status)}`);
  }
}

/**
 * Writes one transfer and moves the stored balances, inside the caller's transaction,
 * through the database function `ledger_post_batch` (the one implementation of posting;
 * see its migration for the guarantees):
 * - a concurrent request with the same idempotency key waits for the first to commit, then
 *   replays it; if the first rolled back, the second goes ahead. A key never moves money twice;
 * - the accounts are locked (in id order, after the sub-accounts it requires active) before
 *   the balance is checked, so two transfers that together overdraw a wallet can never
 *   both pass, and opposite transfers never deadlock.
 */
export async function postTransfer(em: EntityManager, request: TransferRequest): Promise<PostedTransfer> {
  const [result] = await postItems(em, [toPostingItem(request)]);
  return settle(em, request, result);
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

/**
 * Books the agency's markup on a purchase: the platform owes the agency `markup × minutes`.
 * Used by every purchase (top-up, auto-recharge, auto allocation) in the same transaction
 * as the purchase itself.
 */
export async function accrueMarkupProfit(
  em: EntityManager,
  input: { agencyId: string; amountMicros: bigint; memo?: string; idempotencyKey?: string; requestSha256?: Buffer },
): Promise<PostedTransfer | undefined> {
  if (input.amountMicros === 0n) return undefined;
  return postTransfer(em, {
    agencyId: input.agencyId,
    kind: 'MARKUP_PROFIT',
    debit: await systemAccount(em, 'PLATFORM_REVENUE'),
    credit: await agencyProfitAccount(em, input.agencyId),
    amountMicros: input.amountMicros,
    memo: input.memo ?? null,
    idempotencyKey: input.idempotencyKey ?? null,
    requestSha256: input.requestSha256 ?? null,
  });
}
