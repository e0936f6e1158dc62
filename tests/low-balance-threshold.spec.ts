import { randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { balanceOf, callInput, INGEST_RECORD } from './helpers/usage';
import { subscribe, wsClient } from './helpers/ws';
import { decodeId, toGlobalId } from '../src/shared/global-id';
import { DomainError } from '../src/shared/domain-error';
import { validLowBalanceThresholdMicros } from '../src/modules/wallet/low-balance-threshold';

/**
 * setLowBalanceThreshold: who may set it, what it accepts, that a refusal changes nothing,
 * and that it emits nothing itself while the next balance change is judged against it.
 *
 * World: agency A (Ap = primary, A1, A2) and agency B (Bp, B1); keys for the agency A
 * admin, the client admins of A1 and A2, the agency B admin and A's usage-ingest key.
 */

const SET = `mutation($input: SetLowBalanceThresholdInput!) {
  setLowBalanceThreshold(input: $input) {
    wallet { id balance { amount } lowBalanceThreshold { amount } subAccount { id } }
    userErrors { code message field }
  }
}`;

const CROSSINGS = ['LOW_BALANCE', 'BALANCE_DEPLETED', 'BALANCE_RECOVERED'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('validLowBalanceThresholdMicros', () => {
  it.each([
    ['0', 0n],
    ['5', 5_000_000n],
    ['0.000001', 1n],
    ['12.5', 12_500_000n],
    ['1000000', 1_000_000_000_000n],
    ['1000000.000000', 1_000_000_000_000n],
  ])('should accept %p as %p micro-dollars', (value, micros) => {
    expect(validLowBalanceThresholdMicros(value, ['threshold'])).toBe(micros);
  });

  it.each([
    ['a negative amount', '-0.000001'],
    ['more than $1,000,000', '1000000.000001'],
    ['more than 6 decimals', '1.1234567'],
    ['not a number', 'five'],
    ['an exponent', '1e3'],
    ['an empty string', ''],
  ])('should refuse %s with INVALID_AMOUNT on the threshold field', (_label, value) => {
    let thrown: unknown;
    try {
      validLowBalanceThresholdMicros(value, ['threshold']);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ code: 'INVALID_AMOUNT', field: ['threshold'] });
  });
});

describe('setLowBalanceThreshold', () => {
  let app: TestApp;
  const ids = {} as Record<'A' | 'B' | 'Ap' | 'A1' | 'A2' | 'Bp' | 'B1', string>;
  const keys = {} as Record<'agencyA' | 'clientA1' | 'clientA2' | 'agencyB' | 'usageA', string>;

  const set = (subAccountId: string, threshold: unknown, token?: string | null): Promise<GraphQLResponse> =>
    app.gql(SET, { input: { subAccountId, threshold } }, token);

  /** The stored threshold in micro-dollars, read from the table itself. */
  async function storedMicros(subAccountId: string): Promise<bigint> {
    const [row] = await app.dataSource.query(`SELECT low_balance_threshold_micros AS t FROM wallets WHERE sub_account_id = $1`, [
      decodeId(subAccountId, 'SubAccount'),
    ]);
    return BigInt(row.t);
  }

  async function readThreshold(subAccountId: string, token?: string): Promise<string> {
    const data = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { lowBalanceThreshold { amount } } } }`, { id: subAccountId }, token));
    return data.subAccount.wallet.lowBalanceThreshold.amount;
  }

  async function setOk(subAccountId: string, threshold: string, token?: string): Promise<any> {
    const payload = ok(await set(subAccountId, threshold, token)).setLowBalanceThreshold;
    expect(payload.userErrors).toEqual([]);
    return payload.wallet;
  }

  async function adjust(subAccountId: string, amount: string): Promise<void> {
    const data = ok(
      await app.gql(
        `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code message } } }`,
        { input: { subAccountId, amount, reason: 'threshold test', idempotencyKey: 'adj-' + randomBytes(6).toString('hex') } },
      ),
    );
    expect(data.adjustWalletBalance.userErrors).toEqual([]);
  }

  async function removeSubAccount(id: string): Promise<void> {
    ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id }));
  }

  /** The highest outbox row id of a sub-account, the baseline for "what came after". */
  async function lastOutboxId(subAccountId: string): Promise<string> {
    const [row] = await app.dataSource.query(`SELECT coalesce(max(id), 0)::text AS id FROM outbox_events WHERE sub_account_id = $1`, [
      decodeId(subAccountId, 'SubAccount'),
    ]);
    return row.id;
  }

  /** Outbox rows of a sub-account after a baseline, as [type, balance in micro-dollars]. */
  async function outboxSince(subAccountId: string, afterId: string, types?: string[]): Promise<Array<[string, string | null]>> {
    const rows = await app.dataSource.query(
      `SELECT type, balance_micros::text AS balance FROM outbox_events
        WHERE sub_account_id = $1 AND id > $2 AND ($3::text[] IS NULL OR type = ANY($3)) ORDER BY xid, id`,
      [decodeId(subAccountId, 'SubAccount'), afterId, types ?? null],
    );
    return rows.map((r: { type: string; balance: string | null }) => [r.type, r.balance]);
  }

  /** A well-formed SubAccount id that exists nowhere. */
  const nowhere = () => toGlobalId('SubAccount', randomUUID());

  beforeAll(async () => {
    app = await startTestApp();
    const a = await createAgency(app, { name: 'Threshold A' });
    const b = await createAgency(app, { name: 'Threshold B' });
    Object.assign(ids, {
      A: a.agencyId,
      B: b.agencyId,
      Ap: a.primaryId,
      A1: await addSubAccount(app, a.agencyId, { name: 'A1' }),
      A2: await addSubAccount(app, a.agencyId, { name: 'A2' }),
      Bp: b.primaryId,
      B1: await addSubAccount(app, b.agencyId, { name: 'B1' }),
    });
    Object.assign(keys, {
      agencyA: await createKey(app, 'AGENCY_ADMIN', { agencyId: ids.A }),
      clientA1: await createKey(app, 'CLIENT_ADMIN', { subAccountId: ids.A1 }),
      clientA2: await createKey(app, 'CLIENT_ADMIN', { subAccountId: ids.A2 }),
      agencyB: await createKey(app, 'AGENCY_ADMIN', { agencyId: ids.B }),
      usageA: await createKey(app, 'USAGE_INGEST', { agencyId: ids.A }),
    });
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('who may set it', () => {
    it('should start every wallet at the $5 default', async () => {
      expect(await readThreshold(ids.A1)).toBe('5.00');
      expect(await storedMicros(ids.B1)).toBe(5_000_000n);
    });

    it.each([
      ['the platform admin', 'platform', 'B1', '7.5', '7.50'],
      ['the agency admin, on a secondary of its agency', 'agencyA', 'A2', '12.345678', '12.345678'],
      ['the agency admin, on its primary', 'agencyA', 'Ap', '0', '0.00'],
      ['a client admin, on its own sub-account', 'clientA1', 'A1', '25', '25.00'],
    ] as const)('should let %s set it', async (_label, caller, target, threshold, shown) => {
      const token = caller === 'platform' ? app.platformKey : keys[caller];
      const wallet = await setOk(ids[target], threshold, token);
      expect(wallet.lowBalanceThreshold.amount).toBe(shown);
      expect(wallet.subAccount.id).toBe(ids[target]);
      expect(await readThreshold(ids[target])).toBe(shown);
      expect(await readThreshold(ids[target], token)).toBe(shown);
    });

    it('should give the same answer twice when the same value is set again', async () => {
      const first = await setOk(ids.A2, '9.99', keys.agencyA);
      const second = await setOk(ids.A2, '9.99', keys.agencyA);
      expect(second).toEqual(first);
    });

    it.each([
      ['the agency B admin, on a sub-account of agency A', 'agencyB', 'A1'],
      ['the agency B admin, on agency A primary', 'agencyB', 'Ap'],
      ['the agency A admin, on a sub-account of agency B', 'agencyA', 'B1'],
      ['a client admin, on a sibling of its agency', 'clientA1', 'A2'],
      ['a client admin, on its agency primary', 'clientA1', 'Ap'],
      ['a client admin, on a sub-account of another agency', 'clientA2', 'B1'],
    ] as const)('should answer %s exactly like an id that does not exist, and change nothing', async (_label, caller, target) => {
      const before = await storedMicros(ids[target]);
      const foreign = await set(ids[target], '42', keys[caller]);
      const missing = await set(nowhere(), '42', keys[caller]);
      expect(foreign).toEqual(missing);
      expect(foreign.data?.setLowBalanceThreshold).toEqual({
        wallet: null,
        userErrors: [{ code: 'NOT_FOUND', message: 'Sub-account not found', field: ['subAccountId'] }],
      });
      expect(await storedMicros(ids[target])).toBe(before);
    });

    it('should answer an id of another type or garbage with NOT_FOUND', async () => {
      for (const id of [ids.A, toGlobalId('Wallet', randomUUID()), '!!', '']) {
        const payload = ok(await set(id, '1', keys.agencyA)).setLowBalanceThreshold;
        expect(payload.userErrors.map((e: any) => e.code)).toEqual(['NOT_FOUND']);
      }
    });

    it('should refuse the usage-ingest key with FORBIDDEN, whatever the id, and change nothing', async () => {
      const before = await storedMicros(ids.A1);
      for (const id of [ids.A1, ids.B1, nowhere()]) {
        const response = await set(id, '1', keys.usageA);
        expect(errorCode(response)).toBe('FORBIDDEN');
        expect(response.data).toBeNull();
      }
      expect(await storedMicros(ids.A1)).toBe(before);
    });

    it('should refuse a request without credentials with UNAUTHENTICATED', async () => {
      const response = await set(ids.A1, '1', null);
      expect(response.status).toBe(401);
      expect(errorCode(response)).toBe('UNAUTHENTICATED');
    });
  });

  describe('what it accepts', () => {
    it.each([
      ['a negative amount', '-1'],
      ['a negative micro-dollar', '-0.000001'],
      ['more than $1,000,000', '1000000.000001'],
      ['$10,000,000', '10000000'],
    ])('should refuse %s with INVALID_AMOUNT on threshold and change nothing', async (_label, threshold) => {
      await setOk(ids.A1, '6', keys.agencyA);
      const payload = ok(await set(ids.A1, threshold, keys.agencyA)).setLowBalanceThreshold;
      expect(payload.wallet).toBeNull();
      expect(payload.userErrors).toEqual([
        { code: 'INVALID_AMOUNT', message: expect.stringContaining('0 to 1,000,000'), field: ['threshold'] },
      ]);
      expect(await storedMicros(ids.A1)).toBe(6_000_000n);
    });

    // The Decimal scalar refuses these before the resolver runs (as for every Decimal input).
    it.each([
      ['more than 6 decimals', '1.1234567'],
      ['not a number', 'five dollars'],
      ['an exponent', '1e3'],
      ['an empty string', ''],
      ['a JSON number', 5],
      ['more than 12 integer digits', '1234567890123'],
    ])('should refuse %s with BAD_USER_INPUT and change nothing', async (_label, threshold) => {
      await setOk(ids.A1, '6', keys.agencyA);
      const response = await set(ids.A1, threshold, keys.agencyA);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.data).toBeUndefined();
      expect(await storedMicros(ids.A1)).toBe(6_000_000n);
    });

    it('should accept the bounds 0 and 1,000,000 exactly', async () => {
      expect((await setOk(ids.A1, '1000000', keys.agencyA)).lowBalanceThreshold.amount).toBe('1000000.00');
      expect(await storedMicros(ids.A1)).toBe(1_000_000_000_000n);
      expect((await setOk(ids.A1, '0.000000', keys.agencyA)).lowBalanceThreshold.amount).toBe('0.00');
      expect(await storedMicros(ids.A1)).toBe(0n);
    });

    it('should validate the amount before the id, so an invalid amount tells nothing about a foreign id', async () => {
      const foreign = ok(await set(ids.A1, '-1', keys.agencyB)).setLowBalanceThreshold;
      const missing = ok(await set(nowhere(), '-1', keys.agencyB)).setLowBalanceThreshold;
      expect(foreign).toEqual(missing);
      expect(foreign.userErrors.map((e: any) => e.code)).toEqual(['INVALID_AMOUNT']);
    });
  });

  describe('a removed sub-account', () => {
    it('should refuse with SUB_ACCOUNT_REMOVED for its agency admin and its own client admin, and change nothing', async () => {
      const sub = await addSubAccount(app, ids.A);
      const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: sub });
      await setOk(sub, '3', keys.agencyA);
      await removeSubAccount(sub);
      for (const token of [keys.agencyA, clientKey, app.platformKey]) {
        const payload = ok(await set(sub, '8', token)).setLowBalanceThreshold;
        expect(payload).toEqual({
          wallet: null,
          userErrors: [{ code: 'SUB_ACCOUNT_REMOVED', message: expect.any(String), field: ['subAccountId'] }],
        });
      }
      expect(await storedMicros(sub)).toBe(3_000_000n);
      // Still NOT_FOUND (not SUB_ACCOUNT_REMOVED) for a foreign agency: removal leaks nothing either.
      const foreign = ok(await set(sub, '8', keys.agencyB)).setLowBalanceThreshold;
      expect(foreign.userErrors.map((e: any) => e.code)).toEqual(['NOT_FOUND']);

      ok(await app.gql(`mutation($id: ID!) { restoreSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: sub }));
      expect((await setOk(sub, '8', clientKey)).lowBalanceThreshold.amount).toBe('8.00');
    });
  });

  describe('events', () => {
    it('should write nothing to the outbox when the threshold is set, even when the balance changes band', async () => {
      const sub = await addSubAccount(app, ids.A);
      await adjust(sub, '10'); // OK against the $5 default
      const baseline = await lastOutboxId(sub);
      await setOk(sub, '20', keys.agencyA); // now below the threshold
      await setOk(sub, '0', keys.agencyA); // and back above it
      await setOk(sub, '15', keys.agencyA);
      expect(await outboxSince(sub, baseline)).toEqual([]);
    });

    it('should judge the next debit against a threshold set between the balance and the debit, through a minute transfer', async () => {
      const sub = await addSubAccount(app, ids.A);
      await adjust(sub, '10');
      await setOk(sub, '9.5', keys.agencyA);
      const baseline = await lastOutboxId(sub);
      // $1 at $0.16/min; against the $5 default, 10 → 9 would have crossed nothing.
      const moved = ok(
        await app.gql(
          `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { amount { amount } } userErrors { code message } } }`,
          { input: { fromSubAccountId: sub, toSubAccountId: ids.A2, tier: 'PREMIUM', minutes: '6.25', idempotencyKey: 'move-' + randomBytes(6).toString('hex') } },
          keys.agencyA,
        ),
      ).transferMinutes;
      expect(moved.userErrors).toEqual([]);
      expect(moved.transfer.amount.amount).toBe('1.00');
      expect(await outboxSince(sub, baseline)).toEqual([
        ['BALANCE_CHANGED', '9000000'],
        ['LOW_BALANCE', '9000000'],
      ]);
    });

    it('should judge usage debits against a threshold raised above the balance: no LOW_BALANCE (already low), DEPLETED at zero', async () => {
      const sub = await addSubAccount(app, ids.A);
      await adjust(sub, '10');
      await setOk(sub, '20', keys.agencyA);
      const baseline = await lastOutboxId(sub);
      // PREMIUM at $0.16/min: an hour costs $9.60.
      const first = ok(await app.gql(INGEST_RECORD, { input: callInput({ subAccountId: sub, durationSeconds: 3600 }) }, keys.usageA)).recordCallUsage;
      expect(first.userErrors).toEqual([]);
      expect(await balanceOf(app, sub)).toBe('0.40');
      const second = ok(await app.gql(INGEST_RECORD, { input: callInput({ subAccountId: sub, durationSeconds: 3600 }) }, keys.usageA)).recordCallUsage;
      expect(second.userErrors).toEqual([]);
      expect(await balanceOf(app, sub)).toBe('-9.20');
      expect(await outboxSince(sub, baseline, CROSSINGS)).toEqual([['BALANCE_DEPLETED', '-9200000']]);
    });

    it('should judge credits and debits against a raised threshold: RECOVERED above it, LOW_BALANCE below it', async () => {
      const sub = await addSubAccount(app, ids.A);
      await adjust(sub, '10');
      await setOk(sub, '20', keys.agencyA);
      const baseline = await lastOutboxId(sub);
      await adjust(sub, '-2'); // 10 → 8: LOW → LOW against $20
      await adjust(sub, '13'); // 8 → 21: LOW → OK (against $5 it would be OK → OK)
      await adjust(sub, '-2'); // 21 → 19: OK → LOW (against $5: nothing)
      await adjust(sub, '-19'); // 19 → 0: DEPLETED
      expect(await outboxSince(sub, baseline, CROSSINGS)).toEqual([
        ['BALANCE_RECOVERED', '21000000'],
        ['LOW_BALANCE', '19000000'],
        ['BALANCE_DEPLETED', '0'],
      ]);
    });

    it('should report no LOW_BALANCE below a lowered threshold, and none at all with a threshold of 0 until depleted', async () => {
      const sub = await addSubAccount(app, ids.A);
      await adjust(sub, '10');
      await setOk(sub, '0', keys.agencyA);
      const baseline = await lastOutboxId(sub);
      await adjust(sub, '-7'); // 10 → 3: would be LOW against the $5 default
      await adjust(sub, '-3'); // 3 → 0
      await adjust(sub, '1'); // 0 → 1: above 0 is OK when the threshold is 0
      expect(await outboxSince(sub, baseline, CROSSINGS)).toEqual([
        ['BALANCE_DEPLETED', '0'],
        ['BALANCE_RECOVERED', '1000000'],
      ]);
    });

    it('should deliver the crossing to a live subscriber, and nothing for the set itself', async () => {
      const sub = await addSubAccount(app, ids.A);
      const clientKey = await createKey(app, 'CLIENT_ADMIN', { subAccountId: sub });
      await adjust(sub, '10');
      const clientSocket = wsClient(app.wsUrl, clientKey);
      const agencySocket = wsClient(app.wsUrl, keys.agencyA);
      try {
        const own = subscribe(clientSocket, `subscription { walletBalanceChanged { sequence balance { amount } } }`);
        const activity = subscribe(
          agencySocket,
          `subscription($agencyId: ID!) { agencyActivity(agencyId: $agencyId) { type subAccount { id } balanceEvent { balance { amount } } } }`,
          { agencyId: ids.A },
        );
        await sleep(300);
        await setOk(sub, '9.5', clientKey);
        await adjust(sub, '-1'); // 10 → 9: LOW against $9.50
        await own.waitFor(1);
        await activity.waitFor(2);
        await sleep(300);
        expect(own.events.map((e) => e.walletBalanceChanged.balance.amount)).toEqual(['9.00']);
        expect(
          activity.events
            .filter((e) => e.agencyActivity.subAccount?.id === sub)
            .map((e) => [e.agencyActivity.type, e.agencyActivity.balanceEvent?.balance.amount]),
        ).toEqual([
          ['BALANCE_CHANGED', '9.00'],
          ['LOW_BALANCE', '9.00'],
        ]);
        own.stop();
        activity.stop();
      } finally {
        await clientSocket.dispose();
        await agencySocket.dispose();
      }
    });
  });

  describe('concurrency', () => {
    it('should end two concurrent sets with one of the two values, each caller seeing its own', async () => {
      const values = [
        { threshold: '7.25', micros: 7_250_000n, token: () => keys.agencyA },
        { threshold: '123.456789', micros: 123_456_789n, token: () => keys.clientA1 },
      ];
      for (let round = 0; round < 25; round++) {
        const answers = await Promise.all(values.map((v) => set(ids.A1, v.threshold, v.token())));
        answers.forEach((answer, i) => {
          const payload = ok(answer).setLowBalanceThreshold;
          expect(payload.userErrors).toEqual([]);
          expect(payload.wallet.lowBalanceThreshold.amount).toBe(values[i].threshold);
        });
        const stored = await storedMicros(ids.A1);
        expect(values.map((v) => v.micros)).toContain(stored);
        expect(await readThreshold(ids.A1)).toBe(values.find((v) => v.micros === stored)!.threshold);
      }
    });

    it('should either set before a concurrent removal or be refused with SUB_ACCOUNT_REMOVED, never both or neither', async () => {
      for (let round = 0; round < 6; round++) {
        const sub = await addSubAccount(app, ids.A);
        const [answer] = await Promise.all([set(sub, '11', keys.agencyA), removeSubAccount(sub)]);
        const payload = ok(answer).setLowBalanceThreshold;
        const stored = await storedMicros(sub);
        if (payload.userErrors.length === 0) {
          expect(stored).toBe(11_000_000n);
        } else {
          expect(payload.userErrors.map((e: any) => e.code)).toEqual(['SUB_ACCOUNT_REMOVED']);
          expect(stored).toBe(5_000_000n);
        }
      }
    });
  });
});
