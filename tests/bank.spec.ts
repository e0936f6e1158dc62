import type { DataSource } from 'typeorm';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency } from './helpers/fixtures';
import { bankWorkload, checkBank, random, runBank, type BankTransfer, type TransferOutcome } from './helpers/bank';
import { decodeId } from '../src/shared/global-id';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { parseMicros } from '../src/shared/money';

const ACCOUNTS = 10;
const CLIENTS = 16;
const TRANSFERS = Number(process.env.BANK_TRANSFERS ?? 2_000);
const FUNDING = '40.00';

const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { id } userErrors { code message } }
}`;

interface Bank {
  agencyId: string;
  subAccountIds: string[];
  walletIds: string[];
  initialTotalMicros: bigint;
}

/** An agency with 10 funded sub-accounts on different markups (so amounts differ by direction). */
async function openBank(app: TestApp): Promise<Bank> {
  const { agencyId, primaryId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
  const subAccountIds = [primaryId];
  for (let i = 1; i < ACCOUNTS; i++) {
    subAccountIds.push(await addSubAccount(app, agencyId, { markupPremium: `0.0${i}` }));
  }
  for (const [i, id] of subAccountIds.entries()) {
    const data = ok(
      await app.gql(
        `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
        { input: { subAccountId: id, amount: FUNDING, reason: 'bank test funding', idempotencyKey: `fund-${i}` } },
      ),
    );
    expect(data.adjustWalletBalance.userErrors).toEqual([]);
  }
  const walletIds: string[] = [];
  let initialTotalMicros = 0n;
  for (const id of subAccountIds) {
    const [row] = await app.dataSource.query(
      `SELECT w.id, a.balance_micros FROM wallets w JOIN ledger_accounts a ON a.id = w.id WHERE w.sub_account_id = $1`,
      [decodeId(id, 'SubAccount')],
    );
    walletIds.push(row.id);
    initialTotalMicros += BigInt(row.balance_micros);
  }
  return { agencyId, subAccountIds, walletIds, initialTotalMicros };
}

/**
 * The broken implementation the checker must catch: it reads the balances, checks them in
 * the application, then writes the values it computed (a classic lost update). Test code
 * only; production debits with one guarded UPDATE.
 */
function weakenedExecutor(dataSource: DataSource, bank: Bank, agencyId: string) {
  return async (transfer: BankTransfer): Promise<TransferOutcome> => {
    const units = BigInt(transfer.minutes.replace('.', ''));
    const amount = (units * 160_000n) / 10_000n || 1n;
    const from = bank.walletIds[transfer.from];
    const to = bank.walletIds[transfer.to];
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [existing] = await runner.query(`SELECT id FROM ledger_transfers WHERE agency_id = $1 AND idempotency_key = $2`, [
        agencyId, transfer.key,
      ]);
      if (existing) {
        await runner.commitTransaction();
        return { transferId: existing.id };
      }
      const [fromRow] = await runner.query(`SELECT balance_micros FROM ledger_accounts WHERE id = $1`, [from]);
      const [toRow] = await runner.query(`SELECT balance_micros FROM ledger_accounts WHERE id = $1`, [to]);
      if (BigInt(fromRow.balance_micros) < amount) {
        await runner.rollbackTransaction();
        return { error: 'INSUFFICIENT_FUNDS' };
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
      const [row] = await runner.query(
        `INSERT INTO ledger_transfers (agency_id, kind, debit_account_id, credit_account_id, amount_micros) VALUES ($1, 'MINUTE_TRANSFER', $2, $3, $4) RETURNING id`,
        [agencyId, from, to, amount.toString()],
      );
      // Rows in id order, as production does, so the only flaw is the lost update (not deadlocks).
      const writes = [
        { id: from, sql: `UPDATE ledger_accounts SET balance_micros = $2, debits_micros = credits_micros - $2 WHERE id = $1`,
          value: BigInt(fromRow.balance_micros) - amount },
        { id: to, sql: `UPDATE ledger_accounts SET balance_micros = $2, credits_micros = debits_micros + $2 WHERE id = $1`,
          value: BigInt(toRow.balance_micros) + amount },
      ].sort((a, b) => (a.id < b.id ? -1 : 1));
      for (const write of writes) await runner.query(write.sql, [write.id, write.value.toString()]);
      await runner.commitTransaction();
      return { transferId: row.id };
    } catch (error) {
      await runner.rollbackTransaction().catch(() => undefined);
      return { error: (error as Error).message };
    } finally {
      await runner.release();
    }
  };
}

