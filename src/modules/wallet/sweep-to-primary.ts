import type { EntityManager } from 'typeorm';
import { postTransfer } from '../ledger/ledger.service';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { walletOfSubAccount } from './wallet.repository';

/**
 * On removal, a positive balance goes back to the agency's primary wallet through the
 * ledger (SUB_ACCOUNT_CLOSURE), in the removal's transaction. The wallet's ledger row is
 * locked first so no concurrent transfer changes the amount between read and move. A
 * negative balance (usage debt) stays on the removed sub-account's history; restoring the
 * sub-account does not bring a swept balance back.
 */
export async function sweepToPrimary(em: EntityManager, sub: SubAccountEntity): Promise<void> {
  const wallet = await walletOfSubAccount(em, sub.id);
  const [account] = await em.query(`SELECT balance_micros FROM ledger_accounts WHERE id = $1 FOR UPDATE`, [wallet.id]);
  const balance = BigInt(account.balance_micros);
  if (balance <= 0n) return;
  const [primaryWallet] = await em.query(
    `SELECT w.id FROM wallets w JOIN sub_accounts s ON s.id = w.sub_account_id
      WHERE s.agency_id = $1 AND s.kind = 'PRIMARY'`,
    [sub.agencyId],
  );
  await postTransfer(em, {
    agencyId: sub.agencyId,
    kind: 'SUB_ACCOUNT_CLOSURE',
    debit: { id: wallet.id, type: 'WALLET' },
    credit: { id: primaryWallet.id, type: 'WALLET' },
    amountMicros: balance,
    memo: 'Remaining balance of a removed sub-account',
  });
}
