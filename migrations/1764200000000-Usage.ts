import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Call usage: scenarios, calls and their daily and monthly rollups (see docs/usage.md).
 *
 * - A call row is the idempotency record of a pushed call: unique per (sub-account,
 *   externalCallId), with the hash of the request. It stores the price, markup, cost and
 *   profit in force when it was recorded; CHECKs repeat the cost and profit rules so no
 *   writer can store other figures.
 * - Its USAGE ledger transfer is written in the same transaction. The foreign key is
 *   deferred because the call row (which decides whether the call is new) is inserted
 *   before its transfer.
 * - Rollups are per sub-account, UTC day (or month), tier and status, upserted in the
 *   transaction of each call: reports read them for whole days and months and the raw
 *   calls only for the partial days at a range's edges. fillfactor 80 leaves room on each
 *   page so the in-place counter updates stay HOT (no index writes).
 */
export class Usage1764200000000 implements MigrationInterface {
  name = 'Usage1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE scenarios (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sub_account_id uuid NOT NULL REFERENCES sub_accounts(id),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now())
      )`);
    // A name identifies a scenario within its sub-account, whatever the case: creating it again returns it.
    await q.query(`CREATE UNIQUE INDEX scenarios_name_idx ON scenarios (sub_account_id, lower(name))`);

    await q.query(`
      CREATE TABLE calls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sub_account_id uuid NOT NULL REFERENCES sub_accounts(id),
        external_call_id text NOT NULL CHECK (length(external_call_id) BETWEEN 1 AND 200),
        scenario_id uuid REFERENCES scenarios(id),
        tier text NOT NULL CHECK (tier IN ('BASIC', 'PREMIUM')),
        status text NOT NULL CHECK (status IN ('COMPLETED', 'NO_ANSWER', 'BUSY', 'FAILED', 'VOICEMAIL', 'CANCELED')),
        -- Milliseconds, the precision of a JS Date: list cursors compare (started_at, id) exactly.
        started_at timestamptz NOT NULL CHECK (started_at = date_trunc('milliseconds', started_at)),
        duration_seconds int NOT NULL CHECK (duration_seconds BETWEEN 0 AND 86400),
        price_micros bigint NOT NULL CHECK (price_micros > 0),
        markup_micros bigint NOT NULL CHECK (markup_micros >= 0 AND markup_micros < price_micros),
        cost_micros bigint NOT NULL,
        profit_micros bigint NOT NULL,
        transfer_id uuid REFERENCES ledger_transfers(id) DEFERRABLE INITIALLY DEFERRED,
        request_sha256 bytea NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        -- cost = ceil(seconds × price / 60), profit = floor(seconds × markup / 60), in micro-dollars
        CHECK (cost_micros = (duration_seconds * price_micros + 59) / 60),
        CHECK (profit_micros = (duration_seconds * markup_micros) / 60),
        CHECK ((cost_micros > 0) = (transfer_id IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX calls_external_id_idx ON calls (sub_account_id, external_call_id)`);
    // Lists (newest first), the raw edges of reports, and the calls of one scenario within a sub-account.
    await q.query(`CREATE INDEX calls_sub_account_started_idx ON calls (sub_account_id, started_at DESC, id DESC)`);

    for (const [table, period] of [['usage_daily_rollups', 'day'], ['usage_monthly_rollups', 'month']] as const) {
      await q.query(`
        CREATE TABLE ${table} (
          sub_account_id uuid NOT NULL REFERENCES sub_accounts(id),
          ${period} date NOT NULL,
          tier text NOT NULL CHECK (tier IN ('BASIC', 'PREMIUM')),
          status text NOT NULL CHECK (status IN ('COMPLETED', 'NO_ANSWER', 'BUSY', 'FAILED', 'VOICEMAIL', 'CANCELED')),
          call_count bigint NOT NULL CHECK (call_count > 0),
          duration_seconds bigint NOT NULL CHECK (duration_seconds >= 0),
          cost_micros bigint NOT NULL CHECK (cost_micros >= 0),
          profit_micros bigint NOT NULL CHECK (profit_micros >= 0 AND profit_micros <= cost_micros),
          -- Covering: a report reads the figures from the index alone (index-only scan), not from
          -- heap pages scattered by the upserts of many sub-accounts and days.
          PRIMARY KEY (sub_account_id, ${period}, tier, status) INCLUDE (call_count, duration_seconds, cost_micros, profit_micros)
          ${period === 'month' ? `, CHECK (extract(day FROM month) = 1)` : ''}
        ) WITH (fillfactor = 80)`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE usage_monthly_rollups`);
    await q.query(`DROP TABLE usage_daily_rollups`);
    await q.query(`DROP TABLE calls`);
    await q.query(`DROP TABLE scenarios`);
  }
}
