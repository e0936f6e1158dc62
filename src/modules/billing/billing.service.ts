import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import type { Logger } from '../../shared/logger';
import { parseMicros } from '../../shared/money';
import { validIdempotencyKey, validMicrosUpTo } from '../../shared/validation';
import { canReadSubAccount, READER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import type { LedgerTransferEntity } from '../ledger/ledger.entities';
import { LedgerErrorCode, accrueMarkupProfit, postTransfer, requestHash } from '../ledger/ledger.service';
import { systemAccount } from '../ledger/ledger.repository';
import { effectiveMarkupMicros, minutePriceMicros } from '../pricing/pricing';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { BillingError, BillingErrorCode } from './billing.errors';
import { BillingRepository, type AutoRechargeSettings, type PaymentRecord } from './billing.repository';
import type { ChargeOutcome, PaymentGateway, PaymentIntentOwner, SavedCard, WebhookEvent } from './payment-gateway';
import { SANDBOX_MEMO } from './sandbox-gateway';
import { EventType, writeOutboxEvent } from '../outbox/outbox-writer';
import { creditAllocation } from './allocation-credit';
import { MAX_TOP_UP_CENTS, MICROS_PER_CENT, MIN_TOP_UP_CENTS, topUpTerms } from './top-up-terms';
import { findSubAccount, lockSubAccount } from '../sub-account/sub-account.repository';
import { idOf, PaymentReversalService, REVERSAL_EVENT_TYPES } from './payment-reversal.service';
import { agencyWithPlan } from '../agency/agency.repository';
import { walletAccountOf } from '../wallet/wallet.repository';

/** Event types this module acts on; every other type is recorded as seen and ignored. */
export const HANDLED_EVENT_TYPES = [
  'setup_intent.succeeded', 'payment_intent.succeeded', 'payment_intent.payment_failed', ...REVERSAL_EVENT_TYPES,
] as const;

/**
 * Stripe keeps an idempotency key about 24 hours: past that, asking again under the key of
 * a payment whose PaymentIntent we never learnt could charge a second time.
 */
const IDEMPOTENCY_WINDOW_MS = 23 * 3600_000;

/** Auto-recharge is disabled after this many failed charges in a row. */
export const MAX_RECHARGE_FAILURES = 3;

/** Largest threshold or monthly cap: $1,000,000. */
const MAX_THRESHOLD_MICROS = 1_000_000n * 1_000_000n;

/** Where the webhook hands an event id for processing (pg-boss when this process runs jobs). */
export type EventQueue = (eventId: string) => Promise<void>;

/** Another module's work for a Stripe event type, run in the event's processing transaction (see `handleEvents`). */
export type StripeEventHandler = (em: EntityManager, event: WebhookEvent) => Promise<void>;

/**
 * Payments: a Stripe customer and a saved card per sub-account, wallet top-ups charged
 * off-session, Stripe's webhooks, and the reconciliation of payments whose outcome was lost.
 *
 * The rule every path keeps: a durable payment record is written (and committed) before
 * Stripe is called, every call happens outside a database transaction under the record's
 * own idempotency key, and the wallet is credited only inside `settle`, which locks the
 * record, credits only money Stripe reports as received, and marks the record SUCCEEDED
 * with the transfer's id (unique) in the same transaction. So however many requests, jobs,
 * webhooks and replicas race, one payment credits once.
 */
export class BillingService {
  private readonly repository: BillingRepository;
  /** Refunds and disputes: applied inside this module's event processing. */
  private readonly reversals: PaymentReversalService;
  /** One Stripe call per payment at a time in this process; others await its outcome. */
  private readonly inFlight = new Map<string, Promise<ChargeOutcome>>();
  private queue: EventQueue | undefined;
  /** Event types other modules act on (payouts: account.updated, transfer.reversed), by type. */
  private readonly eventHandlers = new Map<string, StripeEventHandler>();

  constructor(
    private readonly dataSource: DataSource,
    readonly gateway: PaymentGateway,
    private readonly logger?: Logger,
  ) {
    this.repository = new BillingRepository(dataSource);
    this.reversals = new PaymentReversalService(this.repository, logger);
  }

  /** Set by the job scheduler of a process that runs jobs; without it, the periodic sweep processes stored events. */
  attachQueue(queue: EventQueue | undefined): void {
    this.queue = queue;
  }

  /**
   * Lets another module act on Stripe event types through this one webhook: the events are
   * verified, stored once, queued and processed exactly once like billing's own.
   */
  handleEvents(types: readonly string[], handler: StripeEventHandler): void {
    for (const type of types) this.eventHandlers.set(type, handler);
  }

  /** The saved card of a sub-account the viewer holds; null when none (or for another tenant's). */
  async paymentMethod(viewer: Viewer, sub: SubAccountEntity, load: (id: string) => Promise<SavedCard | null>): Promise<SavedCard | null> {
    if (!canReadSubAccount(viewer, sub)) return null;
    return load(sub.id);
  }

  /**
   * A SetupIntent for saving the sub-account's card for off-session charges; the client
   * confirms it with Stripe.js and `setup_intent.succeeded` stores the card.
   */
  async createPaymentMethodSetup(viewer: Viewer, subAccountId: string): Promise<string> {
    requireRole(viewer, READER_ROLES);
    const sub = await this.activeSubAccountOf(viewer, subAccountId);
    if (this.gateway.mode === 'sandbox') {
      throw new BillingError(BillingErrorCode.PAYMENTS_SANDBOX, 'Sandbox mode (no STRIPE_SECRET_KEY): no card is saved, top-ups are booked as paid');
    }
    const customer = await this.ensureCustomer(sub);
    const intent = await this.gateway.createSetupIntent({
      customerId: customer.stripeCustomerId, subAccountId: sub.id, idempotencyKey: `setup/${sub.id}/${randomBytes(12).toString('hex')}`,
    });
    return intent.clientSecret;
  }

  /**
   * Buys Premium minutes for a wallet with the sub-account's saved card. Answers the
   * transfer once Stripe confirms the money; PAYMENT_DECLINED, PAYMENT_ACTION_REQUIRED
   * (with the client secret), PAYMENT_PENDING (reconciled later) otherwise. The same key
   * and terms answer the same outcome; other terms are IDEMPOTENCY_CONFLICT.
   */
  async topUpWallet(viewer: Viewer, input: { subAccountId: string; amount: string; idempotencyKey: string }): Promise<LedgerTransferEntity> {
    requireRole(viewer, READER_ROLES);
    const amountMicros = parseMicros(input.amount);
    if (amountMicros === undefined || amountMicros < MIN_TOP_UP_CENTS * MICROS_PER_CENT || amountMicros > MAX_TOP_UP_CENTS * MICROS_PER_CENT) {
      throw new DomainError(ErrorCode.INVALID_AMOUNT, 'A top-up is from 0.50 to 10000 dollars with at most 6 decimals (charged rounded up to the cent)', ['amount']);
    }
    const idempotencyKey = validIdempotencyKey(input.idempotencyKey);
    const id = decodeId(input.subAccountId, 'SubAccount');
    const hash = requestHash('TOP_UP', [id ?? input.subAccountId, amountMicros.toString()]);
    const payment = await this.dataSource.transaction(async (em) => {
      const sub = await lockSubAccount(em, id, 'share');
      if (!sub || !canReadSubAccount(viewer, sub)) throw notFound('Sub-account', ['subAccountId']);
      const existing = await this.repository.paymentByKey(em, sub.agencyId, idempotencyKey);
      if (existing) return sameTermsOrConflict(existing, hash);
      if (sub.status === 'REMOVED') {
        throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'Restore the sub-account before topping up its wallet', ['subAccountId']);
      }
      const card = this.gateway.mode === 'sandbox' ? null : await this.repository.customer(sub.id, em);
      if (this.gateway.mode === 'stripe' && !card?.card) {
        throw new BillingError(BillingErrorCode.PAYMENT_METHOD_REQUIRED, 'Save a card first (createPaymentMethodSetup)', ['subAccountId']);
      }
      // Prices at purchase time, fixed in the record: a markup changed while Stripe answers does not change this purchase.
      const { agency, plan } = await agencyWithPlan(em, sub.agencyId);
      const terms = topUpTerms(amountMicros, minutePriceMicros(plan, agency, sub, 'PREMIUM'), effectiveMarkupMicros(sub, agency, 'PREMIUM'));
      const record = {
        kind: 'TOP_UP' as const,
        agencyId: sub.agencyId, subAccountId: sub.id, idempotencyKey, requestSha256: hash, amountCents: terms.amountCents,
        premiumPriceMicros: minutePriceMicros(plan, agency, sub, 'PREMIUM'), premiumMarkupMicros: effectiveMarkupMicros(sub, agency, 'PREMIUM'),
        sandbox: this.gateway.mode === 'sandbox', stripeCustomerId: card?.stripeCustomerId ?? null,
        stripePaymentMethodId: card?.card?.paymentMethodId ?? null,
      };
      const inserted = await this.repository.insertPayment(em, record);
      // A concurrent request with this key committed first: answer as it does.
      return inserted ?? sameTermsOrConflict((await this.repository.paymentByKey(em, sub.agencyId, idempotencyKey))!, hash);
    });
    return this.drive(payment);
  }

  /** Takes a committed payment record to its outcome: asks Stripe if it is still open, settles, answers. */
  private async drive(payment: PaymentRecord): Promise<LedgerTransferEntity> {
    let current = payment;
    if (current.status === 'PENDING') {
      const outcome = await this.charge(current);
      current = await this.settle(current.id, outcome);
    }
    return this.answer(current);
  }

  private async answer(payment: PaymentRecord): Promise<LedgerTransferEntity> {
    switch (payment.status) {
      case 'SUCCEEDED':
        return this.repository.creditedTransfer(payment);
      case 'DECLINED':
        throw new BillingError(BillingErrorCode.PAYMENT_DECLINED, `The card was declined: ${payment.lastError ?? 'declined'}`);
      case 'REQUIRES_ACTION':
        throw new BillingError(
          BillingErrorCode.PAYMENT_ACTION_REQUIRED,
          'The card needs the customer to authenticate: confirm the payment with Stripe.js and this client secret; the wallet is credited when it succeeds',
          undefined,
          payment.clientSecret,
        );
      case 'FAILED':
        throw new BillingError(BillingErrorCode.PAYMENT_FAILED, `The payment failed: ${payment.lastError ?? 'unknown error'}`);
      default:
        throw new BillingError(
          BillingErrorCode.PAYMENT_PENDING,
          'Stripe has not confirmed this payment yet; it is reconciled automatically. Ask again with the same idempotency key to see its outcome',
        );
    }
  }

  /** The charge under the payment's own Idempotency-Key, outside any transaction; one call per payment at a time here. */
  private charge(payment: PaymentRecord): Promise<ChargeOutcome> {
    const running = this.inFlight.get(payment.id);
    if (running) return running;
    const call = this.gateway
      .chargeOffSession({
        customerId: payment.stripeCustomerId ?? '',
        paymentMethodId: payment.stripePaymentMethodId ?? '',
        amountCents: payment.amountCents,
        // Ours, not the client's: a client key is unique only within its agency.
        idempotencyKey: `payment/${payment.id}`,
        metadata: { payment_id: payment.id, sub_account_id: payment.subAccountId, agency_id: payment.agencyId },
        description: payment.kind === 'AUTO_ALLOCATION' ? 'Voice minutes monthly auto allocation' : 'Voice minutes top-up',
      })
      .catch((error: Error): ChargeOutcome => ({ status: 'unknown', message: error.message }))
      .finally(() => this.inFlight.delete(payment.id));
    this.inFlight.set(payment.id, call);
    return call;
  }

  /**
   * Takes another module's committed payment record (auto allocation) through the same charge
   * and settlement as a top-up: our Idempotency-Key `payment/<id>`, credited once. Its final
   * record (PENDING when Stripe's answer was lost: the reconciliation job settles it).
   */
  async runPayment(payment: PaymentRecord): Promise<PaymentRecord> {
    if (payment.status !== 'PENDING') return payment;
    return this.settle(payment.id, await this.charge(payment));
  }

  /** Applies what Stripe said about a payment, in one transaction; see `settleIn`. */
  async settle(paymentId: string, outcome: ChargeOutcome): Promise<PaymentRecord> {
    return this.dataSource.transaction((em) => this.settleIn(em, paymentId, outcome));
  }

  /**
   * With the record locked: SUCCEEDED is final (nothing regresses it, whatever arrives
   * later); money Stripe reports as received credits the wallet and books the earned profit
   * in this transaction, exactly once; a decline, an action or a failure only moves an open
   * record. An amount that differs from the record's is never credited (logged, left open).
   */
  private async settleIn(em: EntityManager, paymentId: string, outcome: ChargeOutcome): Promise<PaymentRecord> {
    // A recharge's settings row is locked before its payment, the order in which runAutoRecharge
    // takes them (settings, then the insert that waits on a pending payment): no deadlock.
    const unlocked = await this.repository.payment(paymentId, em);
    if (unlocked?.kind === 'AUTO_RECHARGE') await this.repository.lockAutoRecharge(em, unlocked.subAccountId);
    const payment = await this.repository.lockPayment(em, paymentId);
    if (!payment) throw new Error(`payment ${paymentId} does not exist`);
    if (payment.status === 'SUCCEEDED') return payment;
    const open = payment.status === 'PENDING' || payment.status === 'REQUIRES_ACTION';
    switch (outcome.status) {
      case 'succeeded': {
        if (outcome.amountReceivedCents !== payment.amountCents) {
          this.logger?.error('Stripe reports another amount than the payment record; not credited', {
            paymentId, expectedCents: payment.amountCents.toString(), receivedCents: outcome.amountReceivedCents.toString(),
          });
          await this.repository.updatePayment(em, paymentId, { status: payment.status, stripePaymentIntentId: outcome.paymentIntentId, lastError: 'amount mismatch' });
          break;
        }
        const credited = await this.credit(em, payment, outcome.paymentIntentId);
        await this.repository.updatePayment(em, paymentId, {
          status: 'SUCCEEDED', stripePaymentIntentId: outcome.paymentIntentId, walletTransferId: credited.walletTransferId,
          profitTransferId: credited.profitTransferId, lastError: null,
        });
        break;
      }
      case 'requires_action':
        if (open) {
          await this.repository.updatePayment(em, paymentId, {
            status: 'REQUIRES_ACTION', stripePaymentIntentId: outcome.paymentIntentId, clientSecret: outcome.clientSecret, attempted: true,
          });
        }
        break;
      case 'processing':
        if (open) await this.repository.updatePayment(em, paymentId, { status: payment.status, stripePaymentIntentId: outcome.paymentIntentId, attempted: true });
        break;
      case 'declined':
        if (open) {
          await this.repository.updatePayment(em, paymentId, {
            status: 'DECLINED', stripePaymentIntentId: outcome.paymentIntentId, lastError: `${outcome.code}: ${outcome.message}`, attempted: true,
          });
        }
        break;
      case 'invalid':
        if (open) await this.repository.updatePayment(em, paymentId, { status: 'FAILED', lastError: `${outcome.code}: ${outcome.message}`, attempted: true });
        break;
      case 'unknown':
        if (open) await this.repository.updatePayment(em, paymentId, { status: payment.status, lastError: outcome.message, attempted: true });
        break;
    }
    const after = (await this.repository.payment(paymentId, em))!;
    if (payment.kind === 'AUTO_RECHARGE' && open && after.status !== payment.status) await this.countRecharge(em, after);
    return after;
  }

  /**
   * A recharge that reached an outcome: success resets the failure count, a failure (a
   * decline, an error, or a card that needs its owner, who is not there off-session) adds
   * one, and the third in a row disables auto-recharge with an AUTO_RECHARGE_FAILED event,
   * in the settlement's transaction.
   */
  private async countRecharge(em: EntityManager, payment: PaymentRecord): Promise<void> {
    if (payment.status === 'PENDING') return;
    const failure = payment.status === 'SUCCEEDED' ? null : `${payment.status}: ${payment.lastError ?? 'needs the customer'}`;
    const disabled = await this.repository.recordRechargeOutcome(em, payment.subAccountId, failure, MAX_RECHARGE_FAILURES);
    if (disabled) {
      await writeOutboxEvent(em, { type: EventType.AUTO_RECHARGE_FAILED, agencyId: payment.agencyId, subAccountId: payment.subAccountId, refId: payment.id });
    }
  }

  /**
   * The purchase's two rows: what was charged from PAYMENTS_IN (the outside world) to the
   * wallet, and the earned profit (minutes bought × the markup at purchase time) from
   * PLATFORM_REVENUE to the agency. System keys per payment: a second credit of one payment
   * could not post even if the record's lock were bypassed.
   */
  private async credit(em: EntityManager, payment: PaymentRecord, paymentIntentId: string) {
    const wallet = await walletAccountOf(em, payment.subAccountId);
    if (payment.allocation) return creditAllocation(em, payment, wallet, paymentIntentId);
    const terms = topUpTerms(payment.amountCents * MICROS_PER_CENT, payment.premiumPriceMicros, payment.premiumMarkupMicros);
    const memo = payment.sandbox ? SANDBOX_MEMO : `Stripe payment ${paymentIntentId}`;
    const key = `system/payment/${payment.id}`;
    const posted = await postTransfer(em, {
      agencyId: payment.agencyId,
      kind: payment.kind,
      debit: await systemAccount(em, 'PAYMENTS_IN'),
      credit: wallet,
      amountMicros: terms.chargedMicros,
      tier: 'PREMIUM',
      minutesReceivedUnits: terms.minutesUnits,
      idempotencyKey: key,
      requestSha256: requestHash(payment.kind, [payment.id]),
      memo,
    });
    const profit = await accrueMarkupProfit(em, {
      agencyId: payment.agencyId,
      amountMicros: terms.profitMicros,
      memo: payment.sandbox ? SANDBOX_MEMO : `Markup on Stripe payment ${paymentIntentId}`,
      idempotencyKey: `${key}/profit`,
      requestSha256: requestHash('MARKUP_PROFIT', [payment.id]),
    });
    return { walletTransferId: posted.transfer.id, profitTransferId: profit?.transfer.id ?? null };
  }

  /**
   * The reconciliation job: every payment still open after `minAgeSeconds` is asked about
   * again, outside any transaction: its PaymentIntent when we know it, else the same
   * request under the same Idempotency-Key (Stripe answers what it did, or does it now:
   * the client asked for this charge). Then `settle`, which credits at most once however
   * many runs overlap. Returns how many payments it looked at.
   */
  async reconcilePayments(minAgeSeconds: number): Promise<number> {
    const ids = await this.repository.unsettledPaymentIds(minAgeSeconds);
    for (const id of ids) {
      const payment = await this.repository.payment(id);
      if (!payment || payment.status === 'SUCCEEDED') continue;
      let outcome: ChargeOutcome;
      if (payment.stripePaymentIntentId) {
        outcome = await this.gateway.retrieveCharge(payment.stripePaymentIntentId);
      } else if (payment.status === 'PENDING' && Date.now() - payment.createdAt.getTime() < IDEMPOTENCY_WINDOW_MS) {
        outcome = await this.charge(payment);
      } else {
        this.logger?.error('payment left open past Stripe\'s idempotency window, without a PaymentIntent: check the Stripe dashboard', { paymentId: id });
        outcome = { status: 'invalid', code: 'unresolved', message: 'no answer from Stripe within its idempotency window' };
      }
      await this.settle(id, outcome);
    }
    return ids.length;
  }

  /**
   * POST /webhooks/stripe: verified on the raw body (WebhookSignatureError otherwise,
   * nothing stored), recorded once by event id, queued. Unknown types are recorded as
   * already processed so their duplicates are recognised too. Fast: one INSERT.
   */
  async receiveWebhook(rawBody: Buffer, signature: string | undefined): Promise<{ duplicate: boolean }> {
    const event = this.gateway.verifyWebhook(rawBody, signature);
    const handled = (HANDLED_EVENT_TYPES as readonly string[]).includes(event.type) || this.eventHandlers.has(event.type);
    const fresh = await this.repository.recordEvent({ id: event.id, type: event.type, created: event.created, payload: handled ? event.object : null });
    if (fresh && handled && this.queue) {
      // The row is the durable record: if this send is lost, the periodic sweep picks the event up.
      await this.queue(event.id).catch((error: Error) => this.logger?.warn('could not queue a Stripe event', { eventId: event.id, message: error.message }));
    }
    return { duplicate: !fresh };
  }

  /** The job body for one stored event: processed at most once (the row is locked and marked in the effect's transaction). */
  async processEvent(eventId: string): Promise<void> {
    const event = await this.repository.unprocessedEvent(eventId);
    if (!event) return;
    // External reads first, outside the transaction.
    const card = event.type === 'setup_intent.succeeded' && typeof event.object.payment_method === 'string'
      ? await this.gateway.retrieveCard(event.object.payment_method)
      : undefined;
    const owner = await this.intentOwnerOf(event);
    await this.dataSource.transaction(async (em) => {
      if (!(await this.repository.claimEvent(em, eventId))) return;
      await this.apply(em, event, card, owner);
      await this.repository.markEventProcessed(em, eventId);
    });
  }

  /**
   * For a refund or dispute of a PaymentIntent no payment of ours names yet (its create's
   * answer was lost): whom Stripe says it belongs to. Their events carry no metadata of
   * ours, and an event's object is not trusted to say which payment it is about.
   */
  private async intentOwnerOf(event: WebhookEvent): Promise<PaymentIntentOwner | null> {
    if (!(REVERSAL_EVENT_TYPES as readonly string[]).includes(event.type)) return null;
    const intentId = idOf(event.object.payment_intent);
    if (!intentId || (await this.repository.paymentIdByIntent(this.dataSource, intentId))) return null;
    return this.gateway.retrievePaymentIntentOwner(intentId);
  }

  /** Events stored but not processed after `minAgeSeconds` (a lost queue send, a crash). */
  async processStoredEvents(minAgeSeconds: number): Promise<number> {
    const ids = await this.repository.unprocessedEventIds(minAgeSeconds);
    for (const id of ids) {
      // One event that cannot be applied yet (a refund of a payment still being reconciled) does not hold up the others.
      await this.processEvent(id).catch((error: Error) => this.logger?.warn('a stored Stripe event was not processed; tried again later', { eventId: id, message: error.message }));
    }
    return ids.length;
  }

  private async apply(em: EntityManager, event: WebhookEvent, card: SavedCard | undefined, owner: PaymentIntentOwner | null): Promise<void> {
    const object = event.object;
    switch (event.type) {
      case 'setup_intent.succeeded': {
        const subAccountId = object.metadata?.sub_account_id;
        if (!card || typeof object.customer !== 'string' || typeof subAccountId !== 'string') return;
        // Matched on both the customer and the sub-account it was created for: a card lands only on its own sub-account.
        await this.repository.saveCard(em, { stripeCustomerId: object.customer, subAccountId, card, eventCreated: event.created });
        return;
      }
      case 'payment_intent.succeeded':
      case 'payment_intent.payment_failed': {
        const paymentId = await this.paymentOf(em, object);
        if (!paymentId) return;
        const outcome: ChargeOutcome = event.type === 'payment_intent.succeeded'
          ? { status: 'succeeded', paymentIntentId: object.id, amountReceivedCents: BigInt(object.amount_received ?? 0) }
          : {
            status: 'declined', paymentIntentId: object.id, code: object.last_payment_error?.decline_code ?? object.last_payment_error?.code ?? 'payment_failed',
            message: object.last_payment_error?.message ?? 'The payment failed',
          };
        await this.settleIn(em, paymentId, outcome);
        return;
      }
      case 'charge.refunded':
      case 'charge.dispute.created':
      case 'charge.dispute.updated':
      case 'charge.dispute.funds_withdrawn':
      case 'charge.dispute.funds_reinstated':
      case 'charge.dispute.closed':
        await this.reversals.apply(em, event, {
          paymentOf: async (intentId) => (await this.repository.paymentIdByIntent(em, intentId))
            ?? (owner?.id === intentId ? this.paymentOf(em, owner) : undefined),
          settle: (paymentId, outcome) => this.settleIn(em, paymentId, outcome),
        });
        return;
      default:
        await this.eventHandlers.get(event.type)?.(em, event);
    }
  }

  /** The payment a PaymentIntent belongs to: by its id, else by the metadata we sent (the create's answer may have been lost). */
  private async paymentOf(em: EntityManager, intent: Record<string, any>): Promise<string | undefined> {
    const byIntent = typeof intent.id === 'string' ? await this.repository.paymentIdByIntent(em, intent.id) : undefined;
    if (byIntent) return byIntent;
    const id = intent.metadata?.payment_id;
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const payment = await this.repository.payment(id, em);
    return payment && payment.stripeCustomerId === intent.customer ? payment.id : undefined;
  }

  /** The sub-account's auto-recharge settings (null: never set). The caller holds the sub-account. */
  autoRecharge(viewer: Viewer, sub: SubAccountEntity, load: (id: string) => Promise<AutoRechargeSettings | null>): Promise<AutoRechargeSettings | null> {
    if (!canReadSubAccount(viewer, sub)) return Promise.resolve(null);
    return load(sub.id);
  }

  /**
   * Saves a sub-account's auto-recharge: when its balance is below `threshold`, its saved
   * card is charged `rechargeAmount` (Premium minutes, earned profit, like a top-up), at
   * once when it is already below on saving, at most `monthlyCap` per calendar month (UTC).
   */
  async setAutoRecharge(
    viewer: Viewer,
    input: { subAccountId: string; enabled: boolean; threshold: string; rechargeAmount: string; monthlyCap?: string | null },
  ): Promise<SubAccountEntity> {
    requireRole(viewer, READER_ROLES);
    const thresholdMicros = validMicrosUpTo(input.threshold, MAX_THRESHOLD_MICROS,
      { code: ErrorCode.INVALID_AMOUNT, message: 'A threshold is from 0 to 1000000 dollars with at most 6 decimals' }, ['threshold']);
    const rechargeAmountMicros = parseMicros(input.rechargeAmount);
    if (rechargeAmountMicros === undefined || rechargeAmountMicros < MIN_TOP_UP_CENTS * MICROS_PER_CENT || rechargeAmountMicros > MAX_TOP_UP_CENTS * MICROS_PER_CENT
      || rechargeAmountMicros % MICROS_PER_CENT !== 0n) {
      throw new DomainError(ErrorCode.INVALID_AMOUNT, 'A recharge amount is from 0.50 to 10000 dollars in whole cents', ['rechargeAmount']);
    }
    let monthlyCapMicros: bigint | null = null;
    if (input.monthlyCap !== undefined && input.monthlyCap !== null) {
      const cap = parseMicros(input.monthlyCap);
      if (cap === undefined || cap < rechargeAmountMicros || cap > MAX_THRESHOLD_MICROS) {
        throw new DomainError(ErrorCode.INVALID_AMOUNT, 'A monthly cap is at least the recharge amount and at most 1000000 dollars', ['monthlyCap']);
      }
      monthlyCapMicros = cap;
    }
    const sub = await this.activeSubAccountOf(viewer, input.subAccountId);
    if (input.enabled && this.gateway.mode === 'stripe' && !(await this.repository.customer(sub.id))?.card) {
      throw new BillingError(BillingErrorCode.PAYMENT_METHOD_REQUIRED, 'Save a card first (createPaymentMethodSetup)', ['subAccountId']);
    }
    await this.dataSource.transaction(async (em) => {
      await this.repository.saveAutoRecharge(em, {
        subAccountId: sub.id, agencyId: sub.agencyId, enabled: input.enabled, thresholdMicros, rechargeAmountMicros, monthlyCapMicros,
      });
    });
    if (input.enabled) await this.runAutoRecharge(sub.id);
    return sub;
  }

  /**
   * Recharges one wallet if it needs it. The decision is taken with the settings row
   * locked; "one in flight" is the unique index over PENDING recharges, so concurrent
   * callers (usage on several replicas, the sweep, a save) insert one payment at most.
   * The charge then goes like a top-up: outside the transaction, our idempotency key,
   * settled once. Returns the payment's final status, or undefined when nothing was due.
   */
  async runAutoRecharge(subAccountId: string): Promise<PaymentRecord['status'] | undefined> {
    const payment = await this.dataSource.transaction(async (em) => {
      const settings = await this.repository.lockAutoRecharge(em, subAccountId);
      if (!settings?.enabled) return undefined;
      const sub = await findSubAccount(em, subAccountId);
      if (!sub || sub.status !== 'ACTIVE') return undefined;
      if ((await this.repository.walletBalance(em, subAccountId)) >= settings.thresholdMicros) return undefined;
      const amountCents = settings.rechargeAmountMicros / MICROS_PER_CENT;
      if (settings.monthlyCapMicros !== null) {
        const used = await this.repository.rechargedCentsInMonth(em, subAccountId, new Date());
        if ((used + amountCents) * MICROS_PER_CENT > settings.monthlyCapMicros) return undefined;
      }
      const card = this.gateway.mode === 'sandbox' ? null : await this.repository.customer(subAccountId, em);
      if (this.gateway.mode === 'stripe' && !card?.card) return undefined;
      const { agency, plan } = await agencyWithPlan(em, sub.agencyId);
      const paymentKey = `system/auto-recharge/${randomBytes(12).toString('hex')}`;
      return this.repository.insertPayment(em, {
        kind: 'AUTO_RECHARGE', agencyId: sub.agencyId, subAccountId, idempotencyKey: paymentKey,
        requestSha256: requestHash('AUTO_RECHARGE', [subAccountId, paymentKey]), amountCents,
        premiumPriceMicros: minutePriceMicros(plan, agency, sub, 'PREMIUM'), premiumMarkupMicros: effectiveMarkupMicros(sub, agency, 'PREMIUM'),
        sandbox: this.gateway.mode === 'sandbox', stripeCustomerId: card?.stripeCustomerId ?? null,
        stripePaymentMethodId: card?.card?.paymentMethodId ?? null,
      });
    });
    if (!payment) return undefined;
    const settled = await this.settle(payment.id, await this.charge(payment));
    return settled.status;
  }

  /** The auto-recharge job: every enabled wallet below its threshold with nothing in flight. Returns how many were due. */
  async sweepAutoRecharges(): Promise<number> {
    const due = await this.repository.walletsToRecharge();
    for (const subAccountId of due) {
      await this.runAutoRecharge(subAccountId).catch((error: Error) =>
        this.logger?.error('auto-recharge failed', { subAccountId, message: error.message }));
    }
    return due.length;
  }

  private async activeSubAccountOf(viewer: Viewer, subAccountId: string): Promise<SubAccountEntity> {
    const id = decodeId(subAccountId, 'SubAccount');
    const sub = id ? await findSubAccount(this.dataSource.manager, id) : null;
    if (!sub || !canReadSubAccount(viewer, sub)) throw notFound('Sub-account', ['subAccountId']);
    if (sub.status === 'REMOVED') throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'The sub-account was removed', ['subAccountId']);
    return sub;
  }

  /** The sub-account's Stripe customer, created once (Stripe's idempotency key and our primary key both say so). */
  private async ensureCustomer(sub: SubAccountEntity) {
    const existing = await this.repository.customer(sub.id);
    if (existing) return existing;
    const stripeCustomerId = await this.gateway.createCustomer({ subAccountId: sub.id, agencyId: sub.agencyId, email: sub.loginEmail, name: sub.name });
    return this.repository.insertCustomer({ subAccountId: sub.id, agencyId: sub.agencyId, stripeCustomerId });
  }
}

function sameTermsOrConflict(existing: PaymentRecord, hash: Buffer): PaymentRecord {
  if (!existing.requestSha256.equals(hash)) {
    throw new DomainError(LedgerErrorCode.IDEMPOTENCY_CONFLICT, 'This idempotency key was already used for a different request', ['idempotencyKey']);
  }
  return existing;
}
