import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { parseMicros } from '../../shared/money';
import { validIdempotencyKey, validMemo } from '../../shared/validation';
import { canReadSubAccount, READER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import { findByIdempotencyKey, postTransfer, replayOrConflict, requestHash, systemAccount } from '../ledger/ledger.service';
import { LedgerTransferEntity, type TransferKind } from '../ledger/ledger.entities';
import { SubAccountEntity } from '../sub-account/sub-account.entity';
import { WalletEntity } from './wallet.entity';
import { validLowBalanceThresholdMicros } from './low-balance-threshold';
import { decodeCursor, pageSize, toPage, type Page } from '../../shared/pagination';
import { lockSubAccount } from '../sub-account/sub-account.repository';

/** Largest single manual adjustment: $1,000,000. */
const MAX_ADJUSTMENT_MICROS = 1_000_000n * 1_000_000n;

export interface TransferListArgs {
  first?: number | null;
  after?: string | null;
  range?: { from: Date; to: Date };
  kind?: TransferKind | null;
}

export class WalletService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Platform admins: a signed manual correction with a reason. A credit comes from the
   * platform grants account, a debit goes back to it and never takes the wallet below zero.
   */
  async adjust(
    viewer: Viewer,
    input: { subAccountId: string; amount: string; reason: string; idempotencyKey: string },
  ): Promise<LedgerTransferEntity> {
    requireRole(viewer, ['PLATFORM_ADMIN']);
    const amount = parseMicros(input.amount);
    if (amount === undefined || amount === 0n || amount > MAX_ADJUSTMENT_MICROS || -amount > MAX_ADJUSTMENT_MICROS) {
      throw new DomainError(ErrorCode.INVALID_AMOUNT, 'The amount is a non-zero dollar amount up to 1,000,000 with at most 6 decimals', ['amount']);
    }
    const reason = validMemo(input.reason, ['reason'], true)!;
    const idempotencyKey = validIdempotencyKey(input.idempotencyKey);
    const id = decodeId(input.subAccountId, 'SubAccount');
    // Hashed by the decoded id: base64url has several spellings of one global id.
    const hash = requestHash('ADJUSTMENT', [id ?? input.subAccountId, amount.toString(), reason]);
    return this.dataSource.transaction(async (em) => {
      const sub = id ? await em.findOneBy(SubAccountEntity, { id }) : null;
      if (!sub) throw notFound('Sub-account', ['subAccountId']);
      const existing = await findByIdempotencyKey(em, sub.agencyId, idempotencyKey);
      if (existing) return replayOrConflict(existing, hash);
      // Money in a removed wallet would sit outside every report until a restore.
      if (sub.status === 'REMOVED') {
        throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'Restore the sub-account before adjusting its wallet', ['subAccountId']);
      }
      const wallet = await em.findOneByOrFail(WalletEntity, { subAccountId: sub.id });
      const walletAccount = { id: wallet.id, type: 'WALLET' as const };
      const grants = await systemAccount(em, 'PLATFORM_GRANTS');
      const posted = await postTransfer(em, {
        agencyId: sub.agencyId,
        kind: 'ADJUSTMENT',
        debit: amount > 0n ? grants : walletAccount,
        credit: amount > 0n ? walletAccount : grants,
        amountMicros: amount > 0n ? amount : -amount,
        idempotencyKey,
        requestSha256: hash,
        memo: reason,
        // Re-checked under lock in the posting, so a removal racing this credit cannot strand it.
        activeSubAccountIds: [sub.id],
      });
      return posted.transfer;
    });
  }

  /**
   * Sets the balance below which the wallet counts as low. Platform admins, the agency's
   * admin, and a client admin for its own sub-account (the alert is about its own money);
   * any other id answers NOT_FOUND, like one that does not exist.
   *
   * Emits no event: crossings are judged by each later posting against the threshold in
   * force at that moment (`outbox_balance_crossing`, called by every posting), old and new balance alike, so a
   * threshold raised above the balance reports nothing until the balance recovers above
   * it (BALANCE_RECOVERED) or is depleted (BALANCE_DEPLETED).
   */
  async setLowBalanceThreshold(viewer: Viewer, input: { subAccountId: string; threshold: string }): Promise<WalletEntity> {
    requireRole(viewer, READER_ROLES);
    const thresholdMicros = validLowBalanceThresholdMicros(input.threshold, ['threshold']);
    const id = decodeId(input.subAccountId, 'SubAccount');
    return this.dataSource.transaction(async (em) => {
      // FOR SHARE: a concurrent removal (FOR UPDATE) lands wholly before or after this change.
      const sub = await lockSubAccount(em, id, 'share');
      if (!sub || !canReadSubAccount(viewer, sub)) throw notFound('Sub-account', ['subAccountId']);
      if (sub.status === 'REMOVED') {
        throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'Restore the sub-account before changing its wallet', ['subAccountId']);
      }
      // One UPDATE of one column: concurrent sets serialize on the row and the last commit wins whole.
      await em.update(WalletEntity, { subAccountId: sub.id }, { lowBalanceThresholdMicros: thresholdMicros });
      return em.findOneByOrFail(WalletEntity, { subAccountId: sub.id });
    });
  }

  /** Transfers touching a wallet, newest first. The caller has authorized the wallet. */
  async listTransfers(wallet: WalletEntity, args: TransferListArgs): Promise<Page<LedgerTransferEntity>> {
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const query = this.dataSource
      .getRepository(LedgerTransferEntity)
      .createQueryBuilder('t')
      .where('(t.debit_account_id = :walletId OR t.credit_account_id = :walletId)', { walletId: wallet.id });
    if (args.kind) query.andWhere('t.kind = :kind', { kind: args.kind });
    if (args.range) query.andWhere('t.created_at >= :from AND t.created_at < :to', args.range);
    const totalCount = await query.clone().getCount();
    // Commit order (seq), not created_at: a transfer that waited on a lock commits dated
    // before rows already served, and would land behind a cursor (docs/faults.md, "Late
    // commits"). The cursor keeps its format; its id names the row to continue below. A
    // cursor of a row that is not this wallet's matches no row: an empty page.
    if (after) {
      query.andWhere(
        `t.seq < (SELECT c.seq FROM ledger_transfers c
                   WHERE c.id = :afterId AND (c.debit_account_id = :walletId OR c.credit_account_id = :walletId))`,
        { afterId: after.id },
      );
    }
    const rows = await query.orderBy('t.seq', 'DESC').take(limit + 1).getMany();
    return toPage(rows, limit, totalCount, after !== undefined);
  }
}
