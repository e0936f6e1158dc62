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
  em: EntityManager,
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

/**
 * Writes one transfer and moves the stored balances, inside the caller's transaction.
 *
 * - The transfer row is inserted first, with ON CONFLICT on the idempotency key: a
 *   concurrent request with the same key waits for the first to commit, then replays it;
 *   if the first rolled back, the second goes ahead. A key never moves money twice.
 * - The debit is a single guarded UPDATE (`balance >= amount`), so two transfers that
 *   together overdraw a wallet can never both pass: the second sees the first's write.
 * - Both accounts are updated in id order, so opposite transfers never deadlock.
 */
export async function postTransfer(em: EntityManager, request: TransferRequest): Promise<PostedTransfer> {
  if (request.amountMicros <= 0n) throw new RangeError('a transfer amount must be positive');
  if (request.debit.id === request.credit.id) throw new RangeError('a transfer needs two different accounts');
  const keyed = Boolean(request.idempotencyKey);
  const rows: Record<string, unknown>[] = await em.query(
    `INSERT INTO ledger_transfers (agency_id, kind, debit_account_id, credit_account_id, amount_micros, tier,
        minutes_sent_units, minutes_received_units, idempotency_key, request_sha256, memo)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ${keyed ? 'ON CONFLICT (agency_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING' : ''}
     RETURNING ${TRANSFER_COLUMNS}`,
    [
      request.agencyId, request.kind, request.debit.id, request.credit.id, request.amountMicros.toString(),
      request.tier ?? null, request.minutesSentUnits?.toString() ?? null, request.minutesReceivedUnits?.toString() ?? null,
      request.idempotencyKey ?? null, keyed ? request.requestSha256 : null, request.memo ?? null,
    ],
  );
  if (rows.length === 0) {
    const existing = await findByIdempotencyKey(em, request.agencyId, request.idempotencyKey!);
    if (!existing) throw new Error('idempotency conflict without a visible row');
    return { transfer: replayOrConflict(existing, request.requestSha256!), replayed: true, balances: new Map() };
  }
  const balances = new Map<string, bigint>();
  const legs = [
    { account: request.debit, sign: -1n },
    { account: request.credit, sign: 1n },
  ].sort((a, b) => (a.account.id < b.account.id ? -1 : 1));
  for (const { account, sign } of legs) {
    if (!TRACKED.has(account.type)) continue;
    const balance = sign < 0n
      ? await debit(em, account.id, request.amountMicros, request.allowOverdraft ?? false)
      : await credit(em, account.id, request.amountMicros);
    balances.set(account.id, balance);
  }
  return { transfer: toEntity(rows[0]), replayed: false, balances };
}

async function debit(em: EntityManager, accountId: string, amount: bigint, allowOverdraft: boolean): Promise<bigint> {
  const rows: Array<{ balance_micros: string }> = await em.query(
    `UPDATE ledger_accounts
        SET debits_micros = debits_micros + $2, balance_micros = balance_micros - $2
      WHERE id = $1 AND ($3 OR balance_micros >= $2)
      RETURNING balance_micros`,
    [accountId, amount.toString(), allowOverdraft],
  );
  // pg's UPDATE … RETURNING through TypeORM yields [rows, count].
  const updated = Array.isArray(rows[0]) ? (rows[0] as unknown as Array<{ balance_micros: string }>) : rows;
  if (updated.length === 0) {
    throw new DomainError(LedgerErrorCode.INSUFFICIENT_FUNDS, 'The source balance cannot pay this amount');
  }
  return BigInt(updated[0].balance_micros);
}

async function credit(em: EntityManager, accountId: string, amount: bigint): Promise<bigint> {
  const rows = await em.query(
    `UPDATE ledger_accounts
        SET credits_micros = credits_micros + $2, balance_micros = balance_micros + $2
      WHERE id = $1
      RETURNING balance_micros`,
    [accountId, amount.toString()],
  );
  const updated = Array.isArray(rows[0]) ? rows[0] : rows;
  if (updated.length === 0) throw new Error(`ledger account ${accountId} does not exist`);
  return BigInt(updated[0].balance_micros);
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
