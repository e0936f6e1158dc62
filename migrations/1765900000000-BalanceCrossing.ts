import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One SQL function for the balance-band crossing (issue #12: "each business rule has one
 * source"): which event, if any, a balance change from one band to another writes. It was a
 * CASE copied into `ledger_post_batch` (every posting) and `outbox_usage_debits` (usage
 * debits); both now call `outbox_balance_crossing`, beside `outbox_balance_band` (the bands
 * themselves). Both are IMMUTABLE one-expression SQL functions, which the planner inlines
 * into the statements that call them: no call per row.
 *
 * The two function bodies below are the ones in force before this migration (migrations
 * LedgerPostSetBased and UsageHotPaths, read back with pg_get_functiondef) with only the
 * crossing expression changed; `down` puts the CASE back.
 */
const CROSSING_CASE = `CASE
                     WHEN y.old_band = y.new_band THEN NULL
                     WHEN y.new_band = 'DEPLETED' THEN 'BALANCE_DEPLETED'
                     WHEN y.new_band = 'OK' THEN 'BALANCE_RECOVERED'
                     WHEN y.old_band = 'OK' THEN 'LOW_BALANCE'
                   END`;
const CROSSING_CALL = 'outbox_balance_crossing(y.old_band, y.new_band)';

const ledgerPostBatch = (crossing: string) => `
    CREATE OR REPLACE FUNCTION public.ledger_post_batch(items jsonb)
     RETURNS TABLE(r_idx integer, r_status text, r_transfer_id uuid, r_created_at timestamp with time zone, r_debit_balance bigint, r_credit_balance bigint)
     LANGUAGE plpgsql
    AS $function$
          DECLARE
            item record;
            now_ms timestamptz := date_trunc('milliseconds', now());
            wanted_sub_accounts uuid[];
            active_sub_accounts uuid[];
            wanted_accounts uuid[];
            account_ids uuid[];
            balances bigint[];
            -- Keys already used: existing rows, then this batch's postings ('agency/key').
            used_keys text[];
            used_ids uuid[];
            used_hashes bytea[];
            key_ref text;
            key_at int;
            item_hash bytea;
            debit_at int;
            credit_at int;
            new_id uuid;
            written int;
            mismatched int;
            -- The posted transfers, column by column.
            t_id uuid[] := '{}';
            t_agency uuid[] := '{}';
            t_kind text[] := '{}';
            t_debit uuid[] := '{}';
            t_credit uuid[] := '{}';
            t_amount bigint[] := '{}';
            t_tier text[] := '{}';
            t_sent bigint[] := '{}';
            t_received bigint[] := '{}';
            t_key text[] := '{}';
            t_hash bytea[] := '{}';
            t_memo text[] := '{}';
            -- Their tracked legs: which posted transfer (an index into t_*), account, delta, balance after.
            l_posting int[] := '{}';
            l_account uuid[] := '{}';
            l_delta bigint[] := '{}';
            l_balance bigint[] := '{}';
          BEGIN
            -- 1. Locks: sub-accounts, then accounts (with their balances), then keys.
            wanted_sub_accounts := ARRAY(
              SELECT DISTINCT jsonb_array_elements_text(x -> 'active_sub_accounts')::uuid
                FROM jsonb_array_elements(items) AS x
               WHERE jsonb_typeof(x -> 'active_sub_accounts') = 'array'
               ORDER BY 1);
            active_sub_accounts := ARRAY(
              SELECT s.id FROM (
                SELECT s.id, s.status FROM sub_accounts s WHERE s.id = ANY (wanted_sub_accounts) ORDER BY s.id FOR SHARE
              ) s WHERE s.status = 'ACTIVE');
            wanted_accounts := ARRAY(
              SELECT (x ->> 'debit_id')::uuid FROM jsonb_array_elements(items) AS x WHERE (x ->> 'debit_tracked')::boolean
              UNION
              SELECT (x ->> 'credit_id')::uuid FROM jsonb_array_elements(items) AS x WHERE (x ->> 'credit_tracked')::boolean
              ORDER BY 1);
            SELECT coalesce(array_agg(a.id ORDER BY a.id), '{}'), coalesce(array_agg(a.balance_micros ORDER BY a.id), '{}')
              INTO account_ids, balances
              FROM (SELECT a.id, a.balance_micros FROM ledger_accounts a WHERE a.id = ANY (wanted_accounts) ORDER BY a.id
                    FOR NO KEY UPDATE) a;
            PERFORM pg_advisory_xact_lock(1819307120, k.h) FROM (
              SELECT DISTINCT hashtext((x ->> 'agency_id') || '/' || (x ->> 'idempotency_key')) AS h
                FROM jsonb_array_elements(items) AS x
               WHERE x ->> 'idempotency_key' IS NOT NULL
               ORDER BY 1) k;

            -- 2. Keys already used, read after their locks: a concurrent first use has committed by now.
            SELECT coalesce(array_agg(t.agency_id::text || '/' || t.idempotency_key), '{}'),
                   coalesce(array_agg(t.id), '{}'), coalesce(array_agg(t.request_sha256), '{}')
              INTO used_keys, used_ids, used_hashes
              FROM (SELECT DISTINCT (x ->> 'agency_id')::uuid AS agency_id, x ->> 'idempotency_key' AS idempotency_key
                      FROM jsonb_array_elements(items) AS x WHERE x ->> 'idempotency_key' IS NOT NULL) k
              -- One probe of the unique key index per key (a join could pick a scan of the whole table).
              CROSS JOIN LATERAL (
                SELECT t.id, t.agency_id, t.idempotency_key, t.request_sha256 FROM ledger_transfers t
                 WHERE t.agency_id = k.agency_id AND t.idempotency_key = k.idempotency_key LIMIT 1) t;

            -- 3. Each item in posting order, decided in memory.
            FOR item IN
              SELECT * FROM jsonb_to_recordset(items) AS x(
                idx int, agency_id uuid, kind text, debit_id uuid, debit_tracked boolean, credit_id uuid,
                credit_tracked boolean, amount bigint, allow_overdraft boolean, tier text, minutes_sent bigint,
                minutes_received bigint, idempotency_key text, request_sha256 text, memo text, active_sub_accounts uuid[])
            LOOP
              r_idx := item.idx;
              r_transfer_id := NULL;
              r_created_at := NULL;
              r_debit_balance := NULL;
              r_credit_balance := NULL;

              IF item.active_sub_accounts IS NOT NULL AND NOT (item.active_sub_accounts <@ active_sub_accounts) THEN
                r_status := 'SUB_ACCOUNT_REMOVED';
                RETURN NEXT;
                CONTINUE;
              END IF;

              item_hash := decode(item.request_sha256, 'hex');
              key_ref := NULL;
              IF item.idempotency_key IS NOT NULL THEN
                key_ref := item.agency_id::text || '/' || item.idempotency_key;
                key_at := array_position(used_keys, key_ref);
                IF key_at IS NOT NULL THEN
                  r_transfer_id := used_ids[key_at];
                  r_status := CASE WHEN used_hashes[key_at] = item_hash THEN 'REPLAYED' ELSE 'IDEMPOTENCY_CONFLICT' END;
                  RETURN NEXT;
                  CONTINUE;
                END IF;
              END IF;

              debit_at := NULL;
              credit_at := NULL;
              IF item.debit_tracked THEN
                debit_at := array_position(account_ids, item.debit_id);
                IF debit_at IS NULL THEN
                  RAISE EXCEPTION 'ledger account % does not exist', item.debit_id;
                END IF;
                IF NOT item.allow_overdraft AND balances[debit_at] < item.amount THEN
                  r_status := 'INSUFFICIENT_FUNDS';
                  RETURN NEXT;
                  CONTINUE;
                END IF;
              END IF;
              IF item.credit_tracked THEN
                credit_at := array_position(account_ids, item.credit_id);
                IF credit_at IS NULL THEN
                  RAISE EXCEPTION 'ledger account % does not exist', item.credit_id;
                END IF;
              END IF;

              new_id := gen_random_uuid();
              t_id := t_id || new_id;
              t_agency := t_agency || item.agency_id;
              t_kind := t_kind || item.kind;
              t_debit := t_debit || item.debit_id;
              t_credit := t_credit || item.credit_id;
              t_amount := t_amount || item.amount;
              t_tier := t_tier || item.tier;
              t_sent := t_sent || item.minutes_sent;
              t_received := t_received || item.minutes_received;
              t_key := t_key || item.idempotency_key;
              t_hash := t_hash || item_hash;
              t_memo := t_memo || item.memo;
              IF key_ref IS NOT NULL THEN
                used_keys := used_keys || key_ref;
                used_ids := used_ids || new_id;
                used_hashes := used_hashes || item_hash;
              END IF;

              IF debit_at IS NOT NULL THEN
                balances[debit_at] := balances[debit_at] - item.amount;
                r_debit_balance := balances[debit_at];
              END IF;
              IF credit_at IS NOT NULL THEN
                balances[credit_at] := balances[credit_at] + item.amount;
                r_credit_balance := balances[credit_at];
              END IF;
              -- Its legs; their events are ordered by posting, then account id (as one posting always was).
              IF debit_at IS NOT NULL THEN
                l_posting := l_posting || cardinality(t_id);
                l_account := l_account || item.debit_id;
                l_delta := l_delta || -item.amount;
                l_balance := l_balance || r_debit_balance;
              END IF;
              IF credit_at IS NOT NULL THEN
                l_posting := l_posting || cardinality(t_id);
                l_account := l_account || item.credit_id;
                l_delta := l_delta || item.amount;
                l_balance := l_balance || r_credit_balance;
              END IF;

              r_status := 'POSTED';
              r_transfer_id := new_id;
              r_created_at := now_ms;
              RETURN NEXT;
            END LOOP;

            IF cardinality(t_id) = 0 THEN
              RETURN;
            END IF;

            -- 4. The writes, one statement each.
            INSERT INTO ledger_transfers AS t (id, agency_id, kind, debit_account_id, credit_account_id, amount_micros, tier,
                minutes_sent_units, minutes_received_units, idempotency_key, request_sha256, memo, created_at)
            SELECT u.*, now_ms
              FROM unnest(t_id, t_agency, t_kind, t_debit, t_credit, t_amount, t_tier, t_sent, t_received, t_key, t_hash, t_memo) AS u
            ON CONFLICT (agency_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;
            GET DIAGNOSTICS written = ROW_COUNT;
            IF written <> cardinality(t_id) THEN
              -- Cannot happen while the key locks are held; retryable if it ever does.
              RAISE EXCEPTION 'an idempotency key was used concurrently despite its lock' USING ERRCODE = 'serialization_failure';
            END IF;

            WITH moved AS (
              UPDATE ledger_accounts a
                 SET debits_micros = a.debits_micros + d.debits,
                     credits_micros = a.credits_micros + d.credits,
                     balance_micros = a.balance_micros + d.credits - d.debits
                FROM (SELECT l.account_id,
                             coalesce(sum(-l.delta) FILTER (WHERE l.delta < 0), 0)::bigint AS debits,
                             coalesce(sum(l.delta) FILTER (WHERE l.delta > 0), 0)::bigint AS credits
                        FROM unnest(l_account, l_delta) AS l(account_id, delta)
                       GROUP BY l.account_id) d
               WHERE a.id = d.account_id
              RETURNING a.id, a.balance_micros)
            SELECT count(*) FILTER (WHERE m.balance_micros IS DISTINCT FROM b.balance), count(*)
              INTO mismatched, written
              FROM moved m LEFT JOIN unnest(account_ids, balances) AS b(id, balance) ON b.id = m.id;
            IF mismatched > 0 OR written <> (SELECT count(DISTINCT x) FROM unnest(l_account) AS x) THEN
              RAISE EXCEPTION 'ledger balances moved differently than the batch computed';
            END IF;

            INSERT INTO outbox_events (type, agency_id, sub_account_id, transfer_id, balance_micros, delta_micros)
            SELECT e.type, d.agency_id, d.sub_account_id, d.transfer_id, d.balance, d.delta
              FROM (
                SELECT y.*, ${crossing} AS crossing
                  FROM (
                    SELECT l.*, t_id[l.posting] AS transfer_id, t_kind[l.posting] AS kind, w.sub_account_id, s.agency_id,
                           outbox_balance_band(l.balance - l.delta, w.low_balance_threshold_micros) AS old_band,
                           outbox_balance_band(l.balance, w.low_balance_threshold_micros) AS new_band
                      FROM unnest(l_posting, l_account, l_delta, l_balance) AS l(posting, account_id, delta, balance)
                      JOIN wallets w ON w.id = l.account_id -- an agency's profit account is no wallet: no event
                      JOIN sub_accounts s ON s.id = w.sub_account_id
                  ) y
              ) d
              CROSS JOIN LATERAL (
                SELECT 1 AS n, 'BALANCE_CHANGED' AS type
                UNION ALL SELECT 2, 'USAGE_RECORDED' WHERE d.kind = 'USAGE' AND d.delta < 0
                UNION ALL SELECT 3, d.crossing WHERE d.crossing IS NOT NULL
              ) e
             ORDER BY d.posting, d.account_id, e.n;
          END
          $function$
`;

const outboxUsageDebits = (crossing: string) => `
    CREATE OR REPLACE FUNCTION public.outbox_usage_debits(transfer_ids uuid[], wallet_ids uuid[], amounts bigint[])
     RETURNS void
     LANGUAGE sql
    AS $function$
            INSERT INTO outbox_events (type, agency_id, sub_account_id, transfer_id, balance_micros, delta_micros)
            SELECT e.type, d.agency_id, d.sub_account_id, d.transfer_id, d.balance_after, -d.amount
              FROM (
                SELECT y.*, ${crossing} AS crossing
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
          $function$
`;

export class BalanceCrossing1765900000000 implements MigrationInterface {
  name = 'BalanceCrossing1765900000000';

  async up(q: QueryRunner): Promise<void> {
    // DEPLETED is entered from anywhere, OK (recovered) too; LOW only from OK (DEPLETED → LOW writes nothing).
    await q.query(`
      CREATE FUNCTION outbox_balance_crossing(old_band text, new_band text) RETURNS text
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE
                 WHEN old_band = new_band THEN NULL
                 WHEN new_band = 'DEPLETED' THEN 'BALANCE_DEPLETED'
                 WHEN new_band = 'OK' THEN 'BALANCE_RECOVERED'
                 WHEN old_band = 'OK' THEN 'LOW_BALANCE'
               END
      $$`);
    await q.query(ledgerPostBatch(CROSSING_CALL));
    await q.query(outboxUsageDebits(CROSSING_CALL));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(ledgerPostBatch(CROSSING_CASE));
    await q.query(outboxUsageDebits(CROSSING_CASE));
    await q.query(`DROP FUNCTION outbox_balance_crossing(text, text)`);
  }
}
