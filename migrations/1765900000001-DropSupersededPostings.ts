import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops the posting functions nothing calls any more: `ledger_post_transfers` (migration
 * LedgerPostFunction; superseded by `ledger_post_batch` in LedgerPostBatch, and commented so
 * since) and `outbox_balance_changed` (migration Outbox; only `ledger_post_transfers` called
 * it once `ledger_post_batch` became set-based in LedgerPostSetBased). It held the last copy of
 * the balance-band crossing outside `outbox_balance_crossing` (migration BalanceCrossing).
 * `down` recreates both as they were (read back with pg_get_functiondef).
 */
const LEDGER_POST_TRANSFERS = `
    CREATE OR REPLACE FUNCTION public.ledger_post_transfers(items jsonb)
     RETURNS TABLE(r_idx integer, r_status text, r_transfer_id uuid, r_created_at timestamp with time zone, r_debit_balance bigint, r_credit_balance bigint)
     LANGUAGE plpgsql
    AS $function$
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
          $function$
`;

const OUTBOX_BALANCE_CHANGED = `
    CREATE OR REPLACE FUNCTION public.outbox_balance_changed(p_account uuid, p_delta bigint, p_balance bigint, p_transfer uuid, p_kind text)
     RETURNS void
     LANGUAGE plpgsql
    AS $function$
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
          END $function$
`;

export class DropSupersededPostings1765900000001 implements MigrationInterface {
  name = 'DropSupersededPostings1765900000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION ledger_post_transfers(jsonb)`);
    await q.query(`DROP FUNCTION outbox_balance_changed(uuid, bigint, bigint, uuid, text)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(OUTBOX_BALANCE_CHANGED);
    await q.query(LEDGER_POST_TRANSFERS);
    await q.query(`COMMENT ON FUNCTION ledger_post_transfers(jsonb) IS 'Superseded by ledger_post_batch (migration LedgerPostBatch).'`);
  }
}
