import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transfers and calls in the order they committed, for keyset paging that never skips a row
 * (docs/faults.md, "Late commits and keyset paging").
 *
 * `created_at` / `recorded_at` are the transaction's start (`now()`), so a transaction that
 * waited on a wallet's lock commits a row dated *before* rows already committed and served:
 * a reader that paged past that instant never sees it. `seq` is drawn from a sequence by the
 * INSERT, which every writer runs while holding the wallet's ledger-account lock
 * (`ledger_post_batch` locks its tracked accounts first; usage ingestion locks the wallets
 * before it inserts calls and debits). Whoever draws next on a wallet waits for the previous
 * holder's commit, so within one wallet (and one sub-account) seq order is commit order.
 * CACHE 1 (the default) matters: per-backend cached ranges would hand out numbers out of order.
 *
 * Existing rows are numbered in (created_at, id) / (recorded_at, id) order, the order lists
 * showed them in; the ledger's no-update trigger is disabled for that one statement, inside
 * this migration's transaction.
 */
export class RecordingOrder1765800000000 implements MigrationInterface {
  name = 'RecordingOrder1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await this.number(q, 'ledger_transfers', 'created_at');
    await q.query(`CREATE INDEX ledger_transfers_debit_seq_idx ON ledger_transfers (debit_account_id, seq DESC)`);
    await q.query(`CREATE INDEX ledger_transfers_credit_seq_idx ON ledger_transfers (credit_account_id, seq DESC)`);
    await this.number(q, 'calls', 'recorded_at');
    await q.query(`CREATE INDEX calls_sub_account_seq_idx ON calls (sub_account_id, seq DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX calls_sub_account_seq_idx`);
    await q.query(`ALTER TABLE calls DROP COLUMN seq`);
    await q.query(`DROP INDEX ledger_transfers_credit_seq_idx`);
    await q.query(`DROP INDEX ledger_transfers_debit_seq_idx`);
    await q.query(`ALTER TABLE ledger_transfers DROP COLUMN seq`);
  }

  /** Adds `seq` to the table, numbers its rows by (timeColumn, id), then draws from `<table>_seq`. */
  private async number(q: QueryRunner, table: 'ledger_transfers' | 'calls', timeColumn: string): Promise<void> {
    const sequence = `${table}_seq`;
    await q.query(`CREATE SEQUENCE ${sequence} AS bigint CACHE 1`);
    await q.query(`ALTER TABLE ${table} ADD COLUMN seq bigint`);
    if (table === 'ledger_transfers') await q.query(`ALTER TABLE ledger_transfers DISABLE TRIGGER ledger_transfers_no_update_delete`);
    await q.query(`UPDATE ${table} t SET seq = o.n
                     FROM (SELECT id, row_number() OVER (ORDER BY ${timeColumn}, id) AS n FROM ${table}) o
                    WHERE o.id = t.id`);
    if (table === 'ledger_transfers') await q.query(`ALTER TABLE ledger_transfers ENABLE TRIGGER ledger_transfers_no_update_delete`);
    await q.query(`SELECT setval('${sequence}', coalesce((SELECT max(seq) FROM ${table}), 0) + 1, false)`);
    await q.query(`ALTER TABLE ${table} ALTER COLUMN seq SET DEFAULT nextval('${sequence}'), ALTER COLUMN seq SET NOT NULL`);
    await q.query(`ALTER SEQUENCE ${sequence} OWNED BY ${table}.seq`);
  }
}
