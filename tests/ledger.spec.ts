import { Client as PgClient } from 'pg';
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey, rawId } from './helpers/fixtures';
import { accrueMarkupProfit, postTransfer, requestHash, toPostingItem, type TransferRequest } from '../src/modules/ledger/ledger.service';
import { postItems, systemAccount } from '../src/modules/ledger/ledger.repository';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { JobScheduler } from '../src/modules/jobs/job-scheduler';
import { toGlobalId } from '../src/shared/global-id';
import { Logger } from '../src/shared/logger';
import { formatMicros, parseMicros } from '../src/shared/money';
import { minutePriceMicros, type MinuteTier } from '../src/modules/pricing/pricing';
import fc from 'fast-check';

const key = (label = 'k') => `${label}-${randomBytes(8).toString('hex')}`;
/**
 * Another spelling of the same global id: base64url leaves two spare bits in the last
 * character of a SubAccount id, so four strings decode to the same bytes.
 */
function alias(globalId: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(globalId[globalId.length - 1]);
  const other = globalId.slice(0, -1) + alphabet[(last & ~3) | ((last + 1) & 3)];
  if (other === globalId || !Buffer.from(other, 'base64url').equals(Buffer.from(globalId, 'base64url'))) {
    throw new Error('no alias for ' + globalId);
  }
  return other;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const TRANSFER_FIELDS = `
  id kind tier minutesSent minutesReceived idempotencyKey memo createdAt
  amount { amount currencyCode }
  fromWallet { id } toWallet { id }`;

const QUOTE = `query($input: TransferMinutesInput!) {
  transferQuote(input: $input) {
    tier minutesSent minutesReceived
    amount { amount } fromMinutePrice { amount } toMinutePrice { amount }
  }
}`;

const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { ${TRANSFER_FIELDS} } userErrors { code field message } }
}`;

const ADJUST = `mutation($input: AdjustWalletBalanceInput!) {
  adjustWalletBalance(input: $input) { transfer { ${TRANSFER_FIELDS} } userErrors { code field message } }
}`;

const WALLET = `query($id: ID!) {
  subAccount(id: $id) {
    wallet {
      id
      balance { amount currencyCode }
      basic: availableMinutes(tier: BASIC)
      premium: availableMinutes(tier: PREMIUM)
    }
  }
}`;

const WALLET_TRANSFERS = `query($id: ID!, $first: Int, $after: String, $kind: TransferKind, $range: DateRangeInput) {
  subAccount(id: $id) {
    wallet {
      transfers(first: $first, after: $after, kind: $kind, range: $range) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { cursor node { ${TRANSFER_FIELDS} } }
      }
    }
  }
}`;

const SET_MARKUP = `mutation($input: SetAgencyMarkupInput!) { setAgencyMarkup(input: $input) { userErrors { code } } }`;
const UPDATE_SUB = `mutation($input: UpdateSubAccountInput!) { updateSubAccount(input: $input) { userErrors { code } } }`;
const REMOVE_SUB = `mutation($id: ID!) { removeSubAccount(input: { id: $id }) { removedSubAccountId userErrors { code } } }`;
const RESTORE_SUB = `mutation($id: ID!) { restoreSubAccount(input: { id: $id }) { subAccount { id status } userErrors { code } } }`;

const PROFIT = `query($id: ID!, $range: DateRangeInput) {
  agency(id: $id) {
    profit(range: $range) { earned { amount } paidOut { amount } pendingPayout { amount } payoutThreshold { amount } }
  }
}`;

describe('the ledger', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  // ─── helpers ────────────────────────────────────────────────────────────────

  async function wallet(subAccountId: string, token?: string) {
    return ok(await app.gql(WALLET, { id: subAccountId }, token)).subAccount.wallet as {
      id: string;
      balance: { amount: string; currencyCode: string };
      basic: string;
      premium: string;
    };
  }

  const balance = async (subAccountId: string) => (await wallet(subAccountId)).balance.amount;

  async function mutate(query: string, input: Record<string, unknown>, token?: string) {
    const data = ok(await app.gql(query, { input }, token));
    return Object.values(data)[0] as { transfer: any; userErrors: Array<{ code: string; field: string[] | null }> };
  }

  async function adjust(subAccountId: string, amount: string, extra: Record<string, unknown> = {}, token?: string) {
    return mutate(ADJUST, { subAccountId, amount, reason: 'test funding', idempotencyKey: key('adj'), ...extra }, token);
  }

  async function fund(subAccountId: string, amount: string): Promise<void> {
    const result = await adjust(subAccountId, amount);
    expect(result.userErrors).toEqual([]);
  }

  async function transfer(input: Record<string, unknown>, token?: string) {
    return mutate(TRANSFER, { tier: 'PREMIUM', idempotencyKey: key('t'), ...input }, token);
  }

  /** Every transfer row and every stored account figure: equal before and after means nothing moved. */
  async function ledgerSnapshot() {
    const [{ transfers }] = await app.dataSource.query(`SELECT count(*)::int AS transfers FROM ledger_transfers`);
    const accounts = await app.dataSource.query(
      `SELECT id, debits_micros, credits_micros, balance_micros FROM ledger_accounts ORDER BY id`,
    );
    return { transfers, accounts };
  }

  async function expectLedgerUnchanged(run: () => Promise<unknown>): Promise<void> {
    const before = await ledgerSnapshot();
    await run();
    expect(await ledgerSnapshot()).toEqual(before);
  }

  async function setMarkup(agencyId: string, basic: string, premium: string) {
    expect(ok(await app.gql(SET_MARKUP, { input: { agencyId, basic, premium } })).setAgencyMarkup.userErrors).toEqual([]);
  }

  /**
   * An AGENCY_UNLIMITED agency with default markups $0.01 basic / $0.04 premium and three clients:
   * `a` on the default ($0.10 / $0.20), `b` with its own premium markup $0.09 ($0.10 / $0.25),
   * `c` at the base price ($0.09 / $0.16). The primary holds its 1,000 included minutes ($160).
   */
  async function agencyWithClients() {
    const { agencyId, primaryId } = await createAgency(app);
    await setMarkup(agencyId, '0.01', '0.04');
    const a = await addSubAccount(app, agencyId);
    const b = await addSubAccount(app, agencyId, { markupPremium: '0.09' });
    const c = await addSubAccount(app, agencyId, { applyBasePrice: true });
    return { agencyId, primaryId, a, b, c };
  }

  async function transfersWithKey(agencyId: string, idempotencyKey: string): Promise<number> {
    const [{ n }] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM ledger_transfers WHERE agency_id = $1 AND idempotency_key = $2`,
      [rawId(agencyId), idempotencyKey],
    );
    return n;
  }

  // ─── plan allocations ───────────────────────────────────────────────────────

  describe('plan allocation at createAgency', () => {
    it.each([
      ['KICKSTART', '100', '16.00'],
      ['AGENCY_LITE', '300', '48.00'],
      ['AGENCY_UNLIMITED', '1000', '160.00'],
      ['PARTNER_LEGACY', '2000', '320.00'],
    ])('credits a %s primary with %s premium minutes at the $0.16 base price (%s) as one PLAN_ALLOCATION', async (planCode, minutes, amount) => {
      const { agencyId, primaryId } = await createAgency(app, { planCode });
      const primaryWallet = await wallet(primaryId);
      expect(primaryWallet.balance).toEqual({ amount, currencyCode: 'USD' });
      expect(primaryWallet.premium).toBe(minutes);

      const page = ok(await app.gql(WALLET_TRANSFERS, { id: primaryId })).subAccount.wallet.transfers;
      expect(page.totalCount).toBe(1);
      expect(page.edges[0].node).toMatchObject({
        kind: 'PLAN_ALLOCATION',
        tier: 'PREMIUM',
        minutesSent: minutes,
        minutesReceived: minutes,
        amount: { amount, currencyCode: 'USD' },
        fromWallet: null,
        toWallet: { id: primaryWallet.id },
      });

      const rows = await app.dataSource.query(
        `SELECT t.kind, t.amount_micros, d.type AS debit_type, t.credit_account_id, t.idempotency_key,
                to_char(a.plan_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS plan_started_at
           FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN agencies a ON a.id = t.agency_id
          WHERE t.agency_id = $1`,
        [rawId(agencyId)],
      );
      expect(rows).toHaveLength(1);
      const [row] = rows;
      // A one-time grant is keyed "initial"; a monthly plan's first grant is the first cycle's.
      const scope = planCode === 'PARTNER_LEGACY' ? row.plan_started_at : 'initial';
      expect(row).toEqual({
        kind: 'PLAN_ALLOCATION',
        amount_micros: String(BigInt(minutes) * 160_000n),
        debit_type: 'PLATFORM_GRANTS',
        credit_account_id: rawId(primaryWallet.id),
        idempotency_key: `system/plan-allocation/${scope}/${rawId(primaryId)}/PREMIUM`,
        plan_started_at: row.plan_started_at,
      });
    });
  });

  describe('monthly plan allocations', () => {
    // Who is granted what each cycle, at which value, and the race with a removal: tests/plan-grants.spec.ts.

    it('starts pg-boss against the database: its schema and the allocation schedule exist', async () => {
      const databaseUrl = (app.dataSource.options as { url: string }).url;
      const scheduler = await JobScheduler.start({ databaseUrl, dataSource: app.dataSource, logger: new Logger('silent') });
      try {
        const [{ schema }] = await app.dataSource.query(`SELECT to_regnamespace('pgboss')::text AS schema`);
        expect(schema).toBe('pgboss');
        const schedules = await app.dataSource.query(`SELECT name, cron, options FROM pgboss.schedule ORDER BY name`);
        expect(schedules).toEqual([
          expect.objectContaining({ name: 'health-sweep', cron: '*/10 * * * *' }),
          expect.objectContaining({ name: 'monthly-plan-allocations', cron: '*/10 * * * *' }),
        ]);
      } finally {
        await scheduler.dispose();
      }
    });
  });

  // ─── minute transfers ───────────────────────────────────────────────────────

  describe('transferQuote and transferMinutes', () => {
    it('quotes and moves minutes at equal dollar value between different markups', async () => {
      const { agencyId, a, b } = await agencyWithClients();
      await fund(a, '100');
      const input = { fromSubAccountId: a, toSubAccountId: b, tier: 'PREMIUM', minutes: '10', idempotencyKey: 'ignored' };
      expect(ok(await app.gql(QUOTE, { input })).transferQuote).toEqual({
        tier: 'PREMIUM',
        minutesSent: '10',
        minutesReceived: '8',
        amount: { amount: '2.00' },
        fromMinutePrice: { amount: '0.20' },
        toMinutePrice: { amount: '0.25' },
      });

      const agencyKey = await createKey(app, 'AGENCY_ADMIN', { agencyId });
      const idempotencyKey = key('happy');
      const result = await transfer(
        { fromSubAccountId: a, toSubAccountId: b, minutes: '10', expectedMinutesReceived: '8', idempotencyKey, memo: ' for March ' },
        agencyKey,
      );
      expect(result.userErrors).toEqual([]);
      const [walletA, walletB] = [await wallet(a), await wallet(b)];
      expect(result.transfer).toMatchObject({
        kind: 'MINUTE_TRANSFER',
        tier: 'PREMIUM',
        minutesSent: '10',
        minutesReceived: '8',
        amount: { amount: '2.00', currencyCode: 'USD' },
        idempotencyKey,
        memo: 'for March',
        fromWallet: { id: walletA.id },
        toWallet: { id: walletB.id },
      });
      expect(walletA).toMatchObject({ balance: { amount: '98.00' }, premium: '490', basic: '980' });
      expect(walletB).toMatchObject({ balance: { amount: '2.00' }, premium: '8', basic: '20' });

      const [row] = await app.dataSource.query(
        `SELECT kind, debit_account_id, credit_account_id, amount_micros, tier, minutes_sent_units, minutes_received_units
           FROM ledger_transfers WHERE id = $1`,
        [rawId(result.transfer.id)],
      );
      expect(row).toEqual({
        kind: 'MINUTE_TRANSFER',
        debit_account_id: rawId(walletA.id),
        credit_account_id: rawId(walletB.id),
        amount_micros: '2000000',
        tier: 'PREMIUM',
        minutes_sent_units: '100000',
        minutes_received_units: '80000',
      });
      const node = ok(await app.gql(`query($id: ID!) { node(id: $id) { ... on Transfer { id kind } } }`, { id: result.transfer.id }));
      expect(node.node).toEqual({ id: result.transfer.id, kind: 'MINUTE_TRANSFER' });
    });

    it.each([
      ['dearer to cheaper (premium $0.25 → $0.16)', 'b', 'c', 'PREMIUM', '3', '0.75', '4.6875'],
      ['cheaper to dearer (primary premium $0.16 → $0.20)', 'primaryId', 'a', 'PREMIUM', '100', '16.00', '80'],
      ['in the basic tier ($0.10 → $0.09), fractional minutes rounded down', 'a', 'c', 'BASIC', '1.2345', '0.12345', '1.3716'],
      ['the smallest amount, 0.0001 minute ($0.20 → $0.25)', 'a', 'b', 'PREMIUM', '0.0001', '0.00002', '0'],
    ])('moves minutes %s', async (_name, from, to, tier, minutes, amount, received) => {
      const parties: Record<string, string> = await agencyWithClients();
      for (const sub of [parties.a, parties.b]) await fund(sub, '10');
      const before = { from: await balance(parties[from]), to: await balance(parties[to]) };
      const result = await transfer({ fromSubAccountId: parties[from], toSubAccountId: parties[to], tier, minutes });
      expect(result.userErrors).toEqual([]);
      expect(result.transfer).toMatchObject({ minutesSent: minutes, minutesReceived: received, amount: { amount } });
      expect(await balance(parties[from])).toBe(formatMicros(parseMicros(before.from)! - parseMicros(amount)!));
      expect(await balance(parties[to])).toBe(formatMicros(parseMicros(before.to)! + parseMicros(amount)!));
    });

    it('lets a wallet send exactly all its available minutes, leaving zero', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '1');
      expect((await wallet(a)).premium).toBe('5');
      const result = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '5' });
      expect(result.userErrors).toEqual([]);
      expect(await balance(a)).toBe('0.00');
      expect(await balance(b)).toBe('1.00');
    });

    it('refuses a transfer the source cannot pay with INSUFFICIENT_FUNDS and changes nothing', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '100');
      await expectLedgerUnchanged(async () => {
        // 500 minutes at $0.20 are exactly $100; 0.0001 more is $100.00002.
        const result = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '500.0001' });
        expect(result).toEqual({ transfer: null, userErrors: [expect.objectContaining({ code: 'INSUFFICIENT_FUNDS' })] });
        const empty = await transfer({ fromSubAccountId: b, toSubAccountId: a, minutes: '0.0001' });
        expect(empty.userErrors[0].code).toBe('INSUFFICIENT_FUNDS');
      });
      expect(await balance(a)).toBe('100.00');
    });

    it('refuses with QUOTE_CHANGED when a markup changed between quote and transfer, and changes nothing', async () => {
      const { agencyId, a, b } = await agencyWithClients();
      await fund(a, '100');
      const input = { fromSubAccountId: a, toSubAccountId: b, tier: 'PREMIUM', minutes: '10', idempotencyKey: 'q' };
      const quoted = ok(await app.gql(QUOTE, { input })).transferQuote.minutesReceived;
      expect(quoted).toBe('8');

      // The destination's own markup changes: $0.25 → $0.20.
      expect(ok(await app.gql(UPDATE_SUB, { input: { id: b, markupPremium: '0.04' } })).updateSubAccount.userErrors).toEqual([]);
      await expectLedgerUnchanged(async () => {
        const result = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '10', expectedMinutesReceived: quoted });
        expect(result.userErrors).toEqual([expect.objectContaining({ code: 'QUOTE_CHANGED', field: ['expectedMinutesReceived'] })]);
      });

      // The agency default (the source's price) changes: $0.20 → $0.30, so 10 minutes now buy 15.
      const requoted = ok(await app.gql(QUOTE, { input })).transferQuote.minutesReceived;
      expect(requoted).toBe('10');
      await setMarkup(agencyId, '0.01', '0.14');
      await expectLedgerUnchanged(async () => {
        const result = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '10', expectedMinutesReceived: requoted });
        expect(result.userErrors[0].code).toBe('QUOTE_CHANGED');
      });
      const fresh = ok(await app.gql(QUOTE, { input })).transferQuote.minutesReceived;
      expect(fresh).toBe('15');
      expect((await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '10', expectedMinutesReceived: fresh })).userErrors).toEqual([]);
    });

    it('refuses a transfer to the same sub-account with SAME_ACCOUNT and changes nothing', async () => {
      const { a } = await agencyWithClients();
      await fund(a, '10');
      await expectLedgerUnchanged(async () => {
        const result = await transfer({ fromSubAccountId: a, toSubAccountId: a, minutes: '1' });
        expect(result.userErrors).toEqual([expect.objectContaining({ code: 'SAME_ACCOUNT' })]);
        const quote = await app.gql(QUOTE, { input: { fromSubAccountId: a, toSubAccountId: a, tier: 'PREMIUM', minutes: '1', idempotencyKey: 'x' } });
        expect(errorCode(quote)).toBe('SAME_ACCOUNT');
      });
    });

    it('answers NOT_FOUND for unknown ids and for another agency’s sub-accounts, and changes nothing', async () => {
      const { agencyId, a } = await agencyWithClients();
      await fund(a, '10');
      const other = await agencyWithClients();
      await fund(other.a, '10');
      const agencyKey = await createKey(app, 'AGENCY_ADMIN', { agencyId });
      const unknown = toGlobalId('SubAccount', randomUUID());
      const cases: Array<[Record<string, string>, string | undefined, string]> = [
        [{ fromSubAccountId: unknown, toSubAccountId: a }, undefined, 'fromSubAccountId'],
        [{ fromSubAccountId: a, toSubAccountId: unknown }, undefined, 'toSubAccountId'],
        [{ fromSubAccountId: 'not-an-id', toSubAccountId: a }, undefined, 'fromSubAccountId'],
        [{ fromSubAccountId: a, toSubAccountId: toGlobalId('Agency', rawId(agencyId)) }, undefined, 'toSubAccountId'],
        // An agency admin names another agency's sub-account as the source or the destination.
        [{ fromSubAccountId: other.a, toSubAccountId: a }, agencyKey, 'fromSubAccountId'],
        [{ fromSubAccountId: a, toSubAccountId: other.a }, agencyKey, 'toSubAccountId'],
        // Even the platform admin cannot move minutes between agencies.
        [{ fromSubAccountId: other.a, toSubAccountId: a }, undefined, 'toSubAccountId'],
        [{ fromSubAccountId: a, toSubAccountId: other.b }, undefined, 'toSubAccountId'],
      ];
      await expectLedgerUnchanged(async () => {
        for (const [ids, token, field] of cases) {
          const result = await transfer({ ...ids, minutes: '1' }, token);
          expect(result.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: [field] })]);
          const quote = await app.gql(QUOTE, { input: { ...ids, tier: 'PREMIUM', minutes: '1', idempotencyKey: 'x' } }, token);
          expect(errorCode(quote)).toBe('NOT_FOUND');
        }
      });
    });

    it('refuses a removed source or destination with SUB_ACCOUNT_REMOVED and changes nothing', async () => {
      const { primaryId, a, b } = await agencyWithClients();
      await fund(a, '10');
      await fund(b, '10');
      expect(ok(await app.gql(REMOVE_SUB, { id: b })).removeSubAccount.userErrors).toEqual([]);
      await expectLedgerUnchanged(async () => {
        const to = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' });
        expect(to.userErrors).toEqual([expect.objectContaining({ code: 'SUB_ACCOUNT_REMOVED', field: ['toSubAccountId'] })]);
        const from = await transfer({ fromSubAccountId: b, toSubAccountId: primaryId, minutes: '0.0001' });
        expect(from.userErrors).toEqual([expect.objectContaining({ code: 'SUB_ACCOUNT_REMOVED', field: ['fromSubAccountId'] })]);
      });
    });

    it('returns the first transfer for the same key and input, and IDEMPOTENCY_CONFLICT for other input', async () => {
      const { agencyId, a, b } = await agencyWithClients();
      await fund(a, '10');
      const idempotencyKey = key('same');
      const input = { fromSubAccountId: a, toSubAccountId: b, minutes: '1', idempotencyKey, memo: 'once' };
      const first = await transfer(input);
      expect(first.userErrors).toEqual([]);
      await expectLedgerUnchanged(async () => {
        const again = await transfer(input);
        expect(again.userErrors).toEqual([]);
        expect(again.transfer.id).toBe(first.transfer.id);
        // A retry answers with the first result even after prices moved.
        expect(ok(await app.gql(UPDATE_SUB, { input: { id: b, markupPremium: '0.50' } })).updateSubAccount.userErrors).toEqual([]);
        expect((await transfer(input)).transfer).toEqual(first.transfer);

        for (const other of [{ minutes: '2' }, { toSubAccountId: a, fromSubAccountId: b }, { memo: 'twice' }, { tier: 'BASIC' }]) {
          const conflict = await transfer({ ...input, ...other });
          expect(conflict).toEqual({
            transfer: null,
            userErrors: [expect.objectContaining({ code: 'IDEMPOTENCY_CONFLICT', field: ['idempotencyKey'] })],
          });
        }
      });
      expect(await transfersWithKey(agencyId, idempotencyKey)).toBe(1);
      expect(await balance(a)).toBe('9.80');
    });

    it('moves money once for 20 concurrent identical requests', async () => {
      const { agencyId, a, b } = await agencyWithClients();
      await fund(a, '10');
      const idempotencyKey = key('race');
      const input = { fromSubAccountId: a, toSubAccountId: b, minutes: '7.5', idempotencyKey };
      const before = (await ledgerSnapshot()).transfers;
      const results = await Promise.all(Array.from({ length: 20 }, () => transfer(input)));
      for (const result of results) expect(result.userErrors).toEqual([]);
      expect(new Set(results.map((r) => r.transfer.id)).size).toBe(1);
      expect(await transfersWithKey(agencyId, idempotencyKey)).toBe(1);
      expect((await ledgerSnapshot()).transfers).toBe(before + 1);
      expect(await balance(a)).toBe('8.50');
      expect(await balance(b)).toBe('1.50');
    });

    it('lets only one of two concurrent transfers that together overdraw the source succeed', async () => {
      const { a, b, c } = await agencyWithClients();
      await fund(a, '10');
      // Each is 30 minutes at $0.20 = $6 of the $10.
      const results = await Promise.all([
        transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '30' }),
        transfer({ fromSubAccountId: a, toSubAccountId: c, minutes: '30' }),
      ]);
      const codes = results.map((r) => r.userErrors[0]?.code ?? 'OK').sort();
      expect(codes).toEqual(['INSUFFICIENT_FUNDS', 'OK']);
      expect(await balance(a)).toBe('4.00');
      const received = [await balance(b), await balance(c)].sort();
      expect(received).toEqual(['0.00', '6.00']);
    });

    it('runs opposite transfers between two wallets concurrently without deadlocks or lost updates', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '50');
      await fund(b, '50');
      // 20 each way: a→b 10 minutes at $0.20 = $2, b→a 8 minutes at $0.25 = $2.
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '10' })
            : transfer({ fromSubAccountId: b, toSubAccountId: a, minutes: '8' }),
        ),
      );
      for (const result of results) expect(result.userErrors).toEqual([]);
      expect(await balance(a)).toBe('50.00');
      expect(await balance(b)).toBe('50.00');
      const [{ n }] = await app.dataSource.query(
        `SELECT count(*)::int AS n FROM ledger_transfers WHERE debit_account_id = $1 AND kind = 'MINUTE_TRANSFER'`,
        [rawId((await wallet(a)).id)],
      );
      expect(n).toBe(20);
    });

    it('never strands money in a sub-account removed while transfers into it race the removal', async () => {
      const { primaryId, a, b } = await agencyWithClients();
      await fund(a, '20');
      const total = async () => [await balance(primaryId), await balance(a), await balance(b)].reduce((sum, x) => sum + parseMicros(x)!, 0n);
      const before = await total();
      const transfers = Array.from({ length: 10 }, () => transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '5' }));
      const removal = (async () => {
        await sleep(10);
        return ok(await app.gql(REMOVE_SUB, { id: b })).removeSubAccount;
      })();
      const results = await Promise.all(transfers);
      expect((await removal).userErrors).toEqual([]);
      for (const result of results) {
        expect(result.userErrors.map((e) => e.code)).toEqual(result.transfer ? [] : ['SUB_ACCOUNT_REMOVED']);
      }
      // Whatever arrived before the removal was swept to the primary with it; nothing arrived after.
      expect(await balance(b)).toBe('0.00');
      expect(await total()).toBe(before);
      const moved = results.filter((r) => r.transfer).length;
      expect(await balance(a)).toBe(formatMicros(20_000_000n - BigInt(moved) * 1_000_000n));
    });

    it('never fails a removal that races transfers touching the primary and the removed sub-account', async () => {
      // The interleaving that deadlocks when a group of transfers takes its locks item by item:
      // the group holds the primary's ledger row (item 1) and waits for the removed sub-account
      // (item 2), while the removal holds that sub-account and waits for the primary's row to sweep.
      // Row locks held by the test's own transactions put every party at that point in turn.
      const { agencyId, primaryId, a, c } = await agencyWithClients();
      const candidates = [await addSubAccount(app, agencyId), await addSubAccount(app, agencyId), await addSubAccount(app, agencyId)];
      const [b, x, z] = candidates.sort((p, q) => (rawId(p) < rawId(q) ? -1 : 1)); // b sorts before x
      for (const sub of [a, b, x, z]) await fund(sub, '10');
      const walletX = rawId((await wallet(x)).id);
      const hold = async (sql: string, id: string) => {
        const runner = app.dataSource.createQueryRunner();
        await runner.connect();
        await runner.startTransaction();
        await runner.query(sql, [id]);
        return async () => {
          await runner.rollbackTransaction();
          await runner.release();
        };
      };
      const releaseLedgerX = await hold(`SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE`, walletX);
      const releaseB = await hold(`SELECT 1 FROM sub_accounts WHERE id = $1 FOR UPDATE`, rawId(b));
      const releaseZ = await hold(`SELECT 1 FROM sub_accounts WHERE id = $1 FOR UPDATE`, rawId(z));
      const before = await ledgerSnapshot();

      // The removal locks x, then waits to read x's balance for the sweep.
      const removal = app.gql(REMOVE_SUB, { id: x });
      await sleep(200);
      // Transfers out of z wait on z, enough to occupy every batch a process writes at once;
      // the next two queue behind them and go together.
      const blocked: Array<ReturnType<typeof transfer>> = [];
      for (let i = 0; i < 8; i += 1) {
        blocked.push(transfer({ fromSubAccountId: z, toSubAccountId: c, minutes: '1' }));
        await sleep(30);
      }
      await sleep(100);
      const toPrimary = transfer({ fromSubAccountId: a, toSubAccountId: primaryId, minutes: '1' });
      await sleep(50);
      const toRemoved = transfer({ fromSubAccountId: b, toSubAccountId: x, minutes: '1' });
      await sleep(200);
      await releaseZ(); // the transfers out of z go; the next two may now hold the primary and wait on b
      await sleep(200);
      await releaseLedgerX(); // the removal now sweeps into the primary
      await sleep(200);
      await releaseB(); // whatever waited on b now asks for x

      const removed = await removal;
      expect(removed.errors).toBeUndefined();
      expect(removed.data.removeSubAccount.userErrors).toEqual([]);
      for (const result of await Promise.all(blocked)) expect(result.userErrors).toEqual([]);
      expect((await toPrimary).userErrors).toEqual([]);
      expect((await toRemoved).userErrors.map((e) => e.code)).toEqual(['SUB_ACCOUNT_REMOVED']);
      expect(await balance(x)).toBe('0.00');
      expect((await ledgerSnapshot()).transfers).toBe(before.transfers + 10); // 8 × z→c, a→primary, the sweep
    });

    it('refuses to move minutes out of a wallet that usage drove below zero', async () => {
      const { agencyId, a, b } = await agencyWithClients();
      await fund(a, '1');
      // Usage is the one movement allowed to overdraw (recorded here through the ledger itself).
      await app.dataSource.transaction(async (em) =>
        postTransfer(em, {
          agencyId: rawId(agencyId),
          kind: 'USAGE',
          debit: { id: rawId((await wallet(a)).id), type: 'WALLET' },
          credit: await systemAccount(em, 'PLATFORM_REVENUE'),
          amountMicros: 1_000_001n,
          allowOverdraft: true,
        }),
      );
      expect(await wallet(a)).toMatchObject({ balance: { amount: '-0.000001' }, basic: '-0.0001', premium: '-0.0001' });
      await expectLedgerUnchanged(async () => {
        const result = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '0.0001' });
        expect(result.userErrors[0].code).toBe('INSUFFICIENT_FUNDS');
        // Removal keeps the debt on the removed sub-account: no closure transfer.
        expect(ok(await app.gql(REMOVE_SUB, { id: a })).removeSubAccount.userErrors).toEqual([]);
      });
      expect(await balance(a)).toBe('-0.000001');
    });

    it('treats another spelling of a global id as an unknown id and moves nothing', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '10');
      await expectLedgerUnchanged(async () => {
        const result = await transfer({ fromSubAccountId: alias(a), toSubAccountId: b, minutes: '1', idempotencyKey: key('alias') });
        expect(result.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['fromSubAccountId'] })]);
      });
    });

    it('refuses to adjust the wallet of a removed sub-account', async () => {
      const { a } = await agencyWithClients();
      expect(ok(await app.gql(REMOVE_SUB, { id: a })).removeSubAccount.userErrors).toEqual([]);
      await expectLedgerUnchanged(async () => {
        const data = ok(
          await app.gql(
            `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { transfer { id } userErrors { code field } } }`,
            { input: { subAccountId: a, amount: '5', reason: 'goodwill', idempotencyKey: key('adj') } },
          ),
        );
        expect(data.adjustWalletBalance.userErrors).toEqual([{ code: 'SUB_ACCOUNT_REMOVED', field: ['subAccountId'] }]);
      });
    });

    it.each([
      ['zero', '0'],
      ['negative', '-1'],
      ['five decimals', '1.00001'],
      ['more than 10,000,000', '10000000.0001'],
    ])('refuses %s minutes with INVALID_MINUTES and changes nothing', async (_name, minutes) => {
      const { a, b } = await agencyWithClients();
      await fund(a, '10');
      await expectLedgerUnchanged(async () => {
        const result = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes });
        expect(result.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_MINUTES', field: ['minutes'] })]);
        const quote = await app.gql(QUOTE, { input: { fromSubAccountId: a, toSubAccountId: b, tier: 'PREMIUM', minutes, idempotencyKey: 'x' } });
        expect(errorCode(quote)).toBe('INVALID_MINUTES');
      });
    });

    it.each([
      ['empty', ''],
      ['with a space', 'two words'],
      ['with a slash (reserved for system keys)', 'system/plan-allocation/x'],
      ['longer than 200 characters', 'k'.repeat(201)],
    ])('refuses an idempotency key %s with INVALID_IDEMPOTENCY_KEY and changes nothing', async (_name, idempotencyKey) => {
      const { a, b } = await agencyWithClients();
      await fund(a, '10');
      await expectLedgerUnchanged(async () => {
        const result = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1', idempotencyKey });
        expect(result.userErrors).toEqual([expect.objectContaining({ code: 'INVALID_IDEMPOTENCY_KEY', field: ['idempotencyKey'] })]);
      });
    });

    it('is forbidden to client admins and usage ingest keys, and changes nothing', async () => {
      const { agencyId, a, b } = await agencyWithClients();
      await fund(a, '10');
      const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: a });
      const ingestKey = await createKey(app, 'USAGE_INGEST', { agencyId });
      await expectLedgerUnchanged(async () => {
        for (const token of [clientKey, ingestKey]) {
          const response = await app.gql(TRANSFER, {
            input: { fromSubAccountId: a, toSubAccountId: b, tier: 'PREMIUM', minutes: '1', idempotencyKey: key() },
          }, token);
          expect(errorCode(response)).toBe('FORBIDDEN');
          const quote = await app.gql(QUOTE, { input: { fromSubAccountId: a, toSubAccountId: b, tier: 'PREMIUM', minutes: '1', idempotencyKey: 'x' } }, token);
          expect(errorCode(quote)).toBe('FORBIDDEN');
        }
      });
    });
  });

  // ─── manual adjustments ─────────────────────────────────────────────────────

  // ─── transfers priced from remembered sub-accounts ──────────────────────────

  describe('transfers priced from remembered sub-accounts', () => {
    /** Sub-account lookups (PartyLookup's named statement) while `run` runs; a spy, the pool still queries. */
    async function lookupsDuring(run: () => Promise<unknown>): Promise<number> {
      // Every statement of the process goes through a pg Client, whichever pool path sent it.
      const spy = jest.spyOn(PgClient.prototype, 'query');
      try {
        await run();
        return spy.mock.calls.filter(([config]: unknown[]) => (config as { name?: string } | undefined)?.name === 'transfer_parties_v1').length;
      } finally {
        spy.mockRestore();
      }
    }

    it('looks the sub-accounts up once, then transfers between them without a lookup', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '100');
      expect(await lookupsDuring(() => transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' }))).toBe(1);
      const lookups = await lookupsDuring(async () => {
        for (let i = 0; i < 3; i++) expect((await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '0.5' })).userErrors).toEqual([]);
      });
      expect(lookups).toBe(0);
    });

    it('posts at the prices that hold when it commits, after another replica changed a markup', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '100');
      const input = { fromSubAccountId: a, toSubAccountId: b, tier: 'PREMIUM', minutes: '10', idempotencyKey: 'q' };
      const quoted = ok(await app.gql(QUOTE, { input })).transferQuote.minutesReceived;
      expect(quoted).toBe('8'); // a at $0.20, b at $0.25

      // Written by another process: this one's remembered rows still say $0.25.
      await app.dataSource.query(`UPDATE sub_accounts SET markup_premium_micros = 40000 WHERE id = $1`, [rawId(b)]);
      await expectLedgerUnchanged(async () => {
        const stale = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '10', expectedMinutesReceived: quoted });
        expect(stale.userErrors).toEqual([expect.objectContaining({ code: 'QUOTE_CHANGED' })]);
      });
      const posted = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '10' });
      expect(posted.userErrors).toEqual([]);
      expect(posted.transfer).toMatchObject({ amount: { amount: '2.00' }, minutesReceived: '10' }); // b now at $0.20
    });

    it('answers SUB_ACCOUNT_REMOVED for a remembered sub-account once removed, replays an earlier key, and transfers again after a restore', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '100');
      const first = { fromSubAccountId: a, toSubAccountId: b, minutes: '1', idempotencyKey: key('first') };
      const posted = await transfer(first);
      expect(posted.userErrors).toEqual([]);

      expect(ok(await app.gql(REMOVE_SUB, { id: b })).removeSubAccount.userErrors).toEqual([]);
      await expectLedgerUnchanged(async () => {
        const refused = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' });
        expect(refused.userErrors).toEqual([expect.objectContaining({ code: 'SUB_ACCOUNT_REMOVED' })]);
        const replayed = await transfer(first);
        expect(replayed.userErrors).toEqual([]);
        expect(replayed.transfer.id).toBe(posted.transfer.id);
      });

      expect(ok(await app.gql(RESTORE_SUB, { id: b })).restoreSubAccount.userErrors).toEqual([]);
      expect((await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' })).userErrors).toEqual([]);
    });

    it('does not let a remembered row of another agency answer for it', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '100');
      expect((await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' })).userErrors).toEqual([]);
      const other = await createAgency(app);
      const otherAdmin = await createKey(app, 'AGENCY_ADMIN', { agencyId: other.agencyId });
      await expectLedgerUnchanged(async () => {
        const refused = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' }, otherAdmin);
        expect(refused.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['fromSubAccountId'] })]);
      });
    });

    it('answers QUOTE_CHANGED, moving nothing, when the prices change before every posting of three', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '100');
      // Every price check fails: as if a markup changed between each lookup and its posting.
      const [{ definition }] = await app.dataSource.query(
        `SELECT pg_get_functiondef('minute_price_micros(text, sub_accounts, agencies, plans)'::regprocedure) AS definition`,
      );
      await app.dataSource.query(`CREATE OR REPLACE FUNCTION minute_price_micros(tier text, sub sub_accounts, agency agencies, plan plans)
        RETURNS bigint LANGUAGE sql STABLE AS $fn$ SELECT NULL::bigint $fn$`);
      try {
        await expectLedgerUnchanged(async () => {
          const lookups = await lookupsDuring(async () => {
            const refused = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' });
            expect(refused.userErrors).toEqual([expect.objectContaining({ code: 'QUOTE_CHANGED' })]);
          });
          expect(lookups).toBe(3);
        });
      } finally {
        await app.dataSource.query(definition);
      }
      expect((await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' })).userErrors).toEqual([]);
    });

    it('moves money once for 20 concurrent identical requests between remembered sub-accounts', async () => {
      const { agencyId, a, b } = await agencyWithClients();
      await fund(a, '10');
      expect((await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '1' })).userErrors).toEqual([]);
      const idempotencyKey = key('race');
      const input = { fromSubAccountId: a, toSubAccountId: b, minutes: '2.5', idempotencyKey };
      const lookups = await lookupsDuring(async () => {
        const results = await Promise.all(Array.from({ length: 20 }, () => transfer(input)));
        for (const result of results) expect(result.userErrors).toEqual([]);
        expect(new Set(results.map((r) => r.transfer.id)).size).toBe(1);
      });
      expect(lookups).toBe(0);
      expect(await transfersWithKey(agencyId, idempotencyKey)).toBe(1);
      expect(await balance(a)).toBe('9.30'); // $10 less 3.5 minutes at $0.20
    });

    it('refuses, as NOT_FOUND, a transfer between remembered sub-accounts of two agencies', async () => {
      const first = await agencyWithClients();
      const second = await agencyWithClients();
      await fund(first.a, '100');
      await fund(second.a, '100');
      // Both pairs remembered by this process (a platform admin may reach both agencies).
      expect((await transfer({ fromSubAccountId: first.a, toSubAccountId: first.b, minutes: '1' })).userErrors).toEqual([]);
      expect((await transfer({ fromSubAccountId: second.a, toSubAccountId: second.b, minutes: '1' })).userErrors).toEqual([]);
      await expectLedgerUnchanged(async () => {
        const refused = await transfer({ fromSubAccountId: first.a, toSubAccountId: second.b, minutes: '1' });
        expect(refused.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: ['toSubAccountId'] })]);
      });
    });

    /** A priced posting item of `minutes` PREMIUM minutes from `from` to `to` at the given per-minute prices. */
    async function pricedItem(from: string, to: string, fromPrice: bigint, toPrice: bigint, idx = 0) {
      const [fromWallet, toWallet] = await Promise.all([from, to].map(async (id) => rawId((await wallet(id)).id)));
      const [{ agency_id: agencyId }] = await app.dataSource.query(`SELECT agency_id FROM sub_accounts WHERE id = $1`, [rawId(from)]);
      const idempotencyKey = key('priced');
      return toPostingItem({
        agencyId, kind: 'MINUTE_TRANSFER', debit: { id: fromWallet, type: 'WALLET' }, credit: { id: toWallet, type: 'WALLET' },
        amountMicros: fromPrice, tier: 'PREMIUM', minutesSentUnits: 10_000n, minutesReceivedUnits: (fromPrice * 10_000n) / toPrice,
        idempotencyKey, requestSha256: requestHash('MINUTE_TRANSFER', [idempotencyKey]),
        activeSubAccountIds: [rawId(from), rawId(to)],
        pricedAt: [{ subAccountId: rawId(from), priceMicros: fromPrice }, { subAccountId: rawId(to), priceMicros: toPrice }],
      }, idx);
    }

    it('refuses, item by item, a posting whose prices no longer hold, and posts the rest of the batch', async () => {
      const { a, b, c } = await agencyWithClients();
      await fund(a, '100');
      const stale = await pricedItem(a, b, 200_000n, 240_000n, 0); // b is at $0.25
      const current = await pricedItem(a, c, 200_000n, 160_000n, 1);
      const results = await postItems(app.dataSource.manager, [stale, current]);
      expect(Object.fromEntries(results.map((r) => [r.r_idx, r.r_status]))).toEqual({ 0: 'PRICE_CHANGED', 1: 'POSTED' });
      expect(await transfersWithKey(await agencyOf(a), stale.idempotency_key!)).toBe(0);
      expect(await transfersWithKey(await agencyOf(a), current.idempotency_key!)).toBe(1);
    });

    it('waits for a markup change in progress and then refuses the price it replaced', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '100');
      const item = await pricedItem(a, b, 200_000n, 250_000n);
      const runner = app.dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction();
        await runner.query(`UPDATE sub_accounts SET markup_premium_micros = 40000 WHERE id = $1`, [rawId(b)]);
        let settled = false;
        const posting = postItems(app.dataSource.manager, [item]).finally(() => (settled = true));
        await sleep(300);
        expect(settled).toBe(false); // held by the markup change's row lock
        await runner.commitTransaction();
        const [result] = await posting;
        expect(result.r_status).toBe('PRICE_CHANGED');
      } finally {
        await runner.release();
      }
      expect(await transfersWithKey(await agencyOf(a), item.idempotency_key!)).toBe(0);
    });

    it('computes in SQL (minute_price_micros) exactly the price pricing.ts computes', async () => {
      const bigintMicros = fc.bigInt({ min: 0n, max: 5_000_000n });
      const cases = fc.sample(
        fc.record({
          tier: fc.constantFrom<MinuteTier>('BASIC', 'PREMIUM'),
          kind: fc.constantFrom<'PRIMARY' | 'SECONDARY'>('PRIMARY', 'SECONDARY'),
          applyBasePrice: fc.boolean(),
          markupBasicMicros: fc.option(bigintMicros, { nil: null }),
          markupPremiumMicros: fc.option(bigintMicros, { nil: null }),
          defaultMarkupBasicMicros: bigintMicros,
          defaultMarkupPremiumMicros: bigintMicros,
          basicPriceMicros: fc.bigInt({ min: 1n, max: 5_000_000n }),
          premiumPriceMicros: fc.bigInt({ min: 1n, max: 5_000_000n }),
        }),
        500,
      );
      const rows: Array<{ price: string }> = await app.dataSource.query(
        `SELECT minute_price_micros(c ->> 'tier',
                  jsonb_populate_record(NULL::sub_accounts, c -> 'sub'),
                  jsonb_populate_record(NULL::agencies, c -> 'agency'),
                  jsonb_populate_record(NULL::plans, c -> 'plan'))::text AS price
           FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(c, n) ORDER BY n`,
        [JSON.stringify(cases.map((c) => ({
          tier: c.tier,
          sub: { kind: c.kind, apply_base_price: c.applyBasePrice, markup_basic_micros: c.markupBasicMicros?.toString() ?? null,
            markup_premium_micros: c.markupPremiumMicros?.toString() ?? null },
          agency: { default_markup_basic_micros: c.defaultMarkupBasicMicros.toString(), default_markup_premium_micros: c.defaultMarkupPremiumMicros.toString() },
          plan: { basic_price_micros: c.basicPriceMicros.toString(), premium_price_micros: c.premiumPriceMicros.toString() },
        })))],
      );
      expect(rows.map((r) => BigInt(r.price))).toEqual(cases.map((c) => minutePriceMicros(c, c, c, c.tier)));
    });

    async function agencyOf(subAccountId: string): Promise<string> {
      const [{ agency_id: id }] = await app.dataSource.query(`SELECT agency_id FROM sub_accounts WHERE id = $1`, [rawId(subAccountId)]);
      return toGlobalId('Agency', id);
    }
  });

  describe('adjustWalletBalance', () => {
    it('is for platform admins only', async () => {
      const { agencyId, a } = await agencyWithClients();
      const agencyKey = await createKey(app, 'AGENCY_ADMIN', { agencyId });
      await expectLedgerUnchanged(async () => {
        const response = await app.gql(ADJUST, { input: { subAccountId: a, amount: '5', reason: 'gift', idempotencyKey: key() } }, agencyKey);
        expect(errorCode(response)).toBe('FORBIDDEN');
      });
    });

    it('credits and debits a wallet against the platform grants account, with the reason as memo', async () => {
      const { agencyId, a } = await agencyWithClients();
      const credit = await adjust(a, '25.5', { reason: 'goodwill credit' });
      expect(credit.userErrors).toEqual([]);
      const walletId = (await wallet(a)).id;
      expect(credit.transfer).toMatchObject({
        kind: 'ADJUSTMENT', amount: { amount: '25.50' }, memo: 'goodwill credit', fromWallet: null, toWallet: { id: walletId },
        tier: null, minutesSent: null, minutesReceived: null,
      });
      const debit = await adjust(a, '-5.250001', { reason: 'correction' });
      expect(debit.transfer).toMatchObject({ kind: 'ADJUSTMENT', amount: { amount: '5.250001' }, fromWallet: { id: walletId }, toWallet: null });
      expect(await balance(a)).toBe('20.249999');

      const rows = await app.dataSource.query(
        `SELECT d.type AS debit, c.type AS credit, t.amount_micros
           FROM ledger_transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
          WHERE t.agency_id = $1 AND t.kind = 'ADJUSTMENT' ORDER BY t.created_at, t.amount_micros DESC`,
        [rawId(agencyId)],
      );
      expect(rows).toEqual([
        { debit: 'PLATFORM_GRANTS', credit: 'WALLET', amount_micros: '25500000' },
        { debit: 'WALLET', credit: 'PLATFORM_GRANTS', amount_micros: '5250001' },
      ]);
    });

    it('never debits below zero: INSUFFICIENT_FUNDS, nothing changed', async () => {
      const { a } = await agencyWithClients();
      await fund(a, '3');
      await expectLedgerUnchanged(async () => {
        const result = await adjust(a, '-3.000001');
        expect(result.userErrors).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_FUNDS' })]);
      });
      expect((await adjust(a, '-3')).userErrors).toEqual([]);
      expect(await balance(a)).toBe('0.00');
    });

    it.each([
      ['an empty reason', { reason: '' }, 'INVALID_MEMO', 'reason'],
      ['a blank reason', { reason: '   ' }, 'INVALID_MEMO', 'reason'],
      ['a zero amount', { amount: '0' }, 'INVALID_AMOUNT', 'amount'],
      ['a debit of more than $1,000,000', { amount: '-1000000.000001' }, 'INVALID_AMOUNT', 'amount'],
      ['more than $1,000,000', { amount: '1000000.000001' }, 'INVALID_AMOUNT', 'amount'],
      ['an invalid key', { idempotencyKey: 'a b' }, 'INVALID_IDEMPOTENCY_KEY', 'idempotencyKey'],
      ['an unknown sub-account', { subAccountId: toGlobalId('SubAccount', randomUUID()) }, 'NOT_FOUND', 'subAccountId'],
    ])('refuses %s and changes nothing', async (_name, override, code, field) => {
      const { a } = await agencyWithClients();
      await expectLedgerUnchanged(async () => {
        const result = await mutate(ADJUST, { subAccountId: a, amount: '1', reason: 'why', idempotencyKey: key(), ...override });
        expect(result).toEqual({ transfer: null, userErrors: [expect.objectContaining({ code, field: [field] })] });
      });
    });

    it('is idempotent: the same key and input return the first transfer, other input conflicts', async () => {
      const { a } = await agencyWithClients();
      const input = { idempotencyKey: key('adj-once'), reason: 'refund' };
      const racing = await Promise.all(Array.from({ length: 10 }, () => adjust(a, '7', input)));
      const first = racing[0];
      expect(first.userErrors).toEqual([]);
      for (const result of racing) expect(result.transfer.id).toBe(first.transfer.id);
      await expectLedgerUnchanged(async () => {
        const again = await Promise.all([adjust(a, '7', input), adjust(a, '7', input)]);
        for (const result of again) expect(result.transfer).toEqual(first.transfer);
        expect((await adjust(alias(a), '7', input)).userErrors[0].code).toBe('NOT_FOUND');
        expect((await adjust(a, '8', input)).userErrors[0].code).toBe('IDEMPOTENCY_CONFLICT');
        expect((await adjust(a, '7', { ...input, reason: 'other' })).userErrors[0].code).toBe('IDEMPOTENCY_CONFLICT');
      });
      expect(await balance(a)).toBe('7.00');
    });
  });

  // ─── removal sweeps ─────────────────────────────────────────────────────────

  describe('removeSubAccount', () => {
    it('sweeps a positive balance to the primary as SUB_ACCOUNT_CLOSURE; restore does not bring it back', async () => {
      const { primaryId, a } = await agencyWithClients();
      await fund(a, '12.345678');
      await sleep(5); // the closure is newer than the funding, to the millisecond
      const [walletA, primaryWallet] = [await wallet(a), await wallet(primaryId)];
      expect(primaryWallet.balance.amount).toBe('160.00');

      expect(ok(await app.gql(REMOVE_SUB, { id: a })).removeSubAccount).toEqual({ removedSubAccountId: a, userErrors: [] });
      expect(await balance(a)).toBe('0.00');
      expect(await balance(primaryId)).toBe('172.345678');
      const closures = ok(await app.gql(WALLET_TRANSFERS, { id: primaryId, kind: 'SUB_ACCOUNT_CLOSURE' })).subAccount.wallet.transfers;
      expect(closures.totalCount).toBe(1);
      expect(closures.edges[0].node).toMatchObject({
        kind: 'SUB_ACCOUNT_CLOSURE', amount: { amount: '12.345678' }, fromWallet: { id: walletA.id }, toWallet: { id: primaryWallet.id },
      });

      await expectLedgerUnchanged(async () => {
        expect(ok(await app.gql(RESTORE_SUB, { id: a })).restoreSubAccount.userErrors).toEqual([]);
      });
      expect(await balance(a)).toBe('0.00');
      expect(await balance(primaryId)).toBe('172.345678');
      // The history stays with the restored sub-account.
      const history = ok(await app.gql(WALLET_TRANSFERS, { id: a })).subAccount.wallet.transfers;
      expect(history.edges.map((e: any) => e.node.kind)).toEqual(['SUB_ACCOUNT_CLOSURE', 'ADJUSTMENT']);
    });

    it('writes no transfer when the removed wallet is empty', async () => {
      const { b } = await agencyWithClients();
      await expectLedgerUnchanged(async () => {
        expect(ok(await app.gql(REMOVE_SUB, { id: b })).removeSubAccount.userErrors).toEqual([]);
      });
    });
  });

  // ─── immutability ───────────────────────────────────────────────────────────

  describe('immutability of transfer rows', () => {
    it.each([
      ['UPDATE', `UPDATE ledger_transfers SET memo = 'rewritten'`],
      ['UPDATE of the amount', `UPDATE ledger_transfers SET amount_micros = amount_micros + 1`],
      ['DELETE', `DELETE FROM ledger_transfers`],
      ['TRUNCATE', `TRUNCATE ledger_transfers CASCADE`],
      ['TRUNCATE through a cascade', `TRUNCATE ledger_accounts CASCADE`],
    ])('refuses %s in the database', async (_name, sql) => {
      await createAgency(app);
      await expectLedgerUnchanged(async () => {
        await expect(app.dataSource.query(sql)).rejects.toThrow(/append-only/);
      });
    });

    it('refuses a plain TRUNCATE in the database', async () => {
      await createAgency(app);
      await expectLedgerUnchanged(async () => {
        // Refused by the append-only trigger, or first by the tables that reference transfer rows.
        await expect(app.dataSource.query(`TRUNCATE ledger_transfers`)).rejects.toThrow(/append-only|foreign key/);
      });
    });
  });

  // ─── profit ─────────────────────────────────────────────────────────────────

  describe('agency profit', () => {
    it('shows accrued markup as earned and pending, and earned only within a range', async () => {
      const { agencyId } = await createAgency(app);
      await app.dataSource.transaction((em) =>
        accrueMarkupProfit(em, { agencyId: rawId(agencyId), amountMicros: 4_000_000n, memo: 'markup on $20' }),
      );
      await app.dataSource.transaction((em) => accrueMarkupProfit(em, { agencyId: rawId(agencyId), amountMicros: 1n }));
      expect(ok(await app.gql(PROFIT, { id: agencyId })).agency.profit).toEqual({
        earned: { amount: '4.000001' },
        paidOut: { amount: '0.00' },
        pendingPayout: { amount: '4.000001' },
        payoutThreshold: { amount: '100.00' },
      });
      const past = { from: '2020-01-01T00:00:00.000Z', to: '2021-01-01T00:00:00.000Z' };
      expect(ok(await app.gql(PROFIT, { id: agencyId, range: past })).agency.profit).toMatchObject({
        earned: { amount: '0.00' },
        pendingPayout: { amount: '4.000001' },
      });
      const now = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 3_600_000).toISOString() };
      expect(ok(await app.gql(PROFIT, { id: agencyId, range: now })).agency.profit.earned).toEqual({ amount: '4.000001' });

      const rows = await app.dataSource.query(
        `SELECT d.type AS debit, c.type AS credit, t.amount_micros FROM ledger_transfers t
           JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
          WHERE t.agency_id = $1 AND t.kind = 'MARKUP_PROFIT' ORDER BY t.amount_micros DESC`,
        [rawId(agencyId)],
      );
      expect(rows).toEqual([
        { debit: 'PLATFORM_REVENUE', credit: 'AGENCY_PROFIT', amount_micros: '4000000' },
        { debit: 'PLATFORM_REVENUE', credit: 'AGENCY_PROFIT', amount_micros: '1' },
      ]);
    });

    it('accrues nothing when the purchase’s transaction rolls back', async () => {
      const { agencyId } = await createAgency(app);
      await expectLedgerUnchanged(async () => {
        await expect(
          app.dataSource.transaction(async (em) => {
            await accrueMarkupProfit(em, { agencyId: rawId(agencyId), amountMicros: 9_000_000n });
            throw new Error('the charge failed');
          }),
        ).rejects.toThrow('the charge failed');
      });
      expect(ok(await app.gql(PROFIT, { id: agencyId })).agency.profit).toMatchObject({
        earned: { amount: '0.00' },
        pendingPayout: { amount: '0.00' },
      });
    });

    it('accrues once per idempotency key', async () => {
      const { agencyId } = await createAgency(app);
      const accrue = () =>
        app.dataSource.transaction((em) =>
          accrueMarkupProfit(em, {
            agencyId: rawId(agencyId),
            amountMicros: 2_500_000n,
            idempotencyKey: 'system/top-up/1',
            requestSha256: Buffer.alloc(32, 1),
          }),
        );
      const first = await accrue();
      const second = await accrue();
      expect(first?.replayed).toBe(false);
      expect(second?.replayed).toBe(true);
      expect(second?.transfer.id).toBe(first?.transfer.id);
      expect(ok(await app.gql(PROFIT, { id: agencyId })).agency.profit.pendingPayout).toEqual({ amount: '2.50' });
    });

    it('is agency-wide data a client admin may not read', async () => {
      const { agencyId, a } = await agencyWithClients();
      const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: a });
      expect(errorCode(await app.gql(PROFIT, { id: agencyId }, clientKey))).toBe('FORBIDDEN');
    });
  });

  // ─── reads ──────────────────────────────────────────────────────────────────

  describe('Wallet.transfers', () => {
    it('lists transfers newest first, filters by kind and range, and pages with a total count', async () => {
      const { primaryId, a } = await agencyWithClients();
      const done: any[] = [];
      const step = async (run: () => Promise<{ transfer: any; userErrors: unknown[] }>) => {
        const result = await run();
        expect(result.userErrors).toEqual([]);
        done.push(result.transfer);
        await sleep(5); // distinct milliseconds, so "newest first" is one order
      };
      await step(() => adjust(a, '10'));
      await step(() => transfer({ fromSubAccountId: primaryId, toSubAccountId: a, minutes: '10' }));
      await step(() => transfer({ fromSubAccountId: a, toSubAccountId: primaryId, minutes: '2' }));
      await step(() => adjust(a, '-1'));
      const newestFirst = [...done].reverse().map((t) => t.id);

      const all = ok(await app.gql(WALLET_TRANSFERS, { id: a })).subAccount.wallet.transfers;
      expect(all.totalCount).toBe(4);
      expect(all.edges.map((e: any) => e.node.id)).toEqual(newestFirst);
      expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

      const moves = ok(await app.gql(WALLET_TRANSFERS, { id: a, kind: 'MINUTE_TRANSFER' })).subAccount.wallet.transfers;
      expect(moves.totalCount).toBe(2);
      expect(moves.edges.map((e: any) => e.node.id)).toEqual([done[2].id, done[1].id]);

      const range = { from: done[1].createdAt, to: done[3].createdAt };
      const inRange = ok(await app.gql(WALLET_TRANSFERS, { id: a, range })).subAccount.wallet.transfers;
      expect(inRange.totalCount).toBe(2);
      expect(inRange.edges.map((e: any) => e.node.id)).toEqual([done[2].id, done[1].id]);
      const past = { from: '2020-01-01T00:00:00.000Z', to: '2020-02-01T00:00:00.000Z' };
      expect(ok(await app.gql(WALLET_TRANSFERS, { id: a, range: past })).subAccount.wallet.transfers.totalCount).toBe(0);

      const first = ok(await app.gql(WALLET_TRANSFERS, { id: a, first: 3 })).subAccount.wallet.transfers;
      expect(first.totalCount).toBe(4);
      expect(first.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(0, 3));
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const second = ok(await app.gql(WALLET_TRANSFERS, { id: a, first: 3, after: first.pageInfo.endCursor })).subAccount.wallet.transfers;
      expect(second.totalCount).toBe(4);
      expect(second.edges.map((e: any) => e.node.id)).toEqual(newestFirst.slice(3));
      expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

      // The primary's own list: its plan allocation and both minute transfers.
      const primary = ok(await app.gql(WALLET_TRANSFERS, { id: primaryId })).subAccount.wallet.transfers;
      expect(primary.edges.map((e: any) => e.node.kind)).toEqual(['MINUTE_TRANSFER', 'MINUTE_TRANSFER', 'PLAN_ALLOCATION']);
    });

    it('shows a client admin its own side of a transfer, never the sibling’s wallet', async () => {
      const { a, b } = await agencyWithClients();
      await fund(a, '10');
      const moved = await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '5' });
      const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: b });
      const own = ok(await app.gql(WALLET_TRANSFERS, { id: b }, clientKey)).subAccount.wallet.transfers;
      expect(own.edges.map((e: any) => e.node)).toEqual([
        expect.objectContaining({ id: moved.transfer.id, fromWallet: null, toWallet: { id: (await wallet(b)).id } }),
      ]);
      expect(ok(await app.gql(WALLET_TRANSFERS, { id: a }, clientKey)).subAccount).toBeNull();
    });
  });

  describe('wallet reads', () => {
    it('shows balance and available minutes per tier at the sub-account’s own price after transfers', async () => {
      const { primaryId, a, b, c } = await agencyWithClients();
      await transfer({ fromSubAccountId: primaryId, toSubAccountId: a, minutes: '100' }); // $16
      await transfer({ fromSubAccountId: a, toSubAccountId: b, minutes: '20' }); // $4
      await transfer({ fromSubAccountId: a, toSubAccountId: c, tier: 'BASIC', minutes: '33.3333' }); // $3.33333
      expect(await wallet(primaryId)).toMatchObject({ balance: { amount: '144.00' }, basic: '1600', premium: '900' });
      expect(await wallet(a)).toMatchObject({ balance: { amount: '8.66667' }, basic: '86.6667', premium: '43.3333' });
      expect(await wallet(b)).toMatchObject({ balance: { amount: '4.00' }, basic: '40', premium: '16' });
      expect(await wallet(c)).toMatchObject({ balance: { amount: '3.33333' }, basic: '37.037', premium: '20.8333' });
    });
  });

  // ─── verification (last: it reads the whole ledger this file wrote) ─────────

  describe('ledger_post_batch: one statement for a batch', () => {
    it('gives every item its own outcome, and a refused item writes nothing while the others post', async () => {
      const { agencyId } = await createAgency(app);
      const [a, b, empty, removed] = [
        await addSubAccount(app, agencyId), await addSubAccount(app, agencyId), await addSubAccount(app, agencyId), await addSubAccount(app, agencyId),
      ];
      await fund(a, '10');
      await fund(b, '10');
      expect(ok(await app.gql(REMOVE_SUB, { id: removed })).removeSubAccount.userErrors).toEqual([]);
      const walletOf = async (sub: string) => rawId((await wallet(sub)).id);
      const [wa, wb, wEmpty, wRemoved] = [await walletOf(a), await walletOf(b), await walletOf(empty), await walletOf(removed)];
      const agency = rawId(agencyId);
      const shared = key('batch');
      const item = (idx: number, from: string, to: string, amount: bigint, extra: Partial<TransferRequest> = {}) =>
        toPostingItem({
          agencyId: agency, kind: 'MINUTE_TRANSFER', debit: { id: from, type: 'WALLET' }, credit: { id: to, type: 'WALLET' },
          amountMicros: amount, idempotencyKey: key('item'), requestSha256: requestHash('test', [idx]), ...extra,
        }, idx);
      const before = await app.dataSource.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE agency_id = $1`, [agency]);

      const results = await postItems(app.dataSource, [
        item(0, wa, wb, 1_000_000n, { idempotencyKey: shared, requestSha256: requestHash('test', ['same']) }),
        item(1, wa, wb, 1_000_000n, { idempotencyKey: shared, requestSha256: requestHash('test', ['same']) }),
        item(2, wa, wb, 2_000_000n, { idempotencyKey: shared, requestSha256: requestHash('test', ['other']) }),
        item(3, wEmpty, wa, 1n),
        item(4, wb, wRemoved, 1_000_000n, { activeSubAccountIds: [rawId(b), rawId(removed)] }),
        item(5, wb, wa, 3_000_000n),
      ]);

      expect(results.map((r) => [r.r_idx, r.r_status])).toEqual([
        [0, 'POSTED'], [1, 'REPLAYED'], [2, 'IDEMPOTENCY_CONFLICT'], [3, 'INSUFFICIENT_FUNDS'], [4, 'SUB_ACCOUNT_REMOVED'], [5, 'POSTED'],
      ]);
      expect(results[1].r_transfer_id).toBe(results[0].r_transfer_id);
      expect(results[5]).toMatchObject({ r_debit_balance: '8000000', r_credit_balance: '12000000' });
      const after = await app.dataSource.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE agency_id = $1`, [agency]);
      expect(after[0].n - before[0].n).toBe(2);
      expect([await balance(a), await balance(b), await balance(empty), await balance(removed)]).toEqual(['12.00', '8.00', '0.00', '0.00']);
    });

    /** Three wallets of a new agency, `a` and `b` funded with $10, `empty` with nothing; their ledger ids. */
    async function threeWallets() {
      const { agencyId } = await createAgency(app);
      const subs = { a: await addSubAccount(app, agencyId), b: await addSubAccount(app, agencyId), empty: await addSubAccount(app, agencyId) };
      await fund(subs.a, '10');
      await fund(subs.b, '10');
      const ids = { a: rawId((await wallet(subs.a)).id), b: rawId((await wallet(subs.b)).id), empty: rawId((await wallet(subs.empty)).id) };
      const item = (idx: number, from: string, to: string, amount: bigint, extra: Partial<TransferRequest> = {}) =>
        toPostingItem({
          agencyId: rawId(agencyId), kind: 'MINUTE_TRANSFER', debit: { id: from, type: 'WALLET' }, credit: { id: to, type: 'WALLET' },
          amountMicros: amount, idempotencyKey: key('item'), requestSha256: requestHash('test', [idx]), ...extra,
        }, idx);
      return { subs, ids, item };
    }

    it('decides each item on the balances the earlier items of its batch left, and writes their events in posting order', async () => {
      const { subs, ids, item } = await threeWallets();
      const results = await postItems(app.dataSource, [
        item(0, ids.a, ids.empty, 6_000_000n), // a 10 → 4 (LOW_BALANCE), empty 0 → 6 (BALANCE_RECOVERED)
        item(1, ids.empty, ids.b, 5_500_000n), // spends what item 0 brought: empty 6 → 0.5 (LOW_BALANCE)
        item(2, ids.empty, ids.b, 1_000_000n), // only 0.5 left
      ]);
      expect(results.map((r) => r.r_status)).toEqual(['POSTED', 'POSTED', 'INSUFFICIENT_FUNDS']);
      expect(results[0]).toMatchObject({ r_debit_balance: '4000000', r_credit_balance: '6000000' });
      expect(results[1]).toMatchObject({ r_debit_balance: '500000', r_credit_balance: '15500000' });
      expect([await balance(subs.a), await balance(subs.empty), await balance(subs.b)]).toEqual(['4.00', '0.50', '15.50']);

      const events: Array<{ transfer_id: string; sub_account_id: string; type: string; balance: string; delta: string }> =
        await app.dataSource.query(
          `SELECT transfer_id, sub_account_id, type, balance_micros::text AS balance, delta_micros::text AS delta
             FROM outbox_events WHERE transfer_id = ANY ($1) ORDER BY xid, id`,
          [[results[0].r_transfer_id, results[1].r_transfer_id]],
        );
      // Every event of the first transfer comes before the second's.
      expect(events.map((e) => e.transfer_id)).toEqual([
        ...events.filter((e) => e.transfer_id === results[0].r_transfer_id).map((e) => e.transfer_id),
        ...events.filter((e) => e.transfer_id === results[1].r_transfer_id).map((e) => e.transfer_id),
      ]);
      const of = (sub: string) => events.filter((e) => e.sub_account_id === rawId(sub)).map((e) => [e.type, e.balance, e.delta]);
      expect(of(subs.a)).toEqual([['BALANCE_CHANGED', '4000000', '-6000000'], ['LOW_BALANCE', '4000000', '-6000000']]);
      expect(of(subs.empty)).toEqual([
        ['BALANCE_CHANGED', '6000000', '6000000'], ['BALANCE_RECOVERED', '6000000', '6000000'],
        ['BALANCE_CHANGED', '500000', '-5500000'], ['LOW_BALANCE', '500000', '-5500000'],
      ]);
      expect(of(subs.b)).toEqual([['BALANCE_CHANGED', '15500000', '5500000']]);
      expect((await verifyLedger(app.dataSource)).ok).toBe(true);
    });

    it('makes a batch that reuses the key of an uncommitted posting wait for it: a replay after its commit, a posting after its rollback', async () => {
      for (const ending of ['COMMIT', 'ROLLBACK'] as const) {
        const { subs, ids, item } = await threeWallets();
        const shared = { idempotencyKey: key('race'), requestSha256: requestHash('test', ['race']) };
        const first = app.dataSource.createQueryRunner();
        await first.connect();
        try {
          await first.startTransaction();
          const [mine] = await postItems(first.manager, [item(0, ids.a, ids.b, 1_000_000n, shared)]);
          expect(mine.r_status).toBe('POSTED');
          // The second batch (autocommit, another connection) blocks on the key until the first ends.
          const second = postItems(app.dataSource, [item(0, ids.a, ids.b, 1_000_000n, shared)]);
          await sleep(200);
          if (ending === 'COMMIT') await first.commitTransaction();
          else await first.rollbackTransaction();
          const [theirs] = await second;
          if (ending === 'COMMIT') {
            expect(theirs).toMatchObject({ r_status: 'REPLAYED', r_transfer_id: mine.r_transfer_id });
          } else {
            expect(theirs.r_status).toBe('POSTED');
            expect(theirs.r_transfer_id).not.toBe(mine.r_transfer_id);
          }
          // Either way the key moved money exactly once.
          expect([await balance(subs.a), await balance(subs.b)]).toEqual(['9.00', '11.00']);
        } finally {
          await first.release();
        }
      }
    });

    it('refuses a batch naming a ledger account that does not exist, writing nothing of it', async () => {
      const { subs, ids, item } = await threeWallets();
      await expect(postItems(app.dataSource, [item(0, ids.a, ids.b, 1_000_000n), item(1, ids.a, randomUUID(), 1_000_000n)])).rejects.toThrow(
        /does not exist/,
      );
      expect([await balance(subs.a), await balance(subs.b)]).toEqual(['10.00', '10.00']);
    });
  });

  describe('ledger verification', () => {
    it('finds every stored balance equal to its transfers and debits equal to credits', async () => {
      const result = await verifyLedger(app.dataSource);
      expect(result.problems).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.transfers).toBeGreaterThan(50);
      expect(result.totalDebitsMicros).toBe(result.totalCreditsMicros);
    });

    it('reports a stored balance that no longer matches its transfers', async () => {
      const { primaryId } = await createAgency(app);
      const walletId = rawId((await wallet(primaryId)).id);
      // A consistent row (balance = credits − debits) whose figures no transfer explains.
      await app.dataSource.query(
        `UPDATE ledger_accounts SET credits_micros = credits_micros + 1, balance_micros = balance_micros + 1 WHERE id = $1`,
        [walletId],
      );
      try {
        const result = await verifyLedger(app.dataSource);
        expect(result.ok).toBe(false);
        expect(result.problems).toEqual([expect.stringContaining(`account ${walletId} (WALLET)`)]);
      } finally {
        await app.dataSource.query(
          `UPDATE ledger_accounts SET credits_micros = credits_micros - 1, balance_micros = balance_micros - 1 WHERE id = $1`,
          [walletId],
        );
      }
      expect((await verifyLedger(app.dataSource)).ok).toBe(true);
    });
  });
});
