import type { EntityManager } from 'typeorm';
import { systemAccount } from './ledger.repository';

/**
 * USAGE postings for a batch of calls: the multi-row form of `postTransfer` for the one
 * kind that needs volume. Each call still gets its own immutable transfer row (WALLET →
 * PLATFORM_REVENUE, its own amount), so the ledger reads exactly as if the calls had been
 * posted one by one; only the statements are shared:
 *
 * - one INSERT of every transfer row (`insertUsageTransfers`);
 * - one UPDATE per batch of the wallets' stored debits and balances, by the sum of their
 *   transfers (`applyUsageDebits`: the same arithmetic `postTransfer` does row by row).
 *
 * Usage is a fact, so debits are never refused and may take a wallet below zero
 * (`allowOverdraft`). There is no idempotency key on these rows: the call row, unique per
 * (sub-account, externalCallId) and inserted in the same transaction, is the idempotency
 * record. PLATFORM_REVENUE keeps no stored balance (see docs/ledger.md), so no shared row
 * is written.
 *
 * The caller must hold the wallets' locks (`lockWalletAccounts`) before the UPDATE: a
 * multi-row UPDATE takes its row locks in no particular order. Ingestion takes them before
 * it inserts the calls and these rows, whose `seq` (commit order) must be drawn under them.
 */
export interface UsageDebit {
  /** Chosen by the caller, who stores it on the call row. */
  transferId: string;
  agencyId: string;
  walletId: string;
  amountMicros: bigint;
  tier: 'BASIC' | 'PREMIUM';
  memo: string;
}

/**
 * Locks wallet ledger accounts in id order, the order every ledger writer uses, so
 * concurrent batches (and transfers) touching the same wallets never deadlock. Held until
 * the transaction ends.
 */
export async function lockWalletAccounts(em: EntityManager, walletIds: string[]): Promise<void> {
  if (walletIds.length === 0) return;
  const rows: Array<{ id: string }> = await em.query(
    `SELECT id FROM ledger_accounts WHERE id = ANY($1::uuid[]) AND type = 'WALLET' ORDER BY id FOR NO KEY UPDATE`,
    [walletIds],
  );
  if (rows.length !== new Set(walletIds).size) throw new Error('a wallet ledger account is missing');
}

/**
 * Inserts the USAGE transfer rows (and checks their amounts). The caller holds the wallets'
 * locks (`lockWalletAccounts`): each row's `seq` is drawn here, and only under the lock is
 * seq order the wallet's commit order. Until `applyUsageDebits` ran in the same
 * transaction, nothing of it is visible.
 */
export async function insertUsageTransfers(em: EntityManager, debits: UsageDebit[]): Promise<void> {
  if (debits.length === 0) return;
  for (const debit of debits) {
    if (debit.amountMicros <= 0n) throw new RangeError('a transfer amount must be positive');
  }
  const revenue = await systemAccount(em, 'PLATFORM_REVENUE');
  await em.query(
    `INSERT INTO ledger_transfers (id, agency_id, kind, debit_account_id, credit_account_id, amount_micros, tier, memo)
     SELECT t.id, t.agency_id, 'USAGE', t.wallet_id, $7::uuid, t.amount, t.tier, t.memo
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[], $5::text[], $6::text[])
         AS t(id, agency_id, wallet_id, amount, tier, memo)`,
    [
      debits.map((d) => d.transferId),
      debits.map((d) => d.agencyId),
      debits.map((d) => d.walletId),
      debits.map((d) => d.amountMicros.toString()),
      debits.map((d) => d.tier),
      debits.map((d) => d.memo),
      revenue.id,
    ],
  );
}

/**
 * Adds the debits to the wallets' stored debits and balances: one UPDATE, by each
 * wallet's summed transfers. The caller must hold the wallets' locks (`lockWalletAccounts`).
 */
export async function applyUsageDebits(em: EntityManager, debits: UsageDebit[]): Promise<void> {
  if (debits.length === 0) return;
  const byWallet = new Map<string, bigint>();
  for (const debit of debits) byWallet.set(debit.walletId, (byWallet.get(debit.walletId) ?? 0n) + debit.amountMicros);
  const result = await em.query(
    `UPDATE ledger_accounts a
        SET debits_micros = a.debits_micros + d.amount, balance_micros = a.balance_micros - d.amount
       FROM unnest($1::uuid[], $2::bigint[]) AS d(id, amount)
      WHERE a.id = d.id AND a.type = 'WALLET'
      RETURNING a.id`,
    [[...byWallet.keys()], [...byWallet.values()].map(String)],
  );
  // pg's UPDATE … RETURNING through TypeORM yields [rows, count].
  const updated = Array.isArray(result[0]) ? result[0] : result;
  if (updated.length !== byWallet.size) throw new Error('a wallet ledger account is missing');
}

/** Both steps at once, for a caller that already holds the wallets' locks. */
export async function postUsageDebits(em: EntityManager, debits: UsageDebit[]): Promise<void> {
  await insertUsageTransfers(em, debits);
  await applyUsageDebits(em, debits);
}
