import type { DataSource } from 'typeorm';

export interface LedgerVerification {
  ok: boolean;
  accounts: number;
  transfers: number;
  totalDebitsMicros: bigint;
  totalCreditsMicros: bigint;
  problems: string[];
}

/**
 * Recomputes the ledger from its transfer rows and compares it with what is stored:
 * 1. debits equal credits overall (each row is one debit and one credit of one amount);
 * 2. every tracked account's stored debits, credits and balance equal the sums of its transfers;
 * 3. untracked (platform) accounts store nothing, their balances are derived;
 * 4. no AGENCY_PROFIT balance is negative, and every wallet row has its ledger account;
 *     (beyond the markup of refunded or disputed purchases, which is netted from later payouts);
 * 4a. every payment's refunds and disputes reversed on the ledger exactly what its record says (docs/payments.md);
 * 4b. PAYOUTS_IN_FLIGHT holds exactly the payouts still PENDING (docs/payments.md, "Connect and payouts");
 * 5. every call's transfer is a USAGE debit of its own sub-account's wallet, of the call's cost,
 *    dated at the call's recording instant: so each billing statement's usage (the calls recorded
 *    in its cycle) is exactly its USAGE debits (docs/health-and-statements.md).
 * Runs in one REPEATABLE READ snapshot, so it is exact while writers keep going.
 */
export async function verifyLedger(dataSource: DataSource): Promise<LedgerVerification> {
  return dataSource.transaction('REPEATABLE READ', async (em) => {
    const problems: string[] = [];
    const [totals] = await em.query(
      `SELECT count(*) AS transfers, coalesce(sum(amount_micros), 0) AS amount FROM ledger_transfers`,
    );
    const rows: Array<{
      id: string; type: string; stored_debits: string; stored_credits: string; stored_balance: string;
      debits: string; credits: string; markup_reversed: string;
    }> = await em.query(`
      WITH debits AS (SELECT debit_account_id AS id, sum(amount_micros) AS total,
                             coalesce(sum(amount_micros) FILTER (WHERE kind = 'MARKUP_PROFIT'), 0) AS markup_reversed
                        FROM ledger_transfers GROUP BY 1),
           credits AS (SELECT credit_account_id AS id, sum(amount_micros) AS total FROM ledger_transfers GROUP BY 1)
      SELECT a.id, a.type, a.debits_micros AS stored_debits, a.credits_micros AS stored_credits,
             a.balance_micros AS stored_balance, coalesce(d.total, 0) AS debits, coalesce(c.total, 0) AS credits,
             coalesce(d.markup_reversed, 0) AS markup_reversed
        FROM ledger_accounts a LEFT JOIN debits d ON d.id = a.id LEFT JOIN credits c ON c.id = a.id`);
    let totalDebits = 0n;
    let totalCredits = 0n;
    for (const row of rows) {
      const debits = BigInt(row.debits);
      const credits = BigInt(row.credits);
      totalDebits += debits;
      totalCredits += credits;
      const tracked = row.type === 'WALLET' || row.type === 'AGENCY_PROFIT';
      const stored = [BigInt(row.stored_debits), BigInt(row.stored_credits), BigInt(row.stored_balance)];
      const expected = tracked ? [debits, credits, credits - debits] : [0n, 0n, 0n];
      if (stored.some((value, i) => value !== expected[i])) {
        problems.push(
          `account ${row.id} (${row.type}): stored debits/credits/balance ${stored.join('/')} but transfers give ${expected.join('/')}`,
        );
      }
      // Only the markup of a refunded or disputed purchase already paid out may take a profit account below zero.
      if (row.type === 'AGENCY_PROFIT' && credits - debits < -BigInt(row.markup_reversed)) problems.push(`profit account ${row.id} is negative`);
    }
    if (totalDebits !== totalCredits) problems.push(`total debits ${totalDebits} differ from total credits ${totalCredits}`);
    if (totalDebits !== BigInt(totals.amount)) problems.push('transfers reference accounts that do not exist');
    const [orphans] = await em.query(
      `SELECT count(*) AS n FROM wallets w LEFT JOIN ledger_accounts a ON a.id = w.id AND a.type = 'WALLET' WHERE a.id IS NULL`,
    );
    if (Number(orphans.n) > 0) problems.push(`${orphans.n} wallets have no ledger account`);
    const [unmatched] = await em.query(
      `SELECT count(*) AS n FROM calls c
         JOIN wallets w ON w.sub_account_id = c.sub_account_id
         LEFT JOIN ledger_transfers t ON t.id = c.transfer_id
        WHERE c.transfer_id IS NOT NULL
          AND (t.id IS NULL OR t.kind <> 'USAGE' OR t.debit_account_id <> w.id OR t.amount_micros <> c.cost_micros
               OR t.created_at <> c.recorded_at)`,
    );
    const [inFlight] = await em.query(
      `SELECT (SELECT coalesce(sum(CASE WHEN t.credit_account_id = a.id THEN t.amount_micros ELSE -t.amount_micros END), 0)
                 FROM ledger_transfers t WHERE t.credit_account_id = a.id OR t.debit_account_id = a.id)::text AS ledger,
              (SELECT coalesce(sum(amount_cents), 0) * 10000 FROM payouts WHERE status = 'PENDING')::text AS pending
         FROM ledger_accounts a WHERE a.type = 'PAYOUTS_IN_FLIGHT'`,
    );
    if (inFlight && inFlight.ledger !== inFlight.pending) {
      problems.push(`PAYOUTS_IN_FLIGHT holds ${inFlight.ledger} micro-dollars but the pending payouts sum to ${inFlight.pending}`);
    }
    const [reversals] = await em.query(
      `WITH booked AS (
         SELECT split_part(t.idempotency_key, '/', 3)::uuid AS payment_id,
                sum(CASE WHEN t.kind = 'MARKUP_PROFIT' THEN 0 WHEN t.credit_account_id = p.id THEN t.amount_micros ELSE -t.amount_micros END) AS wallet,
                sum(CASE WHEN t.kind <> 'MARKUP_PROFIT' THEN 0 WHEN t.credit_account_id = r.id THEN t.amount_micros ELSE -t.amount_micros END) AS profit
           FROM ledger_transfers t
          CROSS JOIN (SELECT id FROM ledger_accounts WHERE type = 'PAYMENTS_IN') p
          CROSS JOIN (SELECT id FROM ledger_accounts WHERE type = 'PLATFORM_REVENUE') r
          WHERE t.idempotency_key LIKE 'system/payment/%/reversal/%'
          GROUP BY 1)
       SELECT count(*) AS n FROM billing_payments bp FULL JOIN booked b ON b.payment_id = bp.id
        WHERE coalesce(bp.reversed_cents, 0) * 10000 <> coalesce(b.wallet, 0) OR coalesce(bp.reversed_profit_micros, 0) <> coalesce(b.profit, 0)`,
    );
    if (Number(reversals.n) > 0) problems.push(`${reversals.n} payments' refunds and disputes differ from their ledger rows`);
    if (Number(unmatched.n) > 0) problems.push(`${unmatched.n} calls do not match their USAGE debit (wallet, amount or instant)`);
    return {
      ok: problems.length === 0,
      accounts: rows.length,
      transfers: Number(totals.transfers),
      totalDebitsMicros: totalDebits,
      totalCreditsMicros: totalCredits,
      problems,
    };
  });
}
