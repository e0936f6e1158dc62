import { randomBytes } from 'node:crypto';
import { ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
import { bankWorkload, checkBank, runBank, type BankTransfer, type TransferOutcome } from './helpers/bank';
import { ensureBuilt, freshDatabase, remoteApp, startServer } from './helpers/server-process';
import { createDataSource } from '../src/db/data-source';

/**
 * kill -9 of the server in the middle of the bank workload (issue 17), group-commit batches
 * in flight: afterwards every request that got no answer is settled by retrying its
 * idempotency key on a new process (moved exactly once or not at all), the total is
 * conserved, no wallet is negative, and ledger:verify passes.
 */
const ACCOUNTS = 6;
const CLIENTS = 12;
const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { id } userErrors { code message } }
}`;
const PLATFORM_KEY = 'faults-kill-key-' + randomBytes(12).toString('hex');

describe('kill -9 during the bank workload', () => {
  jest.setTimeout(240_000);
  beforeAll(() => ensureBuilt());

  it('should leave a verified ledger and settle every unanswered request by its idempotency key', async () => {
    const database = await freshDatabase();
    const dataSource = createDataSource(database.url, 2);
    await dataSource.initialize();
    const env = { DATABASE_URL: database.url, PLATFORM_ADMIN_KEY: PLATFORM_KEY, JOBS_ENABLED: 'false', RATE_LIMIT_ENABLED: 'false' };
    try {
      const server = await startServer(env);
      let app = remoteApp(server, PLATFORM_KEY);
      const { agencyId, primaryId } = await createAgency(app as unknown as TestApp, { planCode: 'AGENCY_UNLIMITED' });
      const subAccountIds = [primaryId];
      for (let i = 1; i < ACCOUNTS; i++) subAccountIds.push(await addSubAccount(app as unknown as TestApp, agencyId, { markupPremium: `0.0${i}` }));
      for (const [i, id] of subAccountIds.entries()) {
        const data = ok(await app.gql(
          `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
          { input: { subAccountId: id, amount: '40.00', reason: 'kill test funding', idempotencyKey: `fund-${i}` } },
        ));
        expect(data.adjustWalletBalance.userErrors).toEqual([]);
      }
      const walletIds: string[] = [];
      let initialTotalMicros = 0n;
      for (const id of subAccountIds) {
        const [row] = await dataSource.query(
          `SELECT w.id, a.balance_micros FROM wallets w JOIN ledger_accounts a ON a.id = w.id WHERE w.sub_account_id = $1`, [rawId(id)],
        );
        walletIds.push(row.id);
        initialTotalMicros += BigInt(row.balance_micros);
      }

      const execute = async (transfer: BankTransfer): Promise<TransferOutcome> => {
        try {
          const response = await app.gql(TRANSFER, {
            input: {
              fromSubAccountId: subAccountIds[transfer.from], toSubAccountId: subAccountIds[transfer.to],
              tier: 'PREMIUM', minutes: transfer.minutes, idempotencyKey: transfer.key,
            },
          });
          const payload = ok(response).transferMinutes;
          return payload.transfer ? { transferId: rawId(payload.transfer.id) } : { error: payload.userErrors[0].code };
        } catch (error) {
          return { error: `unanswered: ${(error as Error).message}` };
        }
      };
      const workload = bankWorkload(1_500, ACCOUNTS, 20261203);
      let answered = 0;
      let killed = false;
      const outcomes = await runBank(workload, CLIENTS, async (transfer) => {
        const outcome = await execute(transfer);
        answered += 1;
        // Killed mid-run, with the other clients' requests (and their batch) in flight.
        if (answered === 400 && !killed) {
          killed = true;
          server.child.kill('SIGKILL');
        }
        return outcome;
      });
      expect(await server.exited).toBe('SIGKILL');
      const unanswered = [...outcomes.entries()].filter(([, results]) => results.some((r) => 'error' in r && r.error.startsWith('unanswered')));
      expect(unanswered.length).toBeGreaterThan(0);

      // A new process: every key retried (those answered must answer the same; the others settle now).
      const next = await startServer(env);
      app = remoteApp(next, PLATFORM_KEY);
      try {
        const settled = new Map<string, TransferOutcome[]>();
        const byKey = new Map(workload.map((t) => [t.key, t]));
        for (const [key, results] of outcomes) {
          const answeredResults = results.filter((r) => !('error' in r && r.error.startsWith('unanswered')));
          const retry = await execute(byKey.get(key)!);
          expect('error' in retry && retry.error.startsWith('unanswered')).toBe(false);
          settled.set(key, [...answeredResults, retry]);
        }
        const check = await checkBank(dataSource, walletIds, initialTotalMicros, settled);
        expect(check.violations).toEqual([]);
        expect(check.succeeded).toBeGreaterThan(100);
      } finally {
        next.child.kill('SIGTERM');
        expect(await next.exited).toBe(0);
      }
    } finally {
      await dataSource.destroy();
      await database.drop();
    }
  });
});
