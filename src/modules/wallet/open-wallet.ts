import type { EntityManager } from 'typeorm';
import { openWalletAccount } from '../ledger/ledger.repository';
import { WalletEntity } from './wallet.entity';

/** The default LOW_BALANCE threshold of a new wallet: $5. */
export const DEFAULT_LOW_BALANCE_THRESHOLD_MICROS = 5_000_000n;

/** Opens a sub-account's wallet: its ledger account (balance 0) and the wallet row with the same id. */
export async function openWallet(em: EntityManager, agencyId: string, subAccountId: string): Promise<WalletEntity> {
  const id = await openWalletAccount(em, agencyId);
  return em.save(
    em.create(WalletEntity, { id, subAccountId, lowBalanceThresholdMicros: DEFAULT_LOW_BALANCE_THRESHOLD_MICROS }),
  );
}
