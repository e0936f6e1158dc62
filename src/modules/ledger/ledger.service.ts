import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../../shared/domain-error';
import { LedgerTransferEntity, type LedgerAccountType, type TransferKind } from './ledger.entities';
import {
  agencyProfitAccount, findByIdempotencyKey, postItems, systemAccount,
  type AccountRef, type PostingItem, type PostingResult,
} from './ledger.repository';

/** Accounts whose balance is stored and bounded below by zero (except where a transfer allows overdraft). */
const TRACKED: ReadonlySet<LedgerAccountType> = new Set(['WALLET', 'AGENCY_PROFIT']);

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
