import type { DataSource, EntityManager } from 'typeorm';
import type { Keyset } from '../../shared/pagination';
import { LedgerTransferEntity, type TransferKind } from '../ledger/ledger.entities';
import type { AccountRef } from '../ledger/ledger.repository';
import { WalletEntity } from './wallet.entity';

/** The sub-account's wallet (every sub-account has one, opened with it). */
export function walletOfSubAccount(em: EntityManager, subAccountId: string): Promise<WalletEntity> {
  return em.findOneByOrFail(WalletEntity, { subAccountId });
}

/** The ledger account of the sub-account's wallet (a wallet's account has the wallet's id): what postings credit and debit. */
export async function walletAccountOf(em: EntityManager, subAccountId: string): Promise<AccountRef> {
  const wallet = await walletOfSubAccount(em, subAccountId);
  return { id: wallet.id, type: 'WALLET' };
}

/** One UPDATE of one column: concurrent sets serialize on the row and the last commit wins whole. */
export async function setLowBalanceThreshold(em: EntityManager, subAccountId: string, thresholdMicros: bigint): Promise<void> {
  await em.update(WalletEntity, { subAccountId }, { lowBalanceThresholdMicros: thresholdMicros });
}

export interface WalletTransfersQuery {
  walletId: string;
  kind?: TransferKind | null;
  range?: { from: Date; to: Date } | null;
  /** Continue below this transfer (a cursor's row). */
  after?: Keyset;
  take: number;
}

export class WalletRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Transfers touching a wallet, newest first, and how many match in all. Commit order (seq),
   * not created_at: a transfer that waited on a lock commits dated before rows already served,
   * and would land behind a cursor (docs/faults.md, "Late commits"). The cursor's id names the
   * row to continue below; a row that is not this wallet's matches no row: an empty page.
   */
  async transfers(query: WalletTransfersQuery): Promise<{ rows: LedgerTransferEntity[]; totalCount: number }> {
    const select = this.dataSource
      .getRepository(LedgerTransferEntity)
      .createQueryBuilder('t')
      .where('(t.debit_account_id = :walletId OR t.credit_account_id = :walletId)', { walletId: query.walletId });
    if (query.kind) select.andWhere('t.kind = :kind', { kind: query.kind });
    if (query.range) select.andWhere('t.created_at >= :from AND t.created_at < :to', query.range);
    const totalCount = await select.clone().getCount();
    if (query.after) {
      select.andWhere(
        `t.seq < (SELECT c.seq FROM ledger_transfers c
                   WHERE c.id = :afterId AND (c.debit_account_id = :walletId OR c.credit_account_id = :walletId))`,
        { afterId: query.after.id },
      );
    }
    const rows = await select.orderBy('t.seq', 'DESC').take(query.take).getMany();
    return { rows, totalCount };
  }
}
