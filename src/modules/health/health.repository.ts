import type { DataSource, EntityManager } from 'typeorm';
import { SubAccountEntity } from '../sub-account/sub-account.entity';
import { MAX_RECHARGE_FAILURES } from '../billing/billing.service';

/** What health reads of a sub-account besides its usage figures. */
export interface HealthRow {
  balanceMicros: bigint;
  lastCallAt: Date | null;
  autoRechargeFailing: boolean;
}

/**
 * The SQL of the health module. Each function is one statement whatever the number of
 * sub-accounts: a dashboard page of 50 with their health costs the same as one.
 */
export class HealthRepository {
  constructor(private readonly db: DataSource | EntityManager) {}

  /**
   * Balance now, start of the latest call, and whether auto-recharge turned itself off after
   * MAX_RECHARGE_FAILURES failed charges in a row (a manual switch-off is not a failure), per sub-account. The latest call is the first
   * entry of `calls_sub_account_started_idx` (sub_account_id, started_at DESC): one index
   * probe each, never a scan of the calls.
   */
  async healthRows(subAccountIds: readonly string[]): Promise<Map<string, HealthRow>> {
    const rows: Array<{ sub_account_id: string; balance_micros: string; last_call_at: Date | null; auto_recharge_failing: boolean }> =
      await this.db.query(
        `SELECT w.sub_account_id, a.balance_micros, lc.started_at AS last_call_at,
                coalesce(NOT r.enabled AND r.consecutive_failures >= $2, false) AS auto_recharge_failing
           FROM wallets w
           JOIN ledger_accounts a ON a.id = w.id
           LEFT JOIN billing_auto_recharges r ON r.sub_account_id = w.sub_account_id
           LEFT JOIN LATERAL (
             SELECT c.started_at FROM calls c WHERE c.sub_account_id = w.sub_account_id
              ORDER BY c.started_at DESC, c.id DESC LIMIT 1) lc ON true
          WHERE w.sub_account_id = ANY($1::uuid[])`,
        [[...subAccountIds], MAX_RECHARGE_FAILURES],
      );
    return new Map(
      rows.map((r) => [
        r.sub_account_id,
        { balanceMicros: BigInt(r.balance_micros), lastCallAt: r.last_call_at, autoRechargeFailing: r.auto_recharge_failing },
      ]),
    );
  }

  /** The active sub-accounts (the primary included) of the agencies, oldest first. */
  activeSubAccounts(agencyIds: readonly string[]): Promise<SubAccountEntity[]> {
    return this.db
      .getRepository(SubAccountEntity)
      .createQueryBuilder('s')
      .where('s.agency_id = ANY(CAST(:agencyIds AS uuid[])) AND s.status = :status', { agencyIds: [...agencyIds], status: 'ACTIVE' })
      .orderBy('s.created_at', 'ASC')
      .addOrderBy('s.id', 'ASC')
      .getMany();
  }

  // ----- the health monitor (health-monitor.ts); all of it inside the caller's transaction -----

  /**
   * Locks the watcher's cursor for the transaction and returns its frontier; undefined when
   * `skipLocked` and another replica holds it. Every assessment runs under this lock, so
   * assessments (watcher and sweep, any replica) never interleave.
   */
  async lockCursor(skipLocked: boolean): Promise<string | undefined> {
    const rows: Array<{ frontier: string }> = await this.db.query(
      `SELECT frontier::text AS frontier FROM health_watch_cursor WHERE id = 1 FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`,
    );
    return rows[0]?.frontier;
  }

  /** Every row below this xid has been written by a transaction that has ended (docs/events.md). */
  async snapshotXmin(): Promise<string> {
    const [{ xmin }] = await this.db.query(`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin`);
    return xmin;
  }

  /** Sub-accounts named by outbox rows of these types with frontier <= xid < upTo (a range of the primary key). */
  async touchedSubAccounts(frontier: string, upTo: string, types: readonly string[]): Promise<string[]> {
    const rows: Array<{ sub_account_id: string }> = await this.db.query(
      `SELECT DISTINCT sub_account_id FROM outbox_events
        WHERE xid >= $1::xid8 AND xid < $2::xid8 AND type = ANY($3::text[]) AND sub_account_id IS NOT NULL`,
      [frontier, upTo, [...types]],
    );
    return rows.map((r) => r.sub_account_id);
  }

  async moveCursor(upTo: string): Promise<void> {
    await this.db.query(`UPDATE health_watch_cursor SET frontier = $1::xid8 WHERE id = 1`, [upTo]);
  }

  /** The active ones among these sub-accounts, with their agency and last reported level (null: never assessed). */
  async activeWithLevels(ids: readonly string[]): Promise<Array<{ id: string; agencyId: string; level: string | null }>> {
    const rows: Array<{ id: string; agency_id: string; level: string | null }> = await this.db.query(
      `SELECT s.id, s.agency_id, l.level FROM sub_accounts s LEFT JOIN sub_account_health_levels l ON l.sub_account_id = s.id
        WHERE s.id = ANY($1::uuid[]) AND s.status = 'ACTIVE' ORDER BY s.id`,
      [[...ids]],
    );
    return rows.map((r) => ({ id: r.id, agencyId: r.agency_id, level: r.level }));
  }

  /** Active sub-accounts after `afterId`, in id order (the sweep's pages). */
  async activeIdsAfter(afterId: string | null, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.query(
      `SELECT id FROM sub_accounts WHERE status = 'ACTIVE' AND ($1::uuid IS NULL OR id > $1::uuid) ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Stores the levels, and one HEALTH_CHANGED outbox row per change (not for a first assessment). */
  async saveLevels(assessed: ReadonlyArray<{ id: string; agencyId: string; level: string; previous: string | null }>): Promise<void> {
    if (assessed.length === 0) return;
    await this.db.query(
      `INSERT INTO sub_account_health_levels AS l (sub_account_id, level)
       SELECT * FROM unnest($1::uuid[], $2::text[])
       ON CONFLICT (sub_account_id) DO UPDATE SET level = excluded.level, assessed_at = date_trunc('milliseconds', now())`,
      [assessed.map((a) => a.id), assessed.map((a) => a.level)],
    );
    const changed = assessed.filter((a) => a.previous !== null && a.previous !== a.level);
    if (changed.length === 0) return;
    await this.db.query(
      `INSERT INTO outbox_events (type, agency_id, sub_account_id, health_level, previous_health_level)
       SELECT 'HEALTH_CHANGED', * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])`,
      [changed.map((a) => a.agencyId), changed.map((a) => a.id), changed.map((a) => a.level), changed.map((a) => a.previous)],
    );
  }
}
