import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { parseMicros } from '../../shared/money';
import { validIdempotencyKey, validMemo } from '../../shared/validation';
import { canReadSubAccount, READER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import { postTransfer, replayOrConflict, requestHash } from '../ledger/ledger.service';
import { findByIdempotencyKey, systemAccount } from '../ledger/ledger.repository';
import type { LedgerTransferEntity, TransferKind } from '../ledger/ledger.entities';
import type { WalletEntity } from './wallet.entity';
import { setLowBalanceThreshold, walletAccountOf, walletOfSubAccount, WalletRepository } from './wallet.repository';
import { validLowBalanceThresholdMicros } from './low-balance-threshold';
import { decodeCursor, pageSize, toPage, type Page } from '../../shared/pagination';
import { findSubAccount, lockSubAccount } from '../sub-account/sub-account.repository';

/** Largest single manual adjustment: $1,000,000. */
const MAX_ADJUSTMENT_MICROS = 1_000_000n * 1_000_000n;

export interface TransferListArgs {
  first?: number | null;
  after?: string | null;
  range?: { from: Date; to: Date };
  kind?: TransferKind | null;
}

export class WalletService {
  private readonly repository: WalletRepository;

  constructor(private readonly dataSource: DataSource) {
    this.repository = new WalletRepository(dataSource);
  }

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
      const sub = id ? await findSubAccount(em, id) : null;
      if (!sub) throw notFound('Sub-account', ['subAccountId']);
      const existing = await findByIdempotencyKey(em, sub.agencyId, idempotencyKey);
      if (existing) return replayOrConflict(existing, hash);
      // Money in a removed wallet would sit outside every report until a restore.
      if (sub.status === 'REMOVED') {
        throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'Restore the sub-account before adjusting its wallet', ['subAccountId']);
      }
      const walletAccount = await walletAccountOf(em, sub.id);
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
      await setLowBalanceThreshold(em, sub.id, thresholdMicros);
      return walletOfSubAccount(em, sub.id);
    });
  }

  /** Transfers touching a wallet, newest first. The caller has authorized the wallet. */
  async listTransfers(wallet: WalletEntity, args: TransferListArgs): Promise<Page<LedgerTransferEntity>> {
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const { rows, totalCount } = await this.repository.transfers({
      walletId: wallet.id, kind: args.kind, range: args.range, after, take: limit + 1,
    });
    return toPage(rows, limit, totalCount, after !== undefined);
  }
}
