import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { MINUTES_SCALE, parseScaled } from '../../shared/money';
import { validIdempotencyKey, validMemo, validMinuteUnits } from '../../shared/validation';
import { canManageAgency, MANAGER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import { PricesChanged, replayOrConflict, requestHash } from '../ledger/ledger.service';
import { findByIdempotencyKey } from '../ledger/ledger.repository';
import type { TransferBatcher } from '../ledger/transfer-batcher';
import type { LedgerTransferEntity } from '../ledger/ledger.entities';
import {
  minutePriceMicros, quoteTransfer, type AgencyMarkups, type MinuteTier, type PlanPrices, type SubAccountPricing,
} from '../pricing/pricing';
import { PartyLookup, type PartyRow } from './party-lookup';
import { PartyCache, type CachedParty } from './party-cache';

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


interface Party extends SubAccountPricing {
  id: string;
  agencyId: string;
  status: 'ACTIVE' | 'REMOVED';
  walletId: string;
}

interface LoadedParties {
  from: Party;
  to: Party;
  pricing: { agency: AgencyMarkups & { id: string }; plan: PlanPrices };
  /** Whether the source's agency already has a transfer under the request's idempotency key. */
  keyUsed: boolean;
}

interface Parties {
  agency: { id: string };
  from: Party;
  to: Party;
  quote: TransferQuoteResult;
}

const optionalBigInt = (value: string | null) => (value === null ? null : BigInt(value));

function toParty(row: CachedParty): Party {
  return {
    id: row.id,
    agencyId: row.agency_id,
    kind: row.kind,
    status: row.status,
    applyBasePrice: row.apply_base_price,
    markupBasicMicros: optionalBigInt(row.markup_basic_micros),
    markupPremiumMicros: optionalBigInt(row.markup_premium_micros),
    walletId: row.wallet_id,
  };
}

function toPricing(row: CachedParty): LoadedParties['pricing'] {
  return {
    agency: {
      id: row.agency_id,
      defaultMarkupBasicMicros: BigInt(row.default_markup_basic_micros),
      defaultMarkupPremiumMicros: BigInt(row.default_markup_premium_micros),
    },
    plan: { basicPriceMicros: BigInt(row.basic_price_micros), premiumPriceMicros: BigInt(row.premium_price_micros) },
  };
}

function toLoadedParties(from: CachedParty, to: CachedParty, keyUsed: boolean): LoadedParties {
  return { from: toParty(from), to: toParty(to), pricing: toPricing(from), keyUsed };
}

/** The sub-account ids the input's global ids decode to (undefined: not a SubAccount id). */
interface PartyIds {
  fromId: string | undefined;
  toId: string | undefined;
}

function decodeParties(input: Pick<TransferMinutesCommand, 'fromSubAccountId' | 'toSubAccountId'>): PartyIds {
  return { fromId: decodeId(input.fromSubAccountId, 'SubAccount'), toId: decodeId(input.toSubAccountId, 'SubAccount') };
}

/** A transfer's validated terms, as the posting and the idempotency hash take them. */
interface TransferTerms {
  tier: MinuteTier;
  minutesUnits: bigint;
  expected: bigint | undefined;
  idempotencyKey: string;
  hash: Buffer;
  memo: string | null;
}

/** Lookups and postings per transfer whose prices change in between, before QUOTE_CHANGED. */
const MAX_PRICING_ATTEMPTS = 3;

/**
 * Minute transfers between two active sub-accounts of one agency, at the dollar value of
 * the minutes sent (see pricing.quoteTransfer). Agency admins of that agency and platform
 * admins only.
 */
export class TransferService {
  private readonly parties: PartyLookup;
  /** Sub-accounts priced from before: a transfer between two of them needs no lookup. */
  private readonly remembered = new PartyCache();

  constructor(
    private readonly dataSource: DataSource,
    private readonly batcher: TransferBatcher,
  ) {
    this.parties = new PartyLookup(dataSource);
  }

  /** What a transfer would do now; the same checks as the transfer itself, nothing written. */
  async quote(viewer: Viewer, input: Omit<TransferMinutesCommand, 'idempotencyKey'>): Promise<TransferQuoteResult> {
    requireRole(viewer, MANAGER_ROLES);
    const minutesUnits = validMinuteUnits(input.minutes, ['minutes']);
    const parties = await this.loadParties(viewer, decodeParties(input));
    return this.checkAndQuote(parties, input.tier, minutesUnits).quote;
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
    const ids = decodeParties(input);
    // Hashed by the ids the global ids decode to: base64url has several spellings of one id.
    const hash = requestHash('MINUTE_TRANSFER', [
      ids.fromId ?? input.fromSubAccountId,
      ids.toId ?? input.toSubAccountId,
      input.tier, minutesUnits.toString(), expected?.toString() ?? null, memo,
    ]);
    const terms: TransferTerms = { tier: input.tier, minutesUnits, expected, idempotencyKey, hash, memo };

    const fromRemembered = await this.transferFromRemembered(viewer, ids, terms);
    if (fromRemembered) return fromRemembered;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transferFromFreshRows(viewer, ids, terms);
      } catch (error) {
        // Prices changed between this lookup and the posting: price it again, a few times at most.
        if (!(error instanceof PricesChanged)) throw error;
        if (attempt >= MAX_PRICING_ATTEMPTS) {
          throw new DomainError(ErrorCode.QUOTE_CHANGED, 'Prices kept changing while the transfer was posted: try again', []);
        }
      }
    }
  }

  /**
   * The common case without a lookup: both sub-accounts remembered, and every check passes
   * from those rows. The posting re-checks prices and status under lock; when it refuses on
   * either, or when any check fails from remembered rows, the answer comes from fresh rows
   * instead (undefined), so a remembered row never decides an error.
   */
  private async transferFromRemembered(
    viewer: Viewer,
    { fromId, toId }: PartyIds,
    terms: TransferTerms,
  ): Promise<LedgerTransferEntity | undefined> {
    const remembered = fromId && toId ? this.remembered.get(fromId, toId) : undefined;
    if (!remembered || !canManageAgency(viewer, remembered[0].agency_id) || remembered[1].agency_id !== remembered[0].agency_id) {
      return undefined;
    }
    let priced: Parties;
    try {
      priced = this.checkAndQuote(toLoadedParties(remembered[0], remembered[1], false), terms.tier, terms.minutesUnits);
    } catch {
      return undefined;
    }
    if (terms.expected !== undefined && terms.expected !== priced.quote.minutesReceivedUnits) return undefined;
    try {
      return await this.post(priced, terms);
    } catch (error) {
      if (error instanceof PricesChanged || (error instanceof DomainError && error.code === ErrorCode.SUB_ACCOUNT_REMOVED)) {
        this.remembered.forget(fromId!, toId!);
        return undefined;
      }
      throw error;
    }
  }

  private async transferFromFreshRows(viewer: Viewer, ids: PartyIds, terms: TransferTerms): Promise<LedgerTransferEntity> {
    const parties = await this.loadParties(viewer, ids, terms.idempotencyKey);
    // A retry returns the first result even if prices or statuses changed since: the key names one decision.
    if (parties.keyUsed) {
      const existing = await findByIdempotencyKey(this.dataSource.manager, parties.from.agencyId, terms.idempotencyKey);
      if (existing) return replayOrConflict(existing, terms.hash);
    }
    const priced = this.checkAndQuote(parties, terms.tier, terms.minutesUnits);
    if (terms.expected !== undefined && terms.expected !== priced.quote.minutesReceivedUnits) {
      throw new DomainError(
        ErrorCode.QUOTE_CHANGED,
        'Prices changed since the quote: request a new quote and confirm again',
        ['expectedMinutesReceived'],
      );
    }
    return this.post(priced, terms);
  }

  /**
   * Posts in the next group commit; the posting re-checks, under lock, that both are still
   * active and that both prices are still those the quote used (else PricesChanged).
   */
  private async post({ agency, from, to, quote }: Parties, terms: TransferTerms): Promise<LedgerTransferEntity> {
    const posted = await this.batcher.post({
      agencyId: agency.id,
      kind: 'MINUTE_TRANSFER',
      debit: { id: from.walletId, type: 'WALLET' },
      credit: { id: to.walletId, type: 'WALLET' },
      amountMicros: quote.amountMicros,
      tier: terms.tier,
      minutesSentUnits: terms.minutesUnits,
      minutesReceivedUnits: quote.minutesReceivedUnits,
      idempotencyKey: terms.idempotencyKey,
      requestSha256: terms.hash,
      memo: terms.memo,
      activeSubAccountIds: [from.id, to.id],
      pricedAt: [
        { subAccountId: from.id, priceMicros: quote.fromPriceMicros },
        { subAccountId: to.id, priceMicros: quote.toPriceMicros },
      ],
    });
    return posted.transfer;
  }

  /**
   * Both sub-accounts with their wallet, agency and plan, and whether the agency already
   * used the idempotency key: one row each from a shared lookup (one round trip, often
   * shared with concurrent requests).
   */
  private async loadParties(viewer: Viewer, { fromId, toId }: PartyIds, idempotencyKey: string | null = null): Promise<LoadedParties> {
    const rows: PartyRow[] = await this.parties.load(
      [fromId, toId].filter((id): id is string => Boolean(id)),
      idempotencyKey,
    );
    this.remembered.remember(rows);
    const from = rows.find((r) => r.id === fromId);
    const to = rows.find((r) => r.id === toId);
    if (!from || !canManageAgency(viewer, from.agency_id)) throw notFound('Sub-account', ['fromSubAccountId']);
    if (!to || to.agency_id !== from.agency_id) throw notFound('Sub-account', ['toSubAccountId']);
    return toLoadedParties(from, to, from.key_used);
  }

  private checkAndQuote(parties: LoadedParties, tier: MinuteTier, minutesUnits: bigint): Parties {
    const { from, to, pricing } = parties;
    if (from.id === to.id) throw new DomainError(ErrorCode.SAME_ACCOUNT, 'Source and destination are the same sub-account', ['toSubAccountId']);
    for (const [sub, field] of [[from, 'fromSubAccountId'], [to, 'toSubAccountId']] as const) {
      if (sub.status === 'REMOVED') throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'The sub-account is removed', [field]);
    }
    const fromPriceMicros = minutePriceMicros(pricing.plan, pricing.agency, from, tier);
    const toPriceMicros = minutePriceMicros(pricing.plan, pricing.agency, to, tier);
    const figures = quoteTransfer(minutesUnits, fromPriceMicros, toPriceMicros);
    return {
      agency: pricing.agency,
      from,
      to,
      quote: { tier, minutesSentUnits: minutesUnits, fromPriceMicros, toPriceMicros, ...figures },
    };
  }
}