describe('the bank test: concurrent transfers never lose or create money', () => {
  jest.setTimeout(300_000);
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ dbPoolSize: 20 });
  });
  afterAll(() => app.close());

  it(`should conserve every micro-dollar over ${TRANSFERS} transfers by ${CLIENTS} concurrent clients through GraphQL`, async () => {
    const bank = await openBank(app);
    const workload = bankWorkload(TRANSFERS, ACCOUNTS, 20261125);
    const outcomes = await runBank(workload, CLIENTS, async (transfer) => {
      const response = await app.gql(TRANSFER, {
        input: {
          fromSubAccountId: bank.subAccountIds[transfer.from],
          toSubAccountId: bank.subAccountIds[transfer.to],
          tier: 'PREMIUM',
          minutes: transfer.minutes,
          idempotencyKey: transfer.key,
        },
      });
      const payload = ok(response).transferMinutes;
      return payload.transfer ? { transferId: payload.transfer.id } : { error: payload.userErrors[0].code };
    });

    const check = await checkBank(app.dataSource, bank.walletIds, bank.initialTotalMicros, outcomes);
    expect(check.violations).toEqual([]);
    // The workload really exercised what it claims to: successes, refusals and retries.
    expect(check.succeeded).toBeGreaterThan(500);
    expect(check.refused).toBeGreaterThan(20);
    expect(check.retriedKeys).toBeGreaterThan(100);
    const refusals = [...outcomes.values()].flat().filter((o) => 'error' in o).map((o) => (o as { error: string }).error);
    expect(new Set(refusals)).toEqual(new Set(['INSUFFICIENT_FUNDS']));
  });

  it('should keep Agency.profit equal to the markups purchased minus the payouts, with purchases, payouts and transfers racing', async () => {
    // Sandbox mode (the test app has no Stripe key): top-ups and payouts are booked as paid at once.
    const bank = await openBank(app);
    const link = ok(await app.gql(`mutation($id: ID!) { createStripeConnectLink(agencyId: $id) { userErrors { code } } }`, { id: bank.agencyId }));
    expect(link.createStripeConnectLink.userErrors).toEqual([]);
    const next = random(20261204);
    const pick = (n: number) => Math.floor(next() * n);
    type Op = { kind: 'topUp'; sub: number; amount: string; key: string } | { kind: 'transfer'; transfer: BankTransfer } | { kind: 'payout' };
    const transfers = bankWorkload(200, ACCOUNTS, 99);
    const ops: Op[] = [];
    for (let i = 0; i < 600; i++) {
      const roll = next();
      if (roll < 0.55) {
        const earlier = ops.filter((op) => op.kind === 'topUp');
        // About one in eight is a retry of an earlier top-up: same key, same terms.
        if (earlier.length > 0 && next() < 0.125) ops.push(earlier[pick(earlier.length)]);
        else ops.push({ kind: 'topUp', sub: 1 + pick(ACCOUNTS - 1), amount: `${5 + pick(145)}.${String(pick(1_000_000)).padStart(6, '0')}`, key: `bank-topup-${i}` });
      } else if (roll < 0.9) {
        ops.push({ kind: 'transfer', transfer: transfers[pick(transfers.length)] });
      } else {
        ops.push({ kind: 'payout' });
      }
    }
    const toppedUp = new Map<string, { sub: number; amount: string; transferId: string }>();
    const payouts = new Map<string, string>();
    const refusals = new Set<string>();
    let cursor = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (cursor < ops.length) {
        const op = ops[cursor++];
        if (op.kind === 'topUp') {
          const payload = ok(await app.gql(`mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { transfer { id } userErrors { code } } }`,
            { input: { subAccountId: bank.subAccountIds[op.sub], amount: op.amount, idempotencyKey: op.key } })).topUpWallet;
          expect(payload.userErrors).toEqual([]);
          const first = toppedUp.get(op.key);
          // A retry answers the first purchase, never a second one.
          if (first) expect(payload.transfer.id).toBe(first.transferId);
          toppedUp.set(op.key, { sub: op.sub, amount: op.amount, transferId: payload.transfer.id });
        } else if (op.kind === 'transfer') {
          const t = op.transfer;
          const payload = ok(await app.gql(TRANSFER, { input: {
            fromSubAccountId: bank.subAccountIds[t.from], toSubAccountId: bank.subAccountIds[t.to], tier: 'PREMIUM', minutes: t.minutes, idempotencyKey: t.key,
          } })).transferMinutes;
          if (!payload.transfer) refusals.add(payload.userErrors[0].code);
        } else {
          const payload = ok(await app.gql(`mutation($id: ID!) { requestPayout(agencyId: $id) { payout { id amount { amount } status } userErrors { code } } }`,
            { id: bank.agencyId })).requestPayout;
          if (payload.payout) {
            expect(payload.payout.status).toBe('PAID');
            payouts.set(payload.payout.id, payload.payout.amount.amount);
          } else {
            refusals.add(payload.userErrors[0].code);
          }
        }
      }
    }));
    // Expected from the rule alone: a purchase rounded up to the cent buys charged ÷ price Premium
    // minutes (to 1/10,000, down) and earns minutes × markup (down); sub-account i has a $0.0i markup.
    let earned = 0n;
    let charged = 0n;
    for (const { sub, amount } of toppedUp.values()) {
      const cents = (parseMicros(amount)! + 9_999n) / 10_000n;
      const markup = BigInt(sub) * 10_000n;
      const units = (cents * 10_000n * 10_000n) / (160_000n + markup);
      earned += (units * markup) / 10_000n;
      charged += cents * 10_000n;
    }
    const paidOut = [...payouts.values()].reduce((sum, amount) => sum + parseMicros(amount)!, 0n);
    expect(payouts.size).toBeGreaterThan(3);
    expect(new Set([...refusals].filter((code) => code !== 'INSUFFICIENT_FUNDS' && code !== 'PAYOUT_BELOW_THRESHOLD'))).toEqual(new Set());
    const figures = ok(await app.gql(`query($id: ID!) { agency(id: $id) { profit { earned { amount } paidOut { amount } pendingPayout { amount } }
      payouts(first: 100) { totalCount } } }`, { id: bank.agencyId })).agency;
    expect(parseMicros(figures.profit.earned.amount)).toBe(earned);
    expect(parseMicros(figures.profit.paidOut.amount)).toBe(paidOut);
    expect(parseMicros(figures.profit.pendingPayout.amount)).toBe(earned - paidOut);
    expect(figures.payouts.totalCount).toBe(payouts.size);
    // Every payout paid whole cents of what was pending: less than a cent remains per payout made since.
    expect(paidOut % 10_000n).toBe(0n);
    // Wallets: transfers move dollars between them, purchases add exactly what was charged.
    const [total] = await app.dataSource.query(`SELECT sum(balance_micros)::text AS micros FROM ledger_accounts WHERE id = ANY($1)`, [bank.walletIds]);
    expect(BigInt(total.micros)).toBe(bank.initialTotalMicros + charged);
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
  });

  it('should catch the lost updates of a deliberately weakened balance check (a test of the test)', async () => {
    const bank = await openBank(app);
    const [{ agency_id: agencyId }] = await app.dataSource.query(`SELECT agency_id FROM ledger_accounts WHERE id = $1`, [
      bank.walletIds[0],
    ]);
    const workload = bankWorkload(300, ACCOUNTS, 7);
    const outcomes = await runBank(workload, CLIENTS, weakenedExecutor(app.dataSource, bank, agencyId));
    const check = await checkBank(app.dataSource, bank.walletIds, bank.initialTotalMicros, outcomes);
    expect(check.violations.length).toBeGreaterThan(0);
    // Put the ledger back in a verifiable state for whoever runs verify on this database next.
    await app.dataSource.query(
      `UPDATE ledger_accounts a SET debits_micros = t.d, credits_micros = t.c, balance_micros = t.c - t.d
         FROM (SELECT a2.id,
                      coalesce((SELECT sum(amount_micros) FROM ledger_transfers WHERE debit_account_id = a2.id), 0) AS d,
                      coalesce((SELECT sum(amount_micros) FROM ledger_transfers WHERE credit_account_id = a2.id), 0) AS c
                 FROM ledger_accounts a2 WHERE a2.id = ANY($1)) t
        WHERE a.id = t.id`,
      [bank.walletIds],
    );
  });
});
