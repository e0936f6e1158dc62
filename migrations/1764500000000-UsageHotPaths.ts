import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The two hot paths of usage (see docs/usage.md, "Measured"):
 *
 * - Reports read the raw calls of a range's partial edge days. The index they scan,
 *   (sub_account_id, started_at DESC, id DESC), now also carries the figures a report sums
 *   (INCLUDE), so those reads are index-only instead of one heap page per call (calls of
 *   many sub-accounts and days are interleaved on the heap). Same key, so the calls list
 *   keeps using it; a call insert still writes one entry, a little wider.
 * - `outbox_usage_debits` wrote the events of a batch of USAGE debits with a PL/pgSQL loop:
 *   per debit one wallet lookup and two or three single-row INSERTs, about 3,000 statements
 *   for a batch of 1,000 calls, all while the batch holds its wallets' locks. It is now one
 *   INSERT … SELECT writing exactly the same rows in the same order (per debit, in posting
 *   order: BALANCE_CHANGED, USAGE_RECORDED, then the band crossing if any, with the same
 *   balance-after), with the rules of `outbox_balance_changed` for a USAGE debit.
 */
export class UsageHotPaths1764500000000 implements MigrationInterface {
  name = 'UsageHotPaths1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX calls_sub_account_started_cover_idx ON calls (sub_account_id, started_at DESC, id DESC)
        INCLUDE (tier, status, duration_seconds, cost_micros, profit_micros)`);
    await q.query(`DROP INDEX calls_sub_account_started_idx`);
    await q.query(`ALTER INDEX calls_sub_account_started_cover_idx RENAME TO calls_sub_account_started_idx`);

    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_usage_debits(transfer_ids uuid[], wallet_ids uuid[], amounts bigint[])
      RETURNS void LANGUAGE sql AS $$
        INSERT INTO outbox_events (type, agency_id, sub_account_id, transfer_id, balance_micros, delta_micros)
        SELECT e.type, d.agency_id, d.sub_account_id, d.transfer_id, d.balance_after, -d.amount
          FROM (
            SELECT y.*, CASE
                     WHEN y.old_band = y.new_band THEN NULL
                     WHEN y.new_band = 'DEPLETED' THEN 'BALANCE_DEPLETED'
                     WHEN y.new_band = 'OK' THEN 'BALANCE_RECOVERED'
                     WHEN y.old_band = 'OK' THEN 'LOW_BALANCE'
                   END AS crossing
              FROM (
                SELECT z.*, outbox_balance_band(z.balance_after + z.amount, z.threshold) AS old_band,
                       outbox_balance_band(z.balance_after, z.threshold) AS new_band
                  FROM (
                    -- The wallet's balance after each debit, rebuilt from its final balance: add back the later debits.
                    SELECT x.ord, x.transfer_id, x.amount, w.sub_account_id, s.agency_id, w.low_balance_threshold_micros AS threshold,
                           (a.balance_micros + coalesce(sum(x.amount) OVER (PARTITION BY x.wallet_id ORDER BY x.ord DESC
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::bigint AS balance_after
                      FROM unnest(transfer_ids, wallet_ids, amounts) WITH ORDINALITY AS x(transfer_id, wallet_id, amount, ord)
                      JOIN ledger_accounts a ON a.id = x.wallet_id
                      JOIN wallets w ON w.id = x.wallet_id
                      JOIN sub_accounts s ON s.id = w.sub_account_id
                  ) z
              ) y
          ) d
          CROSS JOIN LATERAL (
            SELECT 1 AS n, 'BALANCE_CHANGED' AS type
            UNION ALL SELECT 2, 'USAGE_RECORDED' WHERE d.amount > 0
            UNION ALL SELECT 3, d.crossing WHERE d.crossing IS NOT NULL
          ) e
         ORDER BY d.ord, e.n
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION outbox_usage_debits(transfer_ids uuid[], wallet_ids uuid[], amounts bigint[])
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        d record;
      BEGIN
        FOR d IN
          SELECT x.transfer_id, x.wallet_id, x.amount,
                 (a.balance_micros + coalesce(sum(x.amount) OVER (PARTITION BY x.wallet_id ORDER BY x.ord DESC
                   ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0))::bigint AS balance_after
            FROM unnest(transfer_ids, wallet_ids, amounts) WITH ORDINALITY AS x(transfer_id, wallet_id, amount, ord)
            JOIN ledger_accounts a ON a.id = x.wallet_id
           ORDER BY x.ord
        LOOP
          PERFORM outbox_balance_changed(d.wallet_id, -d.amount, d.balance_after, d.transfer_id, 'USAGE');
        END LOOP;
      END $$`);
    await q.query(`CREATE INDEX calls_sub_account_started_plain_idx ON calls (sub_account_id, started_at DESC, id DESC)`);
    await q.query(`DROP INDEX calls_sub_account_started_idx`);
    await q.query(`ALTER INDEX calls_sub_account_started_plain_idx RENAME TO calls_sub_account_started_idx`);
  }
}
