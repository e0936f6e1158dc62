import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ledger_post(items)`: `ledger_post_batch` behind a price check, so that a minute transfer
 * priced from what the API server remembered is posted only at the prices that hold when
 * it commits.
 *
 * An item may carry `prices`: `[{ "sub_account_id": …, "price_micros": … }, …]`, the
 * per-minute prices of its `tier` the transfer's amount was computed from. Under the same
 * share locks `ledger_post_batch` takes on the sub-accounts (same rows, same order, taken
 * here first), each such price is recomputed from the sub-account, its agency and its plan
 * (`minute_price_micros`, the rule of `pricing.ts`); an item whose prices differ is
 * answered PRICE_CHANGED and written nothing, the others go to `ledger_post_batch`
 * unchanged. A markup change of one of those sub-accounts waits for the share lock, so the
 * prices read here hold until commit; agency defaults and plan prices are read at this
 * statement's snapshot (the transfer is ordered before a change that commits after it).
 * Items without `prices` (every other kind) are posted exactly as before.
 *
 * Why: the API server keeps the sub-accounts it priced transfers from and reuses them; that
 * saves the lookup round trip per batch (the transfers bench, same conditions: hot spot
 * 782 → 1,089 and 1,272/s), and this check makes the reuse safe across replicas. It also closes the window in which a
 * transfer looked up before a markup change was posted after it.
 */
export class LedgerPostPriced1764800000000 implements MigrationInterface {
  name = 'LedgerPostPriced1764800000000';

  async up(q: QueryRunner): Promise<void> {
    // The rule of pricing.ts minutePriceMicros: the plan's base price of the tier, plus the
    // markup (none for the primary or with "apply base price"; else the sub-account's own
    // override, else the agency's default).
    await q.query(`
      CREATE FUNCTION minute_price_micros(tier text, sub sub_accounts, agency agencies, plan plans)
      RETURNS bigint LANGUAGE sql STABLE AS $fn$
        SELECT CASE WHEN tier = 'BASIC' THEN plan.basic_price_micros ELSE plan.premium_price_micros END
             + CASE WHEN sub.kind = 'PRIMARY' OR sub.apply_base_price THEN 0
                    WHEN tier = 'BASIC' THEN coalesce(sub.markup_basic_micros, agency.default_markup_basic_micros)
                    ELSE coalesce(sub.markup_premium_micros, agency.default_markup_premium_micros) END
      $fn$`);
    await q.query(`
      CREATE FUNCTION ledger_post(items jsonb)
      RETURNS TABLE (r_idx int, r_status text, r_transfer_id uuid, r_created_at timestamptz,
                     r_debit_balance bigint, r_credit_balance bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        stale int[];
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements(items) AS x WHERE x ? 'prices') THEN
          RETURN QUERY SELECT * FROM ledger_post_batch(items);
          RETURN;
        END IF;

        -- ledger_post_batch's first lock, taken first here: the same rows in the same order.
        PERFORM 1 FROM sub_accounts s
         WHERE s.id = ANY (ARRAY(
           SELECT DISTINCT jsonb_array_elements_text(x -> 'active_sub_accounts')::uuid
             FROM jsonb_array_elements(items) AS x
            WHERE jsonb_typeof(x -> 'active_sub_accounts') = 'array'))
         ORDER BY s.id FOR SHARE;

        stale := ARRAY(
          SELECT DISTINCT (x ->> 'idx')::int
            FROM jsonb_array_elements(items) AS x
           CROSS JOIN LATERAL jsonb_to_recordset(x -> 'prices') AS p(sub_account_id uuid, price_micros bigint)
            LEFT JOIN sub_accounts s ON s.id = p.sub_account_id
            LEFT JOIN agencies a ON a.id = s.agency_id
            LEFT JOIN plans pl ON pl.code = a.plan_code
           WHERE jsonb_typeof(x -> 'prices') = 'array'
             AND minute_price_micros(x ->> 'tier', s, a, pl) IS DISTINCT FROM p.price_micros);

        IF cardinality(stale) = 0 THEN
          RETURN QUERY SELECT * FROM ledger_post_batch(items);
          RETURN;
        END IF;
        RETURN QUERY SELECT i, 'PRICE_CHANGED'::text, NULL::uuid, NULL::timestamptz, NULL::bigint, NULL::bigint
          FROM unnest(stale) AS i;
        RETURN QUERY SELECT * FROM ledger_post_batch(
          (SELECT coalesce(jsonb_agg(x ORDER BY n), '[]'::jsonb)
             FROM jsonb_array_elements(items) WITH ORDINALITY AS e(x, n)
            WHERE NOT ((x ->> 'idx')::int = ANY (stale))));
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_post(jsonb)`);
    await q.query(`DROP FUNCTION minute_price_micros(text, sub_accounts, agencies, plans)`);
  }
}
