import type { DataSource } from 'typeorm';
import type { PaymentRecord } from '../billing/billing.repository';
import type { Queryable } from '../../db/queryable';

export interface AutoAllocationSettings {
  subAccountId: string;
  agencyId: string;
  enabled: boolean;
  basicMinutesUnits: bigint;
  premiumMinutesUnits: bigint;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastError: string | null;
}

function toSettings(row: Record<string, any>): AutoAllocationSettings {
  return {
    subAccountId: row.sub_account_id,
    agencyId: row.agency_id,
    enabled: row.enabled,
    basicMinutesUnits: BigInt(row.basic_minutes_units),
    premiumMinutesUnits: BigInt(row.premium_minutes_units),
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    lastError: row.last_error,
  };
}

/** The auto allocation tables' SQL (settings here; its payments are billing_payments rows of kind AUTO_ALLOCATION). */
export class AutoAllocationRepository {
  constructor(private readonly dataSource: DataSource) {}

  async settingsOf(subAccountIds: readonly string[]): Promise<AutoAllocationSettings[]> {
    const rows = await this.dataSource.query(`SELECT * FROM billing_auto_allocations WHERE sub_account_id = ANY($1)`, [[...subAccountIds]]);
    return rows.map(toSettings);
  }

  /** Saves the settings; `nextRunAt` is null when disabled. Saving forgets the last error. */
  async save(em: Queryable, input: { subAccountId: string; agencyId: string; enabled: boolean; basicMinutesUnits: bigint; premiumMinutesUnits: bigint; nextRunAt: Date | null }): Promise<void> {
    await em.query(
      `INSERT INTO billing_auto_allocations (sub_account_id, agency_id, enabled, basic_minutes_units, premium_minutes_units, next_run_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (sub_account_id) DO UPDATE
          SET enabled = EXCLUDED.enabled, basic_minutes_units = EXCLUDED.basic_minutes_units,
              premium_minutes_units = EXCLUDED.premium_minutes_units, next_run_at = EXCLUDED.next_run_at,
              last_error = NULL, updated_at = now()`,
      [input.subAccountId, input.agencyId, input.enabled, input.basicMinutesUnits.toString(), input.premiumMinutesUnits.toString(), input.nextRunAt],
    );
  }

  /** The settings, locked until the transaction ends: one decision per sub-account at a time. */
  async lock(em: Queryable, subAccountId: string): Promise<AutoAllocationSettings | undefined> {
    const [row] = await em.query(`SELECT * FROM billing_auto_allocations WHERE sub_account_id = $1 FOR UPDATE`, [subAccountId]);
    return row ? toSettings(row) : undefined;
  }

  /** Enabled allocations of active sub-accounts whose next run is due. */
  async due(at: Date, limit = 500): Promise<string[]> {
    const rows = await this.dataSource.query(
      `SELECT a.sub_account_id FROM billing_auto_allocations a
         JOIN sub_accounts s ON s.id = a.sub_account_id AND s.status = 'ACTIVE'
        WHERE a.enabled AND a.next_run_at <= $1
        ORDER BY a.next_run_at LIMIT $2`,
      [at, limit],
    );
    return rows.map((r: { sub_account_id: string }) => r.sub_account_id);
  }

  /** The cycle's allocation payment that took or may take money (at most one: a unique index). */
  async livePayment(em: Queryable, subAccountId: string, cycleStart: Date): Promise<Pick<PaymentRecord, 'id' | 'status'> | undefined> {
    const [row] = await em.query(
      `SELECT id, status FROM billing_payments
        WHERE kind = 'AUTO_ALLOCATION' AND sub_account_id = $1 AND allocation_cycle_start = $2
          AND status IN ('PENDING', 'REQUIRES_ACTION', 'SUCCEEDED')`,
      [subAccountId, cycleStart],
    );
    return row;
  }

  /** Declined or failed attempts of the cycle's allocation. */
  async failedAttempts(em: Queryable, subAccountId: string, cycleStart: Date): Promise<number> {
    const [row] = await em.query(
      `SELECT count(*)::int AS n FROM billing_payments
        WHERE kind = 'AUTO_ALLOCATION' AND sub_account_id = $1 AND allocation_cycle_start = $2 AND status IN ('DECLINED', 'FAILED')`,
      [subAccountId, cycleStart],
    );
    return row.n;
  }

  /**
   * A run's outcome: `nextRunAt` (the next cycle once this one is bought or given up; unchanged
   * when undefined), the time of the run, and the error (null on success). A disabled row keeps
   * no next run.
   */
  async recordRun(em: Queryable, subAccountId: string, outcome: { nextRunAt?: Date; ranAt: Date; lastError: string | null }): Promise<void> {
    await em.query(
      `UPDATE billing_auto_allocations
          SET next_run_at = CASE WHEN enabled THEN coalesce($2, next_run_at) END, last_run_at = $3, last_error = $4, updated_at = now()
        WHERE sub_account_id = $1`,
      [subAccountId, outcome.nextRunAt ?? null, outcome.ranAt, outcome.lastError?.slice(0, 500) ?? null],
    );
  }
}
