import type { DataSource } from 'typeorm';
import type { Keyset } from '../../shared/pagination';
import type { Queryable } from '../../db/queryable';

export type PayoutStatus = 'PENDING' | 'PAID' | 'FAILED' | 'REVERSED';

export interface ConnectAccountRecord {
  agencyId: string;
  /** Null between the row's insert and Stripe's answer (or after a crash there: the next request asks again, same key). */
  stripeAccountId: string | null;
  status: 'PENDING' | 'CONNECTED';
  statusEventCreated: number | null;
}

export interface PayoutRecord extends Keyset {
  id: string;
  agencyId: string;
  trigger: 'REQUEST' | 'CYCLE';
  cycleStart: Date | null;
  amountCents: bigint;
  status: PayoutStatus;
  sandbox: boolean;
  stripeAccountId: string;
  stripeTransferId: string | null;
  reversedCents: bigint;
  lastError: string | null;
  createdAt: Date;
}

function toConnect(row: Record<string, any>): ConnectAccountRecord {
  return {
    agencyId: row.agency_id,
    stripeAccountId: row.stripe_account_id,
    status: row.status,
    statusEventCreated: row.status_event_created === null ? null : Number(row.status_event_created),
  };
}

function toPayout(row: Record<string, any>): PayoutRecord {
  return {
    id: row.id,
    agencyId: row.agency_id,
    trigger: row.trigger,
    cycleStart: row.cycle_start,
    amountCents: BigInt(row.amount_cents),
    status: row.status,
    sandbox: row.sandbox,
    stripeAccountId: row.stripe_account_id,
    stripeTransferId: row.stripe_transfer_id,
    reversedCents: BigInt(row.reversed_cents),
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

/** TypeORM answers an UPDATE … RETURNING with [rows, affected]. */
const updatedRows = (result: any[]): any[] => (Array.isArray(result[0]) ? result[0] : result);

/** All of the payout tables' SQL. */
export class PayoutRepository {
  constructor(private readonly dataSource: DataSource) {}

  // ---- Connect accounts ------------------------------------------------------------------

  async connectAccount(agencyId: string, em: Queryable = this.dataSource): Promise<ConnectAccountRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM payout_connect_accounts WHERE agency_id = $1`, [agencyId]);
    return row ? toConnect(row) : undefined;
  }

  async connectAccountsOf(agencyIds: readonly string[]): Promise<ConnectAccountRecord[]> {
    const rows = await this.dataSource.query(`SELECT * FROM payout_connect_accounts WHERE agency_id = ANY($1)`, [[...agencyIds]]);
    return rows.map(toConnect);
  }

  /** The durable record of the agency's account, written before Stripe is asked; a second insert does nothing. */
  async insertConnectAccount(agencyId: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO payout_connect_accounts (agency_id, status) VALUES ($1, 'PENDING') ON CONFLICT (agency_id) DO NOTHING`,
      [agencyId],
    );
  }

  /** Stores Stripe's account id unless one was stored first (the same one: both asked under one idempotency key). */
  async setConnectAccountId(agencyId: string, stripeAccountId: string, connected: boolean): Promise<ConnectAccountRecord> {
    await this.dataSource.query(
      `UPDATE payout_connect_accounts
          SET stripe_account_id = $2, status = CASE WHEN $3 THEN 'CONNECTED' ELSE status END, updated_at = now()
        WHERE agency_id = $1 AND stripe_account_id IS NULL`,
      [agencyId, stripeAccountId, connected],
    );
    return (await this.connectAccount(agencyId))!;
  }

  /** The account row, locked until the transaction ends: one payout decision per agency at a time. */
  async lockConnectAccount(em: Queryable, agencyId: string): Promise<ConnectAccountRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM payout_connect_accounts WHERE agency_id = $1 FOR UPDATE`, [agencyId]);
    return row ? toConnect(row) : undefined;
  }

  /**
   * Sets the status an `account.updated` event of `eventCreated` shows, unless a newer event
   * already set one (Stripe delivers in any order). The account is found by its id, or, when
   * the event beat our storing of Stripe's answer, by the agency named in the metadata we sent
   * at creation (its row still without an id). False when nothing was written.
   */
  async applyAccountStatus(
    em: Queryable, input: { stripeAccountId: string; agencyId: string | null; status: 'PENDING' | 'CONNECTED'; eventCreated: number },
  ): Promise<boolean> {
    const rows = await em.query(
      `UPDATE payout_connect_accounts
          SET status = $3, status_event_created = $4, stripe_account_id = $1, updated_at = now()
        WHERE (stripe_account_id = $1 OR (stripe_account_id IS NULL AND agency_id = $2::uuid))
          AND (status_event_created IS NULL OR status_event_created <= $4)
        RETURNING agency_id`,
      [input.stripeAccountId, input.agencyId, input.status, input.eventCreated],
    );
    return updatedRows(rows).length > 0;
  }

  // ---- payouts -----------------------------------------------------------------------------

  async insertPayout(
    em: Queryable,
    input: Pick<PayoutRecord, 'id' | 'agencyId' | 'trigger' | 'cycleStart' | 'amountCents' | 'sandbox' | 'stripeAccountId'> & { inFlightTransferId: string },
  ): Promise<PayoutRecord> {
    const [row] = await em.query(
      `INSERT INTO payouts (id, agency_id, trigger, cycle_start, amount_cents, status, sandbox, stripe_account_id, in_flight_transfer_id)
       VALUES ($1, $2, $3, $4, $5, 'PENDING', $6, $7, $8) RETURNING *`,
      [input.id, input.agencyId, input.trigger, input.cycleStart, input.amountCents.toString(), input.sandbox, input.stripeAccountId,
        input.inFlightTransferId],
    );
    return toPayout(row);
  }

  async payout(id: string, em: Queryable = this.dataSource): Promise<PayoutRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM payouts WHERE id = $1`, [id]);
    return row ? toPayout(row) : undefined;
  }

  /** The payout row, locked until the transaction ends: one settlement at a time. */
  async lockPayout(em: Queryable, id: string): Promise<PayoutRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM payouts WHERE id = $1 FOR UPDATE`, [id]);
    return row ? toPayout(row) : undefined;
  }

  async pendingPayout(em: Queryable, agencyId: string): Promise<PayoutRecord | undefined> {
    const [row] = await em.query(`SELECT * FROM payouts WHERE agency_id = $1 AND status = 'PENDING'`, [agencyId]);
    return row ? toPayout(row) : undefined;
  }

  /** Whether any payout of the agency was created at or after `since` (a cycle's start). */
  async payoutSince(em: Queryable, agencyId: string, since: Date): Promise<boolean> {
    const rows = await em.query(`SELECT 1 FROM payouts WHERE agency_id = $1 AND created_at >= $2 LIMIT 1`, [agencyId, since]);
    return rows.length > 0;
  }

  async payoutIdByTransfer(em: Queryable, stripeTransferId: string): Promise<string | undefined> {
    const [row] = await em.query(`SELECT id FROM payouts WHERE stripe_transfer_id = $1`, [stripeTransferId]);
    return row?.id;
  }

  async updatePayout(
    em: Queryable,
    id: string,
    change: { status: PayoutStatus; stripeTransferId?: string | null; settledTransferId?: string | null; reversedCents?: bigint;
      lastError?: string | null; attempted?: boolean },
  ): Promise<void> {
    await em.query(
      `UPDATE payouts
          SET status = $2,
              stripe_transfer_id = coalesce($3, stripe_transfer_id),
              settled_transfer_id = coalesce($4, settled_transfer_id),
              reversed_cents = coalesce($5, reversed_cents),
              last_error = $6,
              attempts = attempts + $7,
              updated_at = now()
        WHERE id = $1`,
      [id, change.status, change.stripeTransferId ?? null, change.settledTransferId ?? null, change.reversedCents?.toString() ?? null,
        change.lastError?.slice(0, 500) ?? null, change.attempted ? 1 : 0],
    );
  }

  /** PENDING payouts untouched for `minAgeSeconds`: what a crash, a 5xx or a lost answer left behind. */
  async unsettledPayoutIds(minAgeSeconds: number, limit = 100): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT id FROM payouts WHERE status = 'PENDING' AND updated_at <= now() - make_interval(secs => $1) ORDER BY updated_at LIMIT $2`,
      [minAgeSeconds, limit],
    );
    return rows.map((r: { id: string }) => r.id);
  }

  /** A page of the agency's payouts, newest first, after the keyset `after`; `limit + 1` rows (the extra says "more"). */
  async page(agencyId: string, after: Keyset | undefined, limit: number): Promise<{ rows: PayoutRecord[]; totalCount: number }> {
    const [rows, [count]] = await Promise.all([
      this.dataSource.query(
        `SELECT * FROM payouts
          WHERE agency_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
          ORDER BY created_at DESC, id DESC LIMIT $4`,
        [agencyId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
      ),
      this.dataSource.query(`SELECT count(*)::int AS n FROM payouts WHERE agency_id = $1`, [agencyId]),
    ]);
    return { rows: rows.map(toPayout), totalCount: count.n };
  }

  // ---- profit, as the ledger has it ---------------------------------------------------------

  /** The agency's profit account and its balance (pending payout), locked until the transaction ends. */
  async lockProfitAccount(em: Queryable, agencyId: string): Promise<{ id: string; balanceMicros: bigint }> {
    const [row] = await em.query(
      `SELECT id, balance_micros FROM ledger_accounts WHERE type = 'AGENCY_PROFIT' AND agency_id = $1 FOR NO KEY UPDATE`,
      [agencyId],
    );
    return { id: row.id, balanceMicros: BigInt(row.balance_micros) };
  }

  /** The profit account's balance as it stood just before `at`, from its transfer rows. */
  async profitBalanceBefore(em: Queryable, profitAccountId: string, at: Date): Promise<bigint> {
    const [row] = await em.query(
      `SELECT coalesce(sum(CASE WHEN credit_account_id = $1 THEN amount_micros ELSE -amount_micros END), 0)::text AS balance
         FROM ledger_transfers WHERE (credit_account_id = $1 OR debit_account_id = $1) AND created_at < $2`,
      [profitAccountId, at],
    );
    return BigInt(row.balance);
  }

  /** Agencies the scheduled job may pay: connected, at or over the threshold, nothing in flight. */
  async payableAgencies(thresholdMicros: bigint, limit = 500): Promise<Array<{ agencyId: string; planStartedAt: Date }>> {
    const rows = await this.dataSource.query(
      `SELECT c.agency_id, g.plan_started_at FROM payout_connect_accounts c
         JOIN agencies g ON g.id = c.agency_id
         JOIN ledger_accounts a ON a.type = 'AGENCY_PROFIT' AND a.agency_id = c.agency_id
        WHERE c.status = 'CONNECTED' AND a.balance_micros >= $1
          AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.agency_id = c.agency_id AND p.status = 'PENDING')
        LIMIT $2`,
      [thresholdMicros.toString(), limit],
    );
    return rows.map((r: { agency_id: string; plan_started_at: Date }) => ({ agencyId: r.agency_id, planStartedAt: r.plan_started_at }));
  }
}
