import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger. Every wallet becomes a ledger account with the same id; the
 * agency profit and the platform / outside-world accounts join it. A transfer row is
 * immutable: a trigger refuses UPDATE, DELETE and TRUNCATE on ledger_transfers.
 * Balances are stored per account (credits − debits) and kept in step with the transfer
 * rows in the same transaction; `npm run ledger:verify` recomputes them.
 */
export class Ledger1764100000000 implements MigrationInterface {
  name = 'Ledger1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL CHECK (type IN ('WALLET', 'AGENCY_PROFIT', 'PLATFORM_REVENUE', 'PLATFORM_GRANTS', 'PAYMENTS_IN', 'PAYOUTS_OUT')),
        agency_id uuid REFERENCES agencies(id),
        debits_micros bigint NOT NULL DEFAULT 0 CHECK (debits_micros >= 0),
        credits_micros bigint NOT NULL DEFAULT 0 CHECK (credits_micros >= 0),
        balance_micros bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CHECK (balance_micros = credits_micros - debits_micros),
        CHECK ((type IN ('WALLET', 'AGENCY_PROFIT')) = (agency_id IS NOT NULL))
      )`);
    await q.query(`CREATE UNIQUE INDEX ledger_accounts_agency_profit_idx ON ledger_accounts (agency_id) WHERE type = 'AGENCY_PROFIT'`);
    await q.query(`CREATE UNIQUE INDEX ledger_accounts_system_idx ON ledger_accounts (type) WHERE agency_id IS NULL`);
    await q.query(`
      INSERT INTO ledger_accounts (type) VALUES ('PLATFORM_REVENUE'), ('PLATFORM_GRANTS'), ('PAYMENTS_IN'), ('PAYOUTS_OUT')`);
    await q.query(`
      INSERT INTO ledger_accounts (id, type, agency_id, credits_micros, debits_micros, balance_micros)
      SELECT w.id, 'WALLET', s.agency_id, greatest(w.balance_micros, 0), greatest(-w.balance_micros, 0), w.balance_micros
        FROM wallets w JOIN sub_accounts s ON s.id = w.sub_account_id`);
    await q.query(`INSERT INTO ledger_accounts (type, agency_id) SELECT 'AGENCY_PROFIT', id FROM agencies`);
    await q.query(`ALTER TABLE wallets DROP COLUMN balance_micros`);
    await q.query(`ALTER TABLE wallets ADD CONSTRAINT wallets_ledger_account_fk FOREIGN KEY (id) REFERENCES ledger_accounts(id)`);

    await q.query(`
      CREATE TABLE ledger_transfers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        agency_id uuid NOT NULL REFERENCES agencies(id),
        kind text NOT NULL CHECK (kind IN ('TOP_UP', 'MINUTE_TRANSFER', 'USAGE', 'AUTO_ALLOCATION', 'AUTO_RECHARGE',
          'PLAN_ALLOCATION', 'SUB_ACCOUNT_CLOSURE', 'PAYOUT', 'ADJUSTMENT', 'MARKUP_PROFIT')),
        debit_account_id uuid NOT NULL REFERENCES ledger_accounts(id),
        credit_account_id uuid NOT NULL REFERENCES ledger_accounts(id),
        amount_micros bigint NOT NULL CHECK (amount_micros > 0),
        tier text CHECK (tier IN ('BASIC', 'PREMIUM')),
        minutes_sent_units bigint CHECK (minutes_sent_units > 0),
        minutes_received_units bigint CHECK (minutes_received_units >= 0),
        idempotency_key text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        request_sha256 bytea,
        memo text CHECK (length(memo) <= 500),
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        CHECK (debit_account_id <> credit_account_id),
        CHECK ((idempotency_key IS NULL) = (request_sha256 IS NULL))
      )`);
    // Client keys are scoped per agency: one agency's key never collides with another's.
    await q.query(`CREATE UNIQUE INDEX ledger_transfers_idempotency_idx ON ledger_transfers (agency_id, idempotency_key)
                   WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX ledger_transfers_debit_idx ON ledger_transfers (debit_account_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX ledger_transfers_credit_idx ON ledger_transfers (credit_account_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE FUNCTION ledger_transfers_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger_transfers is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`CREATE TRIGGER ledger_transfers_no_update_delete BEFORE UPDATE OR DELETE ON ledger_transfers
                   FOR EACH ROW EXECUTE FUNCTION ledger_transfers_immutable()`);
    await q.query(`CREATE TRIGGER ledger_transfers_no_truncate BEFORE TRUNCATE ON ledger_transfers
                   FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ledger_transfers`);
    await q.query(`DROP FUNCTION ledger_transfers_immutable()`);
    await q.query(`ALTER TABLE wallets DROP CONSTRAINT wallets_ledger_account_fk`);
    await q.query(`ALTER TABLE wallets ADD COLUMN balance_micros bigint NOT NULL DEFAULT 0`);
    await q.query(`UPDATE wallets w SET balance_micros = a.balance_micros FROM ledger_accounts a WHERE a.id = w.id`);
    await q.query(`DROP TABLE ledger_accounts`);
  }
}
