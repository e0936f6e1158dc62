import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One implementation of "post a transfer", in the database: `ledger_post_transfers(items)`
 * posts a JSON array of transfers in the caller's transaction, each in its own
 * subtransaction, and returns one result row per item. It serves both a single posting
 * inside a larger command (plan allocation, adjustment, sweep) and a batch of concurrent
 * minute transfers in one round trip and one commit (see TransferBatcher).
 *
 * Per item, in order:
 * 1. `active_sub_accounts` (optional): share-locks those sub-accounts and requires them
 *    ACTIVE, so a removal (which sweeps the wallet) cannot interleave: SUB_ACCOUNT_REMOVED.
 * 2. Inserts the row; on an idempotency key already used, returns REPLAYED (same request
 *    hash) or IDEMPOTENCY_CONFLICT, and moves nothing.
 * 3. Moves the stored balances of tracked accounts in id order (no deadlock between
 *    opposite transfers); the debit is guarded (`balance >= amount` unless overdraft is
 *    allowed), else INSUFFICIENT_FUNDS and the item's insert is rolled back.
 * Results: r_status POSTED | REPLAYED | IDEMPOTENCY_CONFLICT | INSUFFICIENT_FUNDS | SUB_ACCOUNT_REMOVED.
 */
export class LedgerPostFunction1764150000000 implements MigrationInterface {
  name = 'LedgerPostFunction1764150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_post_transfers(items jsonb)
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
              ELSE
                UPDATE ledger_accounts a
                   SET credits_micros = a.credits_micros + item.amount, balance_micros = a.balance_micros + item.amount
                 WHERE a.id = leg.account_id
                RETURNING a.balance_micros INTO new_balance;
                IF NOT FOUND THEN
                  RAISE EXCEPTION 'ledger account % does not exist', leg.account_id;
                END IF;
                r_credit_balance := new_balance;
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
  }
}
