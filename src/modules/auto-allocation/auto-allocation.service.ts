import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import type { Logger } from '../../shared/logger';
import { MINUTES_SCALE, parseScaled } from '../../shared/money';
import { systemClock, type Clock } from '../../shared/clock';
import { canManageAgency, canReadSubAccount, MANAGER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import { billingCycleAt } from '../billing-cycle/billing-cycle';
import { BillingRepository, type PaymentRecord } from '../billing/billing.repository';
import type { BillingService } from '../billing/billing.service';
import { BillingError, BillingErrorCode } from '../billing/billing.errors';
import { MIN_TOP_UP_CENTS } from '../billing/top-up-terms';
import { EventType, writeOutboxEvent } from '../outbox/outbox-writer';
import { requestHash } from '../ledger/ledger.service';
import { effectiveMarkupMicros, minutePriceMicros } from '../pricing/pricing';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { allocationCharge } from '../billing/allocation-terms';
import { AutoAllocationRepository, type AutoAllocationSettings } from './auto-allocation.repository';
import { agencyWithPlan } from '../agency/agency.repository';
import { findSubAccount, primaryOf } from '../sub-account/sub-account.repository';

/** Largest allocation per tier and cycle: 1,000,000 minutes (in 1/10,000 minute). */
const MAX_MINUTES_UNITS = 1_000_000n * 10n ** BigInt(MINUTES_SCALE);

/** Charges tried per cycle (the first and pg-boss's retries) before the cycle is given up. */
export const MAX_ALLOCATION_ATTEMPTS = 4;

/** What one run did: `failed` makes the job throw, so pg-boss retries it with backoff. */
export type AllocationRunOutcome = 'bought' | 'failed' | 'pending' | 'gave-up' | 'not-due';

/**
 * Monthly auto allocation: every billing cycle of a secondary sub-account, buy the configured
 * Basic and Premium minutes for it at its client prices, charged to the agency primary's saved
 * card (DESIGN.md; the plan's included minutes are never redistributed).
 *
 * Exactly once per cycle: the payment record of (sub-account, cycle) is written and committed
 * before Stripe is called, a unique index admits one that took or may take money, and the
 * charge and credit go through billing's payment path (Idempotency-Key `payment/<id>`,
 * credited once in `settle`). A run that finds the cycle's payment still open drives it again
 * under the same key; one that finds it SUCCEEDED only moves `nextRunAt` on.
 */
export class AutoAllocationService {
  private readonly repository: AutoAllocationRepository;
  private readonly billingRepository: BillingRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly billing: BillingService,
    private readonly clock: Clock = systemClock,
    private readonly logger?: Logger,
  ) {
    this.repository = new AutoAllocationRepository(dataSource);
    this.billingRepository = new BillingRepository(dataSource);
  }

  /** The sub-account's settings (null: never set, or not the viewer's). */
  async autoAllocation(viewer: Viewer, sub: SubAccountEntity, load: (id: string) => Promise<AutoAllocationSettings | null>): Promise<AutoAllocationSettings | null> {
    if (!canReadSubAccount(viewer, sub)) return null;
    return load(sub.id);
  }

  /**
   * Saves a secondary's monthly auto allocation. Only platform and agency admins: it charges
   * the primary's card. The first run is the sub-account's next cycle start.
   */
  async setAutoAllocation(viewer: Viewer, input: { subAccountId: string; enabled: boolean; basicMinutes: string; premiumMinutes: string }): Promise<SubAccountEntity> {
    requireRole(viewer, MANAGER_ROLES);
    const basicMinutesUnits = validAllocationMinutes(input.basicMinutes, ['basicMinutes']);
    const premiumMinutesUnits = validAllocationMinutes(input.premiumMinutes, ['premiumMinutes']);
    if (input.enabled && basicMinutesUnits === 0n && premiumMinutesUnits === 0n) {
      throw new DomainError(ErrorCode.INVALID_MINUTES, 'An enabled auto allocation buys some Basic or Premium minutes', ['basicMinutes']);
    }
    const id = decodeId(input.subAccountId, 'SubAccount');
    const sub = id ? await findSubAccount(this.dataSource.manager, id) : null;
    if (!sub || !canManageAgency(viewer, sub.agencyId)) throw notFound('Sub-account', ['subAccountId']);
    if (sub.status !== 'ACTIVE') throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'The sub-account was removed', ['subAccountId']);
    if (sub.kind === 'PRIMARY') {
      throw new DomainError(ErrorCode.INVALID_INPUT, "Auto allocation buys minutes for a secondary with the primary's card; the primary tops up its own wallet", ['subAccountId']);
    }
    if (input.enabled && this.billing.gateway.mode === 'stripe' && !(await this.primaryCard(sub.agencyId))) {
      throw new BillingError(BillingErrorCode.PAYMENT_METHOD_REQUIRED, "Save a card on the agency's primary sub-account first (createPaymentMethodSetup)", ['subAccountId']);
    }
    const nextRunAt = input.enabled ? billingCycleAt(sub.subscriptionStartedAt, this.clock.now()).end : null;
    await this.dataSource.transaction((em) =>
      this.repository.save(em, { subAccountId: sub.id, agencyId: sub.agencyId, enabled: input.enabled, basicMinutesUnits, premiumMinutesUnits, nextRunAt }));
    return sub;
  }

  /** Sub-accounts whose allocation is due at `now` (the sweep enqueues one job each). */
  due(now = new Date()): Promise<string[]> {
    return this.repository.due(now);
  }

  /**
   * One sub-account's allocation for the cycle containing `now`, if due. The decision and the
   * record are one transaction with the settings locked; the charge is outside it; the outcome
   * is written to the settings afterwards (a crash before that is repaired by the next run,
   * which finds the cycle's payment).
   */
  async runAllocation(subAccountId: string, now = new Date()): Promise<AllocationRunOutcome> {
    const decision = await this.dataSource.transaction(async (em) => {
      const settings = await this.repository.lock(em, subAccountId);
      if (!settings?.enabled || !settings.nextRunAt || settings.nextRunAt.getTime() > now.getTime()) return { outcome: 'not-due' as const };
      const sub = await findSubAccount(em, subAccountId);
      if (!sub || sub.status !== 'ACTIVE') return { outcome: 'not-due' as const };
      const cycle = billingCycleAt(sub.subscriptionStartedAt, now);
      const giveUp = async (lastError: string) => {
        await this.repository.recordRun(em, subAccountId, { nextRunAt: cycle.end, ranAt: now, lastError });
        await writeOutboxEvent(em, { type: EventType.AUTO_ALLOCATION_FAILED, agencyId: sub.agencyId, subAccountId });
        return { outcome: 'gave-up' as const };
      };
      const live = await this.repository.livePayment(em, subAccountId, cycle.start);
      if (live?.status === 'SUCCEEDED') {
        await this.repository.recordRun(em, subAccountId, { nextRunAt: cycle.end, ranAt: now, lastError: null });
        return { outcome: 'bought' as const };
      }
      if (live?.status === 'REQUIRES_ACTION') return giveUp('The card needs its holder to authenticate; the cycle is credited if they do');
      if (live) return { outcome: 'run' as const, payment: (await this.billingRepository.payment(live.id, em))!, cycleEnd: cycle.end, attempt: 0 };
      const failed = await this.repository.failedAttempts(em, subAccountId, cycle.start);
      if (failed >= MAX_ALLOCATION_ATTEMPTS) return giveUp(settings.lastError ?? 'The charge failed');
      const { agency, plan } = await agencyWithPlan(em, sub.agencyId);
      const basic = { minutesUnits: settings.basicMinutesUnits, priceMicros: minutePriceMicros(plan, agency, sub, 'BASIC'), markupMicros: effectiveMarkupMicros(sub, agency, 'BASIC') };
      const premium = { minutesUnits: settings.premiumMinutesUnits, priceMicros: minutePriceMicros(plan, agency, sub, 'PREMIUM'), markupMicros: effectiveMarkupMicros(sub, agency, 'PREMIUM') };
      const terms = allocationCharge(basic, premium);
      if (terms.amountCents < MIN_TOP_UP_CENTS) return giveUp('The allocation costs less than Stripe\'s $0.50 minimum charge');
      const card = this.billing.gateway.mode === 'sandbox' ? null : await this.primaryCard(sub.agencyId, em);
      if (this.billing.gateway.mode === 'stripe' && !card) return giveUp("The agency's primary sub-account has no saved card");
      const idempotencyKey = `system/auto-allocation/${subAccountId}/${cycle.start.toISOString()}/${failed + 1}`;
      const payment = await this.billingRepository.insertPayment(em, {
        kind: 'AUTO_ALLOCATION', agencyId: sub.agencyId, subAccountId, idempotencyKey,
        requestSha256: requestHash('AUTO_ALLOCATION', [subAccountId, cycle.start.toISOString(), String(failed + 1)]),
        amountCents: terms.amountCents, premiumPriceMicros: premium.priceMicros, premiumMarkupMicros: premium.markupMicros,
        sandbox: this.billing.gateway.mode === 'sandbox', stripeCustomerId: card?.stripeCustomerId ?? null,
        stripePaymentMethodId: card?.card?.paymentMethodId ?? null,
        allocation: {
          cycleStart: cycle.start, basicMinutesUnits: basic.minutesUnits, basicPriceMicros: basic.priceMicros, basicMarkupMicros: basic.markupMicros,
          premiumMinutesUnits: premium.minutesUnits,
        },
      });
      // The settings lock serialises runs, so the unique index is the last guard only (a replica without it).
      if (!payment) return { outcome: 'not-due' as const };
      return { outcome: 'run' as const, payment, cycleEnd: cycle.end, attempt: failed + 1 };
    });
    if (decision.outcome !== 'run') return decision.outcome;
    const settled = await this.billing.runPayment(decision.payment);
    return this.dataSource.transaction(async (em) => {
      await this.repository.lock(em, subAccountId);
      switch (settled.status) {
        case 'SUCCEEDED':
          await this.repository.recordRun(em, subAccountId, { nextRunAt: decision.cycleEnd, ranAt: now, lastError: null });
          return 'bought';
        case 'PENDING':
          // Stripe's answer was lost: the reconciliation job settles it under the same key; the next run sees it.
          return 'pending';
        default: {
          const lastError = settled.status === 'REQUIRES_ACTION'
            ? 'The card needs its holder to authenticate; the cycle is credited if they do'
            : `${settled.status}: ${settled.lastError ?? 'the charge failed'}`;
          const final = settled.status === 'REQUIRES_ACTION' || decision.attempt >= MAX_ALLOCATION_ATTEMPTS;
          await this.repository.recordRun(em, subAccountId, { nextRunAt: final ? decision.cycleEnd : undefined, ranAt: now, lastError });
          await writeOutboxEvent(em, { type: EventType.AUTO_ALLOCATION_FAILED, agencyId: settled.agencyId, subAccountId, refId: settled.id });
          this.logger?.warn('auto allocation charge failed', { subAccountId, paymentId: settled.id, status: settled.status });
          return final ? 'gave-up' : 'failed';
        }
      }
    });
  }

  /** The primary sub-account's Stripe customer with its saved card, if any. */
  private async primaryCard(agencyId: string, em: EntityManager = this.dataSource.manager) {
    const primary = await primaryOf(em, agencyId);
    const customer = primary ? await this.billingRepository.customer(primary.id, em) : undefined;
    return customer?.card ? customer : undefined;
  }
}

/** Non-negative minutes with at most 4 decimals, up to 1,000,000 a cycle; in units of 1/10,000 minute. */
function validAllocationMinutes(value: string, field: string[]): bigint {
  const units = parseScaled(value, MINUTES_SCALE);
  if (units === undefined || units < 0n || units > MAX_MINUTES_UNITS) {
    throw new DomainError(ErrorCode.INVALID_MINUTES, 'Minutes are from 0 to 1,000,000 a cycle, with at most 4 decimals', field);
  }
  return units;
}
