import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import type { Logger } from '../../shared/logger';
import { decodeCursor, pageSize, toPage, type Page } from '../../shared/pagination';
import { canManageAgency, MANAGER_ROLES, requireAgencyWideAccess, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import type { AgencyEntity } from '../agency/agency.entity';
import { AgencyRepository } from '../agency/agency.repository';
import { billingCycleAt } from '../billing-cycle/billing-cycle';
import type { PaymentGateway, TransferOutcome, WebhookEvent } from '../billing/payment-gateway';
import { EventType, writeOutboxEvent } from '../outbox/outbox-writer';
import { postTransfer, requestHash } from '../ledger/ledger.service';
import { systemAccount } from '../ledger/ledger.repository';
import { PAYOUT_THRESHOLD_MICROS } from '../ledger/profit.service';
import { connectStatusOf, type ConnectStatus } from './connect-status';
import { PayoutError, PayoutErrorCode } from './payout.errors';
import { PayoutRepository, type PayoutRecord } from './payout.repository';

/** Stripe event types this module acts on (received through billing's webhook). */
export const PAYOUT_EVENT_TYPES = ['account.updated', 'transfer.reversed'] as const;

/** Every payout booked by sandbox mode says so in its ledger memo. */
export const SANDBOX_PAYOUT_MEMO = 'SANDBOX: payout booked as paid without any Stripe transfer (no STRIPE_SECRET_KEY)';

const MICROS_PER_CENT = 10_000n;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Stripe keeps an idempotency key about 24 hours: past that, asking again could pay twice. */
const IDEMPOTENCY_WINDOW_MS = 23 * 3600_000;

/** What booking a payout found. */
type Booking =
  | { kind: 'booked' | 'in_flight'; payout: PayoutRecord }
  | { kind: 'not_connected' | 'below_threshold' | 'not_due' };

/**
 * Stripe Connect and payouts. The rule every path keeps, as for charges: the payout record
 * (PENDING) and its ledger row (the amount moved from the agency's pending profit to
 * PAYOUTS_IN_FLIGHT) commit together before Stripe is called; the transfer is created
 * outside any transaction under `payout/<id>`; `settle` locks the record and books the
 * outcome once (PAID: in flight → PAYOUTS_OUT, and a PAYOUT_PAID event; FAILED: back to the agency). An unknown
 * outcome leaves the payout PENDING for the reconciliation job, which asks again under the
 * same key. One payout in flight per agency: decisions take the agency's Connect row lock,
 * and a partial unique index backs it.
 */
export class PayoutService {
  private readonly repository: PayoutRepository;
  private readonly agencies: AgencyRepository;
  /** One Stripe call per payout (and per account creation) at a time in this process. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly gateway: PaymentGateway,
    private readonly logger?: Logger,
  ) {
    this.repository = new PayoutRepository(dataSource);
    this.agencies = new AgencyRepository(dataSource);
  }

  /** NOT_CONNECTED without an account row; the viewer must see agency-wide data. */
  stripeConnectStatus(viewer: Viewer, agencyId: string, load: (agencyId: string) => Promise<ConnectStatus>): Promise<ConnectStatus> {
    requireAgencyWideAccess(viewer, agencyId);
    return load(agencyId);
  }

  /** The agency's payouts, newest first. */
  async payouts(viewer: Viewer, agencyId: string, args: { first?: number | null; after?: string | null }): Promise<Page<PayoutRecord>> {
    requireAgencyWideAccess(viewer, agencyId);
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const { rows, totalCount } = await this.repository.page(agencyId, after, limit);
    return toPage(rows, limit, totalCount, after !== undefined);
  }

  /** `node(id:)`: a payout of an agency the viewer manages, else null (as if it did not exist). */
  async find(viewer: Viewer, payoutId: string): Promise<PayoutRecord | null> {
    const payout = UUID.test(payoutId) ? await this.repository.payout(payoutId) : undefined;
    return payout && canManageAgency(viewer, payout.agencyId) ? payout : null;
  }

  /**
   * The agency's Express account, created once (the row first, then Stripe under
   * `connect-account/<agency id>`: racing requests share the row and Stripe answers them all
   * with one account), and a fresh onboarding link. Sandbox mode connects at once.
   */
  async createStripeConnectLink(viewer: Viewer, agencyId: string): Promise<string> {
    const agency = await this.managedAgency(viewer, agencyId);
    await this.repository.insertConnectAccount(agency.id);
    let account = (await this.repository.connectAccount(agency.id))!;
    if (account.stripeAccountId === null) {
      const stripeAccountId = await this.once(`connect/${agency.id}`, () =>
        this.gateway.createConnectAccount({ agencyId: agency.id, idempotencyKey: `connect-account/${agency.id}` }));
      account = await this.repository.setConnectAccountId(agency.id, stripeAccountId, this.gateway.mode === 'sandbox');
    }
    const url = await this.gateway.createAccountLink(account.stripeAccountId!);
    if (url === undefined) {
      throw new PayoutError(PayoutErrorCode.STRIPE_CONNECT_NOT_CONFIGURED, 'Connect onboarding needs STRIPE_CONNECT_REFRESH_URL and STRIPE_CONNECT_RETURN_URL');
    }
    return url;
  }

  /**
   * Pays the agency's pending profit now (whole cents; the rest stays pending):
   * STRIPE_NOT_CONNECTED or PAYOUT_BELOW_THRESHOLD change nothing. A payout already in
   * flight is answered instead of starting a second one.
   */
  async requestPayout(viewer: Viewer, agencyId: string): Promise<PayoutRecord> {
    const agency = await this.managedAgency(viewer, agencyId);
    const booking = await this.book(agency.id, null);
    switch (booking.kind) {
      case 'not_connected':
        throw new PayoutError(PayoutErrorCode.STRIPE_NOT_CONNECTED, 'Connect a Stripe account first (createStripeConnectLink) and finish its onboarding', ['agencyId']);
      case 'below_threshold':
      case 'not_due':
        throw new PayoutError(PayoutErrorCode.PAYOUT_BELOW_THRESHOLD, 'The pending payout is below the payout threshold of $100', ['agencyId']);
      default:
        return this.drive(booking.payout);
    }
  }

  /**
   * The scheduled job: pays every connected agency whose pending profit had reached the
   * threshold before its current billing cycle began and that has had no payout since that
   * start, once per cycle (`cycle_start` is unique per agency). Returns how many it paid or tried.
   */
  async runScheduledPayouts(now = new Date()): Promise<number> {
    let started = 0;
    for (const { agencyId, planStartedAt } of await this.repository.payableAgencies(PAYOUT_THRESHOLD_MICROS)) {
      try {
        const booking = await this.book(agencyId, billingCycleAt(planStartedAt, now).start);
        if (booking.kind === 'booked') {
          started += 1;
          await this.drive(booking.payout);
        }
      } catch (error) {
        this.logger?.error('scheduled payout failed', { agencyId, message: (error as Error).message });
      }
    }
    return started;
  }

  /**
   * The reconciliation job: every payout still PENDING after `minAgeSeconds` asks Stripe
   * again under its own key (Stripe answers the transfer it made, or makes it now), then
   * `settle`, which books the outcome once however many runs overlap. Past Stripe's
   * idempotency window the payout stays PENDING (the money in flight) for an operator.
   */
  async reconcilePayouts(minAgeSeconds: number): Promise<number> {
    const ids = await this.repository.unsettledPayoutIds(minAgeSeconds);
    for (const id of ids) {
      const payout = await this.repository.payout(id);
      if (!payout || payout.status !== 'PENDING') continue;
      if (Date.now() - payout.createdAt.getTime() >= IDEMPOTENCY_WINDOW_MS) {
        this.logger?.error('payout left pending past Stripe\'s idempotency window: check the Stripe dashboard (transfer_group = payout id)', { payoutId: id });
        continue;
      }
      await this.settle(id, await this.transfer(payout));
    }
    return ids.length;
  }

  /** Stripe's events for this module, inside billing's exactly-once processing transaction. */
  async applyEvent(em: EntityManager, event: WebhookEvent): Promise<void> {
    const object = event.object;
    if (event.type === 'account.updated' && typeof object.id === 'string') {
      const agencyId = typeof object.metadata?.agency_id === 'string' && UUID.test(object.metadata.agency_id) ? object.metadata.agency_id : null;
      await this.repository.applyAccountStatus(em, { stripeAccountId: object.id, agencyId, status: connectStatusOf(object), eventCreated: event.created });
    } else if (event.type === 'transfer.reversed' && typeof object.id === 'string') {
      await this.applyReversal(em, object);
    }
  }

  // -------------------------------------------------------------------------------------

  /**
   * The decision and the booking, in one transaction under the agency's Connect row lock:
   * connected, nothing in flight, at or over the threshold (for the cycle job: already
   * before `cycleStart`, and no payout since). Books the payout record and its ledger row
   * (AGENCY_PROFIT → PAYOUTS_IN_FLIGHT, whole cents) together.
   */
  private book(agencyId: string, cycleStart: Date | null): Promise<Booking> {
    return this.dataSource.transaction(async (em) => {
      const account = await this.repository.lockConnectAccount(em, agencyId);
      if (!account || account.status !== 'CONNECTED' || account.stripeAccountId === null) return { kind: 'not_connected' };
      const inFlight = await this.repository.pendingPayout(em, agencyId);
      if (inFlight) return { kind: 'in_flight', payout: inFlight };
      const profit = await this.repository.lockProfitAccount(em, agencyId);
      if (profit.balanceMicros < PAYOUT_THRESHOLD_MICROS) return { kind: 'below_threshold' };
      if (cycleStart !== null) {
        if (await this.repository.payoutSince(em, agencyId, cycleStart)) return { kind: 'not_due' };
        if ((await this.repository.profitBalanceBefore(em, profit.id, cycleStart)) < PAYOUT_THRESHOLD_MICROS) return { kind: 'not_due' };
      }
      const amountCents = profit.balanceMicros / MICROS_PER_CENT;
      const id = randomUUID();
      const sandbox = this.gateway.mode === 'sandbox';
      const posted = await postTransfer(em, {
        agencyId,
        kind: 'PAYOUT',
        debit: { id: profit.id, type: 'AGENCY_PROFIT' },
        credit: await systemAccount(em, 'PAYOUTS_IN_FLIGHT'),
        amountMicros: amountCents * MICROS_PER_CENT,
        idempotencyKey: `system/payout/${id}`,
        requestSha256: requestHash('PAYOUT', [id]),
        memo: sandbox ? SANDBOX_PAYOUT_MEMO : `Payout ${id} to Stripe account ${account.stripeAccountId} (in flight)`,
      });
      const payout = await this.repository.insertPayout(em, {
        id, agencyId, trigger: cycleStart === null ? 'REQUEST' : 'CYCLE', cycleStart, amountCents, sandbox,
        stripeAccountId: account.stripeAccountId, inFlightTransferId: posted.transfer.id,
      });
      return { kind: 'booked', payout };
    });
  }

  /** Takes a committed PENDING payout to its outcome (or leaves it PENDING when Stripe's answer is unknown). */
  private async drive(payout: PayoutRecord): Promise<PayoutRecord> {
    if (payout.status !== 'PENDING') return payout;
    return this.settle(payout.id, await this.transfer(payout));
  }

  /** The Stripe transfer under the payout's own Idempotency-Key, outside any transaction. */
  private transfer(payout: PayoutRecord): Promise<TransferOutcome> {
    return this.once(`payout/${payout.id}`, () =>
      this.gateway
        .createTransfer({
          destinationAccountId: payout.stripeAccountId,
          amountCents: payout.amountCents,
          idempotencyKey: `payout/${payout.id}`,
          metadata: { payout_id: payout.id, agency_id: payout.agencyId },
          description: 'Agency markup payout',
        })
        .catch((error: Error): TransferOutcome => ({ status: 'unknown', message: error.message })));
  }

  /** Applies what Stripe said about a payout, in one transaction; see `settleIn`. */
  private settle(payoutId: string, outcome: TransferOutcome): Promise<PayoutRecord> {
    return this.dataSource.transaction((em) => this.settleIn(em, payoutId, outcome));
  }

  /**
   * With the record locked, a PENDING payout only: paid moves the amount on from in flight
   * to PAYOUTS_OUT, failed gives it back to the agency's pending profit, each once (the
   * record leaves PENDING in the same transaction, and the rows' system keys are per payout).
   * Unknown leaves it PENDING. A transfer of another amount than the record's is never
   * booked as paid (logged, left PENDING).
   */
  private async settleIn(em: EntityManager, payoutId: string, outcome: TransferOutcome): Promise<PayoutRecord> {
    const payout = await this.repository.lockPayout(em, payoutId);
    if (!payout) throw new Error(`payout ${payoutId} does not exist`);
    if (payout.status !== 'PENDING') return payout;
    const amountMicros = payout.amountCents * MICROS_PER_CENT;
    const inFlight = await systemAccount(em, 'PAYOUTS_IN_FLIGHT');
    if (outcome.status === 'paid' && outcome.amountCents === payout.amountCents) {
      const posted = await postTransfer(em, {
        agencyId: payout.agencyId, kind: 'PAYOUT', debit: inFlight, credit: await systemAccount(em, 'PAYOUTS_OUT'), amountMicros,
        idempotencyKey: `system/payout/${payout.id}/paid`, requestSha256: requestHash('PAYOUT_PAID', [payout.id]),
        memo: payout.sandbox ? SANDBOX_PAYOUT_MEMO : `Payout ${payout.id} paid: Stripe transfer ${outcome.transferId}`,
      });
      await this.repository.updatePayout(em, payout.id, {
        status: 'PAID', stripeTransferId: outcome.transferId, settledTransferId: posted.transfer.id, lastError: null, attempted: true,
      });
      await writeOutboxEvent(em, { type: EventType.PAYOUT_PAID, agencyId: payout.agencyId, refId: payout.id });
    } else if (outcome.status === 'failed') {
      const posted = await postTransfer(em, {
        agencyId: payout.agencyId, kind: 'PAYOUT', debit: inFlight, credit: await this.profitAccount(em, payout.agencyId), amountMicros,
        idempotencyKey: `system/payout/${payout.id}/returned`, requestSha256: requestHash('PAYOUT_RETURNED', [payout.id]),
        memo: `Payout ${payout.id} failed, returned to pending: ${outcome.code}`.slice(0, 500),
      });
      await this.repository.updatePayout(em, payout.id, {
        status: 'FAILED', settledTransferId: posted.transfer.id, lastError: `${outcome.code}: ${outcome.message}`, attempted: true,
      });
    } else {
      const message = outcome.status === 'paid' ? `Stripe reports ${outcome.amountCents} cents, the payout is ${payout.amountCents}` : outcome.message;
      if (outcome.status === 'paid') this.logger?.error('Stripe transfer of another amount than the payout; not booked', { payoutId, message });
      await this.repository.updatePayout(em, payout.id, { status: 'PENDING', lastError: message, attempted: true });
    }
    return (await this.repository.payout(payout.id, em))!;
  }

  /**
   * `transfer.reversed`: the reversed part Stripe reports (cumulative `amount_reversed`) goes
   * back to the agency's pending profit, each cent once (the row's key names the cumulative
   * amount, the record keeps it). A payout whose create answer was lost is settled as paid first.
   */
  private async applyReversal(em: EntityManager, transfer: Record<string, any>): Promise<void> {
    const metadataId = transfer.metadata?.payout_id;
    const payoutId = (await this.repository.payoutIdByTransfer(em, transfer.id))
      ?? (typeof metadataId === 'string' && UUID.test(metadataId) ? metadataId : undefined);
    if (!payoutId) return;
    let payout = await this.repository.lockPayout(em, payoutId);
    if (!payout || (payout.stripeTransferId !== null && payout.stripeTransferId !== transfer.id)) return;
    if (payout.status === 'PENDING') {
      payout = await this.settleIn(em, payout.id, { status: 'paid', transferId: transfer.id, amountCents: BigInt(transfer.amount ?? 0) });
    }
    if (payout.status !== 'PAID' && payout.status !== 'REVERSED') return;
    const reversedCents = BigInt(transfer.amount_reversed ?? 0);
    if (reversedCents <= payout.reversedCents || reversedCents > payout.amountCents) return;
    await postTransfer(em, {
      agencyId: payout.agencyId, kind: 'PAYOUT', debit: await systemAccount(em, 'PAYOUTS_OUT'), credit: await this.profitAccount(em, payout.agencyId),
      amountMicros: (reversedCents - payout.reversedCents) * MICROS_PER_CENT,
      idempotencyKey: `system/payout/${payout.id}/reversed/${reversedCents}`, requestSha256: requestHash('PAYOUT_REVERSED', [payout.id, reversedCents.toString()]),
      memo: `Stripe transfer ${transfer.id} reversed: returned to pending`,
    });
    await this.repository.updatePayout(em, payout.id, {
      status: reversedCents === payout.amountCents ? 'REVERSED' : 'PAID', reversedCents, lastError: payout.lastError,
    });
  }

  private async profitAccount(em: EntityManager, agencyId: string) {
    const { id } = await this.repository.lockProfitAccount(em, agencyId);
    return { id, type: 'AGENCY_PROFIT' as const };
  }

  /** Agency admins of the agency and platform admins; client admins FORBIDDEN; another tenant's id is NOT_FOUND. */
  private async managedAgency(viewer: Viewer, agencyId: string): Promise<AgencyEntity> {
    requireRole(viewer, MANAGER_ROLES);
    const id = decodeId(agencyId, 'Agency');
    const agency = id && canManageAgency(viewer, id) ? await this.agencies.findById(id) : null;
    if (!agency) throw notFound('Agency', ['agencyId']);
    return agency;
  }

  /** Shares one call per key among the callers of this process. */
  private once<T>(key: string, call: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running as Promise<T>;
    const promise = call().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }
}
