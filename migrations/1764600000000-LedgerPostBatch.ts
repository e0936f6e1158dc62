import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `ledger_post_batch(items)` replaces `ledger_post_transfers(items)` as the one
 * implementation of posting (same items, same result rows, same statuses), written so a
 * batch is one statement that needs no transaction around it and no subtransactions:
 *
 * 1. It first takes every lock the batch needs, in the order a single posting always took
 *    its own: the sub-accounts required ACTIVE (shared, by id), then the tracked ledger
 *    accounts (FOR NO KEY UPDATE, by id). Batches therefore never deadlock with each other
 *    or with a removal (which locks the sub-account, then sweeps the wallet).
 * 2. Each item is then checked before it writes anything: SUB_ACCOUNT_REMOVED, a used
 *    idempotency key (REPLAYED / IDEMPOTENCY_CONFLICT), INSUFFICIENT_FUNDS. The rows are
 *    locked by this transaction, so the checks stay true until commit; an item that fails
 *    writes nothing, so no per-item subtransaction is needed to undo it.
 * 3. The insert keeps `ON CONFLICT DO NOTHING`: a concurrent request with the same key that
 *    commits between the check and the insert makes this one a replay, never a double.
 * 4. Balances move in id order with the guarded debit kept as a last line of defence (a
 *    failure there aborts the whole statement: it cannot happen while the lock is held).
 *
 * Why: the old function ran each item in a subtransaction (more work per item, and more
 * than 64 in one transaction overflow PostgreSQL's per-backend subtransaction cache, which
 * slows every other session's snapshots), and a batch of several needed BEGIN, a lock
 * statement, the call and COMMIT: four round trips instead of one.
 */
export class LedgerPostBatch1764600000000 implements MigrationInterface {
  name = 'LedgerPostBatch1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_post_batch(items jsonb)
      RETURNS TABLE (r_idx int, r_status text, r_transfer_id uuid, r_created_at timestamptz,
                     r_debit_balance bigint, r_credit_balance bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        item record;
        leg record;
        existing record;
        new_id uuid;
        new_created timestamptz;
        new_balance bigint;
        active_count int;
        sub_account_ids uuid[];
        account_ids uuid[];
      BEGIN
        -- The lock sets as sorted arrays first, so each lock statement is an index lookup by id.
        sub_account_ids := ARRAY(
          SELECT DISTINCT jsonb_array_elements_text(x -> 'active_sub_accounts')::uuid
            FROM jsonb_array_elements(items) AS x
           WHERE jsonb_typeof(x -> 'active_sub_accounts') = 'array'
           ORDER BY 1);
        account_ids := ARRAY(
          SELECT (x ->> 'debit_id')::uuid FROM jsonb_array_elements(items) AS x WHERE (x ->> 'debit_tracked')::boolean
          UNION
          SELECT (x ->> 'credit_id')::uuid FROM jsonb_array_elements(items) AS x WHERE (x ->> 'credit_tracked')::boolean
          ORDER BY 1);
        PERFORM 1 FROM sub_accounts s WHERE s.id = ANY (sub_account_ids) ORDER BY s.id FOR SHARE;
        PERFORM 1 FROM ledger_accounts a WHERE a.id = ANY (account_ids) ORDER BY a.id FOR NO KEY UPDATE;

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

          IF item.active_sub_accounts IS NOT NULL THEN
            SELECT count(*) INTO active_count FROM sub_accounts s
             WHERE s.id = ANY (item.active_sub_accounts) AND s.status = 'ACTIVE';
            IF active_count <> cardinality(item.active_sub_accounts) THEN
              r_status := 'SUB_ACCOUNT_REMOVED';
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;

          IF item.idempotency_key IS NOT NULL THEN
            SELECT t.id, t.request_sha256 INTO existing FROM ledger_transfers t
             WHERE t.agency_id = item.agency_id AND t.idempotency_key = item.idempotency_key;
            IF FOUND THEN
              r_transfer_id := existing.id;
              r_status := CASE WHEN existing.request_sha256 = decode(item.request_sha256, 'hex')
                               THEN 'REPLAYED' ELSE 'IDEMPOTENCY_CONFLICT' END;
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;

          IF item.debit_tracked AND NOT item.allow_overdraft THEN
            PERFORM 1 FROM ledger_accounts a WHERE a.id = item.debit_id AND a.balance_micros >= item.amount;
            IF NOT FOUND THEN
              r_status := 'INSUFFICIENT_FUNDS';
              RETURN NEXT;
              CONTINUE;
            END IF;
          END IF;

          new_id := NULL;
          INSERT INTO ledger_transfers AS t (agency_id, kind, debit_account_id, credit_account_id, amount_micros, tier,
              minutes_sent_units, minutes_received_units, idempotency_key, request_sha256, memo)
          VALUES (item.agency_id, item.kind, item.debit_id, item.credit_id, item.amount, item.tier, item.minutes_sent,
              item.minutes_received, item.idempotency_key, decode(item.request_sha256, 'hex'), item.memo)
          ON CONFLICT (agency_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
          RETURNING t.id, t.created_at INTO new_id, new_created;

          IF new_id IS NULL THEN
            SELECT t.id, t.request_sha256 INTO existing FROM ledger_transfers t
             WHERE t.agency_id = item.agency_id AND t.idempotency_key = item.idempotency_key;
            r_transfer_id := existing.id;
            r_status := CASE WHEN existing.request_sha256 = decode(item.request_sha256, 'hex')
                             THEN 'REPLAYED' ELSE 'IDEMPOTENCY_CONFLICT' END;
            RETURN NEXT;
            CONTINUE;
          END IF;

          FOR leg IN
            SELECT * FROM (VALUES (item.debit_id, true, item.debit_tracked), (item.credit_id, false, item.credit_tracked))
              AS v(account_id, is_debit, tracked)
             ORDER BY account_id
          LOOP
            CONTINUE WHEN NOT leg.tracked;
            IF leg.is_debit THEN
              UPDATE ledger_accounts a
                 SET debits_micros = a.debits_micros + item.amount, balance_micros = a.balance_micros - item.amount
               WHERE a.id = leg.account_id AND (item.allow_overdraft OR a.balance_micros >= item.amount)
              RETURNING a.balance_micros INTO new_balance;
              IF NOT FOUND THEN
                RAISE EXCEPTION 'ledger account % cannot pay % after its check', leg.account_id, item.amount;
              END IF;
              r_debit_balance := new_balance;
              PERFORM outbox_balance_changed(leg.account_id, -item.amount, new_balance, new_id, item.kind);
            ELSE
              UPDATE ledger_accounts a
                 SET credits_micros = a.credits_micros + item.amount, balance_micros = a.balance_micros + item.amount
               WHERE a.id = leg.account_id
              RETURNING a.balance_micros INTO new_balance;
              IF NOT FOUND THEN
                RAISE EXCEPTION 'ledger account % does not exist', leg.account_id;
              END IF;
              r_credit_balance := new_balance;
              PERFORM outbox_balance_changed(leg.account_id, item.amount, new_balance, new_id, item.kind);
            END IF;
          END LOOP;

          r_status := 'POSTED';
          r_transfer_id := new_id;
          r_created_at := new_created;
          RETURN NEXT;
        END LOOP;
      END
      $fn$`);
    // Kept (not dropped) so `down` can return to it; nothing calls it any more.
    await q.query(`COMMENT ON FUNCTION ledger_post_transfers(jsonb) IS 'Superseded by ledger_post_batch (migration LedgerPostBatch).'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`COMMENT ON FUNCTION ledger_post_transfers(jsonb) IS NULL`);
    await q.query(`DROP FUNCTION ledger_post_batch(jsonb)`);
  }
}
