import type { MigrationInterface, QueryRunner } from 'typeorm';
import { LedgerPostFunction1764150000000 } from './1764150000000-LedgerPostFunction';

/**
 * The event outbox (see docs/events.md). Every state change writes its events here in
 * its own transaction, so a rolled-back change has none.
 *
 * Ordering: each row stores the id of the transaction that wrote it (`xid`, the
 * top-level one even inside a subtransaction) and a bigserial `id`. A reader only takes
 * rows whose xid is below `pg_snapshot_xmin(pg_current_snapshot())`: every transaction
 * older than that has ended, and no transaction can later get an older xid, so nothing
 * can appear behind a reader's position. (xid, id) is the order and the cursor; an
 * "id > last seen" reader would skip rows whose serial was taken before, but committed
 * after, a row it already read.
 *
 * `ledger_post_transfers` is replaced by the same function plus one call per tracked
 * leg to `outbox_balance_changed`, which writes BALANCE_CHANGED for a wallet (and
 * USAGE_RECORDED for a USAGE debit) with the balance the function just computed, and
 * LOW_BALANCE / BALANCE_DEPLETED / BALANCE_RECOVERED when the balance changes band:
 * DEPLETED (balance <= 0), LOW (0 < balance < threshold), OK (balance >= threshold).
 * Entering DEPLETED is BALANCE_DEPLETED, entering OK is BALANCE_RECOVERED, and OK to LOW
 * is LOW_BALANCE (DEPLETED to LOW, a partial refill, is none of them).
 */
export class Outbox1764300000000 implements MigrationInterface {
  name = 'Outbox1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_events (
        id bigserial NOT NULL,
        xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        type text NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
        agency_id uuid, -- null only for a platform key's API_KEY_REVOKED
        sub_account_id uuid,
        transfer_id uuid,
        balance_micros bigint,
        delta_micros bigint,
        -- The object of an event that is neither a sub-account nor a transfer (API_KEY_REVOKED: the key).
        ref_id uuid,
        occurred_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        PRIMARY KEY (xid, id)
      )`);
    // Retention deletes by age; rows arrive in time order, so a BRIN index is enough and costs writers little.
    await q.query(`CREATE INDEX outbox_events_occurred_idx ON outbox_events USING brin (occurred_at)`);

    await q.query(`
      CREATE FUNCTION outbox_balance_band(balance bigint, threshold bigint) RETURNS text
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE WHEN balance <= 0 THEN 'DEPLETED' WHEN balance < threshold THEN 'LOW' ELSE 'OK' END
      $$`);
    await q.query(`
      CREATE FUNCTION outbox_balance_changed(p_account uuid, p_delta bigint, p_balance bigint, p_transfer uuid, p_kind text)
      RETURNS void LANGUAGE plpgsql AS $$
      DECLARE
        wal record;
        old_band text;
        new_band text;
        crossing text;
      BEGIN
        SELECT w.sub_account_id, w.low_balance_threshold_micros AS threshold, s.agency_id
          INTO wal FROM wallets w JOIN sub_accounts s ON s.id = w.sub_account_id WHERE w.id = p_account;
        IF NOT FOUND THEN
          RETURN; -- not a wallet (an agency's profit account)
        END IF;
        INSERT INTO outbox_events (type, agency_id, sub_account_id, transfer_id, balance_micros, delta_micros)
        VALUES ('BALANCE_CHANGED', wal.agency_id, wal.sub_account_id, p_transfer, p_balance, p_delta);
        IF p_kind = 'USAGE' AND p_delta < 0 THEN
          INSERT INTO outbox_events (type, agency_id, sub_account_id, transfer_id, balance_micros, delta_micros)
          VALUES ('USAGE_RECORDED', wal.agency_id, wal.sub_account_id, p_transfer, p_balance, p_delta);
        END IF;
        old_band := outbox_balance_band(p_balance - p_delta, wal.threshold);
        new_band := outbox_balance_band(p_balance, wal.threshold);
        crossing := CASE
          WHEN old_band = new_band THEN NULL
          WHEN new_band = 'DEPLETED' THEN 'BALANCE_DEPLETED'
          WHEN new_band = 'OK' THEN 'BALANCE_RECOVERED'
          WHEN old_band = 'OK' THEN 'LOW_BALANCE'
        END;
        IF crossing IS NOT NULL THEN
          INSERT INTO outbox_events (type, agency_id, sub_account_id, transfer_id, balance_micros, delta_micros)
          VALUES (crossing, wal.agency_id, wal.sub_account_id, p_transfer, p_balance, p_delta);
        END IF;
      END $$`);

    // The events of a batch of USAGE debits posted by one multi-row UPDATE per wallet (usage-debits.ts):
    // called after that UPDATE, it rebuilds each transfer's balance-after from the wallet's final balance.
    await q.query(`
      CREATE FUNCTION outbox_usage_debits(transfer_ids uuid[], wallet_ids uuid[], amounts bigint[])
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

    await q.query(`
      CREATE OR REPLACE FUNCTION ledger_post_transfers(items jsonb)
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
      BEGIN
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
          BEGIN
            IF item.active_sub_accounts IS NOT NULL THEN
              SELECT count(*) INTO active_count FROM (
                SELECT 1 FROM sub_accounts s
                 WHERE s.id = ANY (item.active_sub_accounts) AND s.status = 'ACTIVE'
                 ORDER BY s.id FOR SHARE) AS locked;
              IF active_count <> cardinality(item.active_sub_accounts) THEN
                RAISE EXCEPTION USING ERRCODE = 'VM001', MESSAGE = 'SUB_ACCOUNT_REMOVED';
              END IF;
            END IF;

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
                  RAISE EXCEPTION USING ERRCODE = 'VM001', MESSAGE = 'INSUFFICIENT_FUNDS';
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
          EXCEPTION WHEN SQLSTATE 'VM001' THEN
            r_status := SQLERRM;
            r_transfer_id := NULL;
            r_created_at := NULL;
            r_debit_balance := NULL;
            r_credit_balance := NULL;
            RETURN NEXT;
          END;
        END LOOP;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_post_transfers(jsonb)`);
    await new LedgerPostFunction1764150000000().up(q);
    await q.query(`DROP FUNCTION outbox_usage_debits(uuid[], uuid[], bigint[])`);
    await q.query(`DROP FUNCTION outbox_balance_changed(uuid, bigint, bigint, uuid, text)`);
    await q.query(`DROP FUNCTION outbox_balance_band(bigint, bigint)`);
    await q.query(`DROP TABLE outbox_events`);
  }
}
