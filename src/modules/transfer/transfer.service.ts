import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { MINUTES_SCALE, parseScaled } from '../../shared/money';
import { validIdempotencyKey, validMemo, validMinuteUnits } from '../../shared/validation';
import { AgencyEntity } from '../agency/agency.entity';
import { canManageAgency, MANAGER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import { findByIdempotencyKey, postTransfer, replayOrConflict, requestHash } from '../ledger/ledger.service';
import type { LedgerTransferEntity } from '../ledger/ledger.entities';
import { PlanEntity } from '../plan/plan.entity';
import { minutePriceMicros, quoteTransfer, type MinuteTier } from '../pricing/pricing';
import { SubAccountEntity } from '../sub-account/sub-account.entity';
import { WalletEntity } from '../wallet/wallet.entity';

export interface TransferMinutesCommand {
  fromSubAccountId: string;
  toSubAccountId: string;
  tier: MinuteTier;
  minutes: string;
  idempotencyKey: string;
  expectedMinutesReceived?: string | null;
  memo?: string | null;
}

export interface TransferQuoteResult {
  tier: MinuteTier;
  minutesSentUnits: bigint;
  amountMicros: bigint;
  fromPriceMicros: bigint;
  toPriceMicros: bigint;
  minutesReceivedUnits: bigint;
}

interface Parties {
  agency: AgencyEntity;
  from: SubAccountEntity;
  to: SubAccountEntity;
  quote: TransferQuoteResult;
}

/**
 * Minute transfers between two active sub-accounts of one agency, at the dollar value of
 * the minutes sent (see pricing.quoteTransfer). Agency admins of that agency and platform
 * admins only.
 */
export class TransferService {
  constructor(private readonly dataSource: DataSource) {}

  /** What a transfer would do now; the same checks as the transfer itself, nothing written. */
  async quote(viewer: Viewer, input: Omit<TransferMinutesCommand, 'idempotencyKey'>): Promise<TransferQuoteResult> {
    requireRole(viewer, MANAGER_ROLES);
    const minutesUnits = validMinuteUnits(input.minutes, ['minutes']);
    const parties = await this.resolveParties(this.dataSource.manager, viewer, input, minutesUnits, false);
    return parties.quote;
  }

  async transfer(viewer: Viewer, input: TransferMinutesCommand): Promise<LedgerTransferEntity> {
    requireRole(viewer, MANAGER_ROLES);
    const minutesUnits = validMinuteUnits(input.minutes, ['minutes']);
    const idempotencyKey = validIdempotencyKey(input.idempotencyKey);
    const memo = validMemo(input.memo);
    const expected = input.expectedMinutesReceived == null ? undefined : parseScaled(input.expectedMinutesReceived, MINUTES_SCALE);
    if (input.expectedMinutesReceived != null && (expected === undefined || expected < 0n)) {
      throw new DomainError(ErrorCode.INVALID_MINUTES, 'expectedMinutesReceived has at most 4 decimals', ['expectedMinutesReceived']);
    }
    const hash = requestHash('MINUTE_TRANSFER', [
      input.fromSubAccountId, input.toSubAccountId, input.tier, minutesUnits.toString(), expected?.toString() ?? null, memo,
    ]);
    return this.dataSource.transaction(async (em) => {
      const from = await this.findManagedSubAccount(em, viewer, input.fromSubAccountId, ['fromSubAccountId']);
      // A retry returns the first result even if prices moved since: the key names one decision.
      const existing = await findByIdempotencyKey(em, from.agencyId, idempotencyKey);
      if (existing) return replayOrConflict(existing, hash);

      const { agency, to, quote } = await this.resolveParties(em, viewer, input, minutesUnits, true);
      if (expected !== undefined && expected !== quote.minutesReceivedUnits) {
        throw new DomainError(
          ErrorCode.QUOTE_CHANGED,
          'Prices changed since the quote: request a new quote and confirm again',
          ['expectedMinutesReceived'],
        );
      }
      const [fromWallet, toWallet] = await Promise.all([
        em.findOneByOrFail(WalletEntity, { subAccountId: from.id }),
        em.findOneByOrFail(WalletEntity, { subAccountId: to.id }),
      ]);
      const posted = await postTransfer(em, {
        agencyId: agency.id,
        kind: 'MINUTE_TRANSFER',
        debit: { id: fromWallet.id, type: 'WALLET' },
        credit: { id: toWallet.id, type: 'WALLET' },
        amountMicros: quote.amountMicros,
        tier: input.tier,
        minutesSentUnits: minutesUnits,
        minutesReceivedUnits: quote.minutesReceivedUnits,
        idempotencyKey,
        requestSha256: hash,
        memo,
      });
      return posted.transfer;
    });
  }

  /**
   * Loads and checks both sides. With `lock`, both sub-account rows are share-locked so
   * a concurrent removal (which sweeps the wallet) cannot interleave with the transfer.
   */
  private async resolveParties(
    em: EntityManager,
    viewer: Viewer,
    input: Omit<TransferMinutesCommand, 'idempotencyKey'>,
    minutesUnits: bigint,
    lock: boolean,
  ): Promise<Parties> {
    const fromId = decodeId(input.fromSubAccountId, 'SubAccount');
    const toId = decodeId(input.toSubAccountId, 'SubAccount');
    const ids = [fromId, toId].filter((id): id is string => Boolean(id)).sort();
    const query = em.createQueryBuilder(SubAccountEntity, 's').where('s.id IN (:...ids)', { ids: ids.length ? ids : ['00000000-0000-0000-0000-000000000000'] }).orderBy('s.id');
    if (lock) query.setLock('pessimistic_read');
    const rows = await query.getMany();
    const from = rows.find((r) => r.id === fromId);
    const to = rows.find((r) => r.id === toId);
    if (!from || !canManageAgency(viewer, from.agencyId)) throw notFound('Sub-account', ['fromSubAccountId']);
    if (!to || to.agencyId !== from.agencyId) throw notFound('Sub-account', ['toSubAccountId']);
    if (from.id === to.id) throw new DomainError(ErrorCode.SAME_ACCOUNT, 'Source and destination are the same sub-account', ['toSubAccountId']);
    for (const [sub, field] of [[from, 'fromSubAccountId'], [to, 'toSubAccountId']] as const) {
      if (sub.status === 'REMOVED') throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'The sub-account is removed', [field]);
    }
    const agency = await em.findOneByOrFail(AgencyEntity, { id: from.agencyId });
    const plan = await em.findOneByOrFail(PlanEntity, { code: agency.planCode });
    const fromPriceMicros = minutePriceMicros(plan, agency, from, input.tier);
    const toPriceMicros = minutePriceMicros(plan, agency, to, input.tier);
    const figures = quoteTransfer(minutesUnits, fromPriceMicros, toPriceMicros);
    return {
      agency,
      from,
      to,
      quote: { tier: input.tier, minutesSentUnits: minutesUnits, fromPriceMicros, toPriceMicros, ...figures },
    };
  }

  private async findManagedSubAccount(em: EntityManager, viewer: Viewer, globalId: string, field: string[]) {
    const id = decodeId(globalId, 'SubAccount');
    const sub = id ? await em.findOneBy(SubAccountEntity, { id }) : null;
    if (!sub || !canManageAgency(viewer, sub.agencyId)) throw notFound('Sub-account', field);
    return sub;
  }
}
