import { randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import {
  ago, balanceOf, callId, callInput, createScenario, fund, micros, recordCall, RECORD, RECORD_BATCH, setAgencyMarkup, usageOf,
} from './helpers/usage';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { decodeId, toGlobalId } from '../src/shared/global-id';

/**
 * Call usage ingestion through the real GraphQL endpoint: pricing, idempotency (also under
 * concurrency), batches with partial failures, removed sub-accounts, tenancy, scenarios.
 */
describe('call usage ingestion', () => {
  jest.setTimeout(60_000);
  let app: TestApp;
  let agencyId: string;
  let primaryId: string;
  let defaultSub: string; // follows the agency default markup ($0.02 basic, $0.04 premium)
  let overrideSub: string; // premium markup overridden to $0.10
  let baseSub: string; // "apply base price"

  beforeAll(async () => {
    app = await startTestApp();
    ({ agencyId, primaryId } = await createAgency(app));
    await setAgencyMarkup(app, agencyId, '0.02', '0.04');
    defaultSub = await addSubAccount(app, agencyId);
    overrideSub = await addSubAccount(app, agencyId, { markupPremium: '0.10' });
    baseSub = await addSubAccount(app, agencyId, { applyBasePrice: true });
  });

  afterAll(() => app.close());

  const transfersOfCall = async (externalCallId: string) =>
    app.dataSource.query(`SELECT kind, amount_micros, debit_account_id, credit_account_id, tier FROM ledger_transfers WHERE memo = $1`, [
      `Call ${externalCallId}`,
    ]);

  describe('pricing', () => {
    it.each<[string, () => string, 'BASIC' | 'PREMIUM', number, string, string]>([
      ['a secondary on the agency default, Premium', () => defaultSub, 'PREMIUM', 90, '0.20', '0.30'],
      ['a secondary on the agency default, Basic', () => defaultSub, 'BASIC', 90, '0.11', '0.165'],
      ['a secondary with its own markup (61 s rounds up to the micro-dollar)', () => overrideSub, 'PREMIUM', 61, '0.26', '0.264334'],
      ['a secondary with "apply base price"', () => baseSub, 'PREMIUM', 60, '0.16', '0.16'],
      ['the primary, which pays the base price', () => primaryId, 'PREMIUM', 45, '0.16', '0.12'],
      ['one second of Premium at the base price', () => primaryId, 'PREMIUM', 1, '0.16', '0.002667'],
    ])('should charge %s', async (_name, sub, tier, durationSeconds, price, cost) => {
      const before = micros(await balanceOf(app, sub()));
      const externalCallId = callId();
      const payload = ok(await recordCall(app, { subAccountId: sub(), tier, durationSeconds, externalCallId })).recordCallUsage;
      expect(payload.userErrors).toEqual([]);
      expect(payload.call).toMatchObject({ externalCallId, tier, durationSeconds, minutePrice: { amount: price }, cost: { amount: cost } });
      expect(micros(payload.wallet.balance.amount)).toBe(before - micros(cost));
      // One USAGE transfer from the wallet to the platform's revenue, of exactly the cost.
      const [transfer] = await transfersOfCall(externalCallId);
      const [{ id: revenue }] = await app.dataSource.query(`SELECT id FROM ledger_accounts WHERE type = 'PLATFORM_REVENUE'`);
      expect(transfer).toMatchObject({ kind: 'USAGE', amount_micros: String(micros(cost)), credit_account_id: revenue, tier });
      expect(transfer.debit_account_id).toBe(decodeId(payload.wallet.id, 'Wallet'));
    });

    it('should record a call of 0 seconds without moving money', async () => {
      const externalCallId = callId();
      const payload = ok(await recordCall(app, { subAccountId: defaultSub, durationSeconds: 0, status: 'NO_ANSWER', externalCallId }))
        .recordCallUsage;
      expect(payload.call).toMatchObject({ durationSeconds: 0, status: 'NO_ANSWER', cost: { amount: '0.00' } });
      expect(await transfersOfCall(externalCallId)).toEqual([]);
    });

    it('should charge the price in force when the call is recorded, and never reprice recorded calls', async () => {
      const sub = await addSubAccount(app, agencyId);
      const first = ok(await recordCall(app, { subAccountId: sub, durationSeconds: 60 })).recordCallUsage.call;
      expect(first.cost.amount).toBe('0.20');
      await setAgencyMarkup(app, agencyId, '0.02', '0.09');
      try {
        const second = ok(await recordCall(app, { subAccountId: sub, durationSeconds: 60 })).recordCallUsage.call;
        expect(second.cost.amount).toBe('0.25');
        const again = ok(await app.gql(`query($id: ID!) { node(id: $id) { ... on Call { cost { amount } minutePrice { amount } } } }`, { id: first.id }));
        expect(again.node).toEqual({ cost: { amount: '0.20' }, minutePrice: { amount: '0.20' } });
        const usage = await usageOf(app, sub, { from: ago(24 * 60), to: ago(-1) });
        expect(usage.spent.amount).toBe('0.45');
        expect(usage.profit.amount).toBe('0.13'); // 0.04 + 0.09
      } finally {
        await setAgencyMarkup(app, agencyId, '0.02', '0.04');
      }
    });

    it('should let usage drive a wallet below zero, and nothing else', async () => {
      const sub = await addSubAccount(app, agencyId);
      await fund(app, sub, '0.10');
      const payload = ok(await recordCall(app, { subAccountId: sub, durationSeconds: 3600 })).recordCallUsage;
      expect(payload.call.cost.amount).toBe('12.00');
      expect(payload.wallet.balance.amount).toBe('-11.90');
      const transfer = ok(
        await app.gql(
          `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { userErrors { code } } }`,
          { input: { fromSubAccountId: sub, toSubAccountId: primaryId, tier: 'PREMIUM', minutes: '1', idempotencyKey: callId('t') } },
        ),
      );
      expect(transfer.transferMinutes.userErrors).toEqual([{ code: 'INSUFFICIENT_FUNDS' }]);
    });
  });

  describe('idempotency', () => {
    it('should return the first record of a call pushed again and charge it once', async () => {
      const input = callInput({ subAccountId: defaultSub, durationSeconds: 120 });
      const before = micros(await balanceOf(app, defaultSub));
      const first = ok(await app.gql(RECORD, { input })).recordCallUsage;
      const second = ok(await app.gql(RECORD, { input })).recordCallUsage;
      expect(second.userErrors).toEqual([]);
      expect(second.call).toEqual(first.call);
      expect(micros(await balanceOf(app, defaultSub))).toBe(before - micros('0.40'));
      expect(await transfersOfCall(input.externalCallId)).toHaveLength(1);
    });

    it.each<[string, Record<string, unknown>]>([
      ['another duration', { durationSeconds: 121 }],
      ['another status', { status: 'VOICEMAIL' }],
      ['another tier', { tier: 'BASIC' }],
      ['another start', { startedAt: ago(61) }],
    ])('should refuse the same externalCallId with %s (IDEMPOTENCY_CONFLICT) and change nothing', async (_name, change) => {
      const input = callInput({ subAccountId: defaultSub, durationSeconds: 120 });
      ok(await app.gql(RECORD, { input }));
      const before = await balanceOf(app, defaultSub);
      const payload = ok(await app.gql(RECORD, { input: { ...input, ...change } })).recordCallUsage;
      expect(payload).toEqual({
        call: null,
        wallet: null,
        userErrors: [{ code: 'IDEMPOTENCY_CONFLICT', message: expect.any(String), field: ['externalCallId'] }],
      });
      expect(await balanceOf(app, defaultSub)).toBe(before);
    });

    it('should scope externalCallId to the sub-account', async () => {
      const externalCallId = callId();
      const a = ok(await recordCall(app, { subAccountId: defaultSub, externalCallId })).recordCallUsage.call;
      const b = ok(await recordCall(app, { subAccountId: overrideSub, externalCallId })).recordCallUsage.call;
      expect(a.id).not.toBe(b.id);
    });

    it('should record 20 concurrent duplicates once and charge once', async () => {
      const sub = await addSubAccount(app, agencyId);
      const input = callInput({ subAccountId: sub, durationSeconds: 600 });
      const responses = await Promise.all(Array.from({ length: 20 }, () => app.gql(RECORD, { input })));
      const payloads = responses.map((r) => ok(r).recordCallUsage);
      expect(payloads.flatMap((p) => p.userErrors)).toEqual([]);
      expect(new Set(payloads.map((p) => p.call.id)).size).toBe(1);
      const [{ n }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM calls WHERE external_call_id = $1`, [input.externalCallId]);
      expect(n).toBe(1);
      expect(await transfersOfCall(input.externalCallId)).toHaveLength(1);
      expect(await balanceOf(app, sub)).toBe('-2.00');
      expect((await usageOf(app, sub, { from: ago(24 * 60), to: ago(-1) })).callCount).toBe(1);
    });

    it('should record 20 concurrent duplicate batches once', async () => {
      const sub = await addSubAccount(app, agencyId);
      const inputs = Array.from({ length: 50 }, (_, i) => callInput({ subAccountId: sub, durationSeconds: 60, startedAt: ago(100 + i) }));
      const responses = await Promise.all(Array.from({ length: 20 }, () => app.gql(RECORD_BATCH, { inputs })));
      for (const response of responses) expect(ok(response).recordCallUsageBatch.userErrors).toEqual([]);
      const ids = responses.map((r) => ok(r).recordCallUsageBatch.calls.map((c: { id: string }) => c.id).join());
      expect(new Set(ids).size).toBe(1);
      expect(await balanceOf(app, sub)).toBe('-10.00'); // 50 × $0.20
    });
  });

  describe('batches', () => {
    it('should record the good calls and refuse each bad one with its index', async () => {
      const sub = await addSubAccount(app, agencyId);
      const foreign = await createAgency(app);
      const recorded = callInput({ subAccountId: sub });
      ok(await app.gql(RECORD, { input: recorded }));
      const inputs = [
        callInput({ subAccountId: sub, durationSeconds: 30 }),
        callInput({ subAccountId: sub, durationSeconds: -5 }),
        callInput({ subAccountId: sub, externalCallId: 'has space' }),
        callInput({ subAccountId: sub, durationSeconds: 90_000 }),
        callInput({ subAccountId: foreign.primaryId }),
        callInput({ subAccountId: sub, startedAt: ago(-60) }),
        { ...recorded, durationSeconds: 61 }, // conflicts with a call recorded before
        recorded, // a retry of that call: replays it, whatever came before it in the batch
        callInput({ subAccountId: sub, durationSeconds: 90 }),
        callInput({ subAccountId: toGlobalId('SubAccount', randomUUID()) }),
        callInput({ subAccountId: sub, scenarioId: toGlobalId('Scenario', randomUUID()) }),
      ];
      const admin = await createKey(app, 'AGENCY_ADMIN', { agencyId });
      const payload = ok(await app.gql(RECORD_BATCH, { inputs }, admin)).recordCallUsageBatch;
      expect(payload.userErrors.map((e: { code: string; field: string[] }) => [e.code, e.field])).toEqual([
        ['INVALID_DURATION', ['inputs', '1', 'durationSeconds']],
        ['INVALID_EXTERNAL_CALL_ID', ['inputs', '2', 'externalCallId']],
        ['INVALID_DURATION', ['inputs', '3', 'durationSeconds']],
        ['NOT_FOUND', ['inputs', '4', 'subAccountId']],
        ['INVALID_DATE', ['inputs', '5', 'startedAt']],
        ['IDEMPOTENCY_CONFLICT', ['inputs', '6', 'externalCallId']],
        ['NOT_FOUND', ['inputs', '9', 'subAccountId']],
        ['NOT_FOUND', ['inputs', '10', 'scenarioId']],
      ]);
      expect(payload.calls.map((c: { externalCallId: string }) => c.externalCallId)).toEqual([
        inputs[0].externalCallId, recorded.externalCallId, inputs[8].externalCallId,
      ]);
      // $0.20 (the first recording) + $0.10 + $0.30: the retry and the refused calls charged nothing.
      expect(await balanceOf(app, sub)).toBe('-0.60');
      expect(await balanceOf(app, foreign.primaryId)).toBe('160.00');
    });

    it('should treat the same call twice in one batch as a retry, and other terms under its id as a conflict', async () => {
      const sub = await addSubAccount(app, agencyId);
      const call = callInput({ subAccountId: sub });
      const payload = ok(await app.gql(RECORD_BATCH, { inputs: [call, call, { ...call, durationSeconds: 5 }] })).recordCallUsageBatch;
      expect(payload.calls).toHaveLength(2);
      expect(payload.calls[0]).toEqual(payload.calls[1]);
      expect(payload.userErrors.map((e: { code: string; field: string[] }) => [e.code, e.field])).toEqual([
        ['IDEMPOTENCY_CONFLICT', ['inputs', '2', 'externalCallId']],
      ]);
      expect(await balanceOf(app, sub)).toBe('-0.20');
    });

    it('should take 1,000 calls in one request and refuse 1,001 without recording any', async () => {
      const sub = await addSubAccount(app, agencyId);
      const inputs = Array.from({ length: 1001 }, (_, i) =>
        callInput({ subAccountId: sub, durationSeconds: i % 120, startedAt: ago(2000 - i), tier: i % 2 ? 'BASIC' : 'PREMIUM' }),
      );
      const refused = await app.gql(RECORD_BATCH, { inputs });
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(await balanceOf(app, sub)).toBe('0.00');
      const payload = ok(await app.gql(RECORD_BATCH, { inputs: inputs.slice(0, 1000) })).recordCallUsageBatch;
      expect(payload.userErrors).toEqual([]);
      expect(payload.calls).toHaveLength(1000);
      const expected = payload.calls.reduce((sum: bigint, c: { cost: { amount: string } }) => sum + micros(c.cost.amount), 0n);
      expect(-micros(await balanceOf(app, sub))).toBe(expected);
      expect((await usageOf(app, sub, { from: ago(3000), to: ago(-1) })).callCount).toBe(1000);
    });

    it('should answer an empty batch with nothing', async () => {
      expect(ok(await app.gql(RECORD_BATCH, { inputs: [] })).recordCallUsageBatch).toEqual({ calls: [], userErrors: [] });
    });

    it('should not deadlock when concurrent batches debit the same wallets in different orders', async () => {
      const subs = [await addSubAccount(app, agencyId), await addSubAccount(app, agencyId), await addSubAccount(app, agencyId)];
      const batches = Array.from({ length: 12 }, (_, b) =>
        Array.from({ length: 60 }, (_, i) => callInput({ subAccountId: subs[(b + i) % 3], durationSeconds: 60, startedAt: ago(10 + i) })),
      );
      const responses = await Promise.all(batches.map((inputs) => app.gql(RECORD_BATCH, { inputs })));
      for (const response of responses) expect(ok(response).recordCallUsageBatch.userErrors).toEqual([]);
      for (const sub of subs) expect(await balanceOf(app, sub)).toBe('-48.00'); // 240 calls × $0.20
    });

    it('should record each shared call once when concurrent batches send overlapping calls in different orders', async () => {
      const subs = [await addSubAccount(app, agencyId), await addSubAccount(app, agencyId)];
      // 40 calls every batch sends (in its own order), and 20 of each batch's own, over the same days, tiers and statuses.
      const shared = Array.from({ length: 40 }, (_, i) => callInput({ subAccountId: subs[i % 2], durationSeconds: 60, startedAt: ago(20 + i) }));
      const batches = Array.from({ length: 8 }, (_, b) => {
        const own = Array.from({ length: 20 }, (_, i) => callInput({ subAccountId: subs[(b + i) % 2], durationSeconds: 60, startedAt: ago(20 + i) }));
        const order = b % 2 === 0 ? [...shared].reverse() : shared.slice(b).concat(shared.slice(0, b));
        return b % 3 === 0 ? [...own, ...order] : [...order, ...own];
      });
      const responses = await Promise.all(batches.map((inputs) => app.gql(RECORD_BATCH, { inputs })));
      for (const response of responses) expect(ok(response).recordCallUsageBatch.userErrors).toEqual([]);
      const idOf = new Map<string, Set<string>>();
      for (const [b, response] of responses.entries()) {
        ok(response).recordCallUsageBatch.calls.forEach((call: { id: string }, i: number) => {
          const key = batches[b][i].externalCallId;
          idOf.set(key, (idOf.get(key) ?? new Set()).add(call.id));
        });
      }
      for (const call of shared) expect(idOf.get(call.externalCallId)!.size).toBe(1);
      // 20 shared + 80 own calls per sub-account, $0.20 each.
      for (const sub of subs) expect(await balanceOf(app, sub)).toBe('-20.00');
      for (const sub of subs) expect((await usageOf(app, sub, { from: ago(24 * 60), to: ago(-1) })).callCount).toBe(100);
    });
  });

  describe('removed sub-accounts', () => {
    it('should charge calls that started before the removal and refuse those that started after', async () => {
      const sub = await addSubAccount(app, agencyId);
      const before = callInput({ subAccountId: sub, startedAt: ago(30), durationSeconds: 60 });
      const retried = callInput({ subAccountId: sub, startedAt: ago(40), durationSeconds: 60 });
      ok(await app.gql(RECORD, { input: retried }));
      const removed = ok(
        await app.gql(`mutation($input: RemoveSubAccountInput!) { removeSubAccount(input: $input) { userErrors { code } } }`, { input: { id: sub } }),
      );
      expect(removed.removeSubAccount.userErrors).toEqual([]);
      const late = ok(await recordCall(app, { subAccountId: sub, startedAt: new Date(Date.now() + 1000).toISOString(), durationSeconds: 0 }))
        .recordCallUsage;
      expect(late.userErrors).toEqual([{ code: 'SUB_ACCOUNT_REMOVED', message: expect.any(String), field: ['subAccountId'] }]);
      const early = ok(await app.gql(RECORD, { input: before })).recordCallUsage;
      expect(early.userErrors).toEqual([]);
      expect(early.wallet.balance.amount).toBe('-0.40'); // both calls charged to the removed sub-account's wallet
      expect(ok(await app.gql(RECORD, { input: retried })).recordCallUsage.userErrors).toEqual([]);
    });
  });

  describe('tenancy', () => {
    let other: { agencyId: string; primaryId: string };
    let ingestKey: string;
    let otherAdmin: string;
    let clientKey: string;

    beforeAll(async () => {
      other = await createAgency(app);
      ingestKey = await createKey(app, 'USAGE_INGEST', { agencyId });
      otherAdmin = await createKey(app, 'AGENCY_ADMIN', { agencyId: other.agencyId });
      clientKey = await createKey(app, 'CLIENT_ADMIN', { agencyId, subAccountId: defaultSub });
    });

    it("should let an ingest key record its agency's calls and read nothing back but the call", async () => {
      const payload = ok(
        await app.gql(
          `mutation($input: RecordCallUsageInput!) { recordCallUsage(input: $input) { call { id durationSeconds } wallet { id } userErrors { code } } }`,
          { input: callInput({ subAccountId: defaultSub }) },
          ingestKey,
        ),
      ).recordCallUsage;
      expect(payload.userErrors).toEqual([]);
      expect(payload.call.durationSeconds).toBe(60);
      expect(payload.wallet).toBeNull();
      // The cost is the client's price times the duration: refused (tests/usage-ingest-access.spec.ts has every field).
      expect(errorCode(await recordCall(app, { subAccountId: defaultSub }, ingestKey))).toBe('FORBIDDEN');
      const nested = await app.gql(
        `mutation($input: RecordCallUsageInput!) { recordCallUsage(input: $input) { call { id subAccount { name } } } }`,
        { input: callInput({ subAccountId: defaultSub }) },
        ingestKey,
      );
      expect(errorCode(nested)).toBe('FORBIDDEN');
      expect(errorCode(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: payload.call.id }, ingestKey))).toBe('FORBIDDEN');
      expect(errorCode(await app.gql(`query($id: ID!) { subAccount(id: $id) { id } }`, { id: defaultSub }, ingestKey))).toBe('FORBIDDEN');
    });

    it.each([
      ['an ingest key of agency A', () => ingestKey],
      ['an agency admin of agency B', () => otherAdmin],
    ])("should answer %s recording for another agency's sub-account exactly like a missing one", async (_name, token) => {
      const target = () => (token() === ingestKey ? other.primaryId : defaultSub);
      const externalCallId = callId();
      const foreign = await app.gql(RECORD, { input: callInput({ subAccountId: target(), externalCallId }) }, token());
      const missing = await app.gql(
        RECORD,
        { input: callInput({ subAccountId: toGlobalId('SubAccount', randomUUID()), externalCallId }) },
        token(),
      );
      expect(ok(foreign).recordCallUsage.userErrors).toEqual([{ code: 'NOT_FOUND', message: 'Sub-account not found', field: ['subAccountId'] }]);
      expect(foreign).toEqual(missing);
      const [{ n }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM calls WHERE external_call_id = $1`, [externalCallId]);
      expect(n).toBe(0);
    });

    it('should forbid client admins to record usage', async () => {
      const response = await recordCall(app, { subAccountId: defaultSub }, clientKey);
      expect(errorCode(response)).toBe('FORBIDDEN');
      const batch = await app.gql(RECORD_BATCH, { inputs: [callInput({ subAccountId: defaultSub })] }, clientKey);
      expect(errorCode(batch)).toBe('FORBIDDEN');
    });

    it("should refuse a scenario of another sub-account", async () => {
      const scenario = ok(await createScenario(app, overrideSub, 'Other campaign')).createScenario.scenario;
      const payload = ok(await recordCall(app, { subAccountId: defaultSub, scenarioId: scenario.id })).recordCallUsage;
      expect(payload.userErrors).toEqual([{ code: 'NOT_FOUND', message: 'Scenario not found', field: ['scenarioId'] }]);
    });
  });

  describe('scenarios', () => {
    let clientKey: string;
    beforeAll(async () => {
      clientKey = await createKey(app, 'CLIENT_ADMIN', { agencyId, subAccountId: overrideSub });
    });

    it('should create scenarios, return the existing one for a name taken in any case, and list them oldest first', async () => {
      const spring = ok(await createScenario(app, baseSub, 'Spring campaign')).createScenario;
      expect(spring.userErrors).toEqual([]);
      const again = ok(await createScenario(app, baseSub, '  SPRING campaign ')).createScenario;
      expect(again.scenario).toEqual(spring.scenario);
      const summer = ok(await createScenario(app, baseSub, 'Summer')).createScenario.scenario;
      const data = ok(
        await app.gql(`query($id: ID!) { subAccount(id: $id) { scenarios { id name subAccount { id } } } }`, { id: baseSub }),
      );
      expect(data.subAccount.scenarios).toEqual([
        { id: spring.scenario.id, name: 'Spring campaign', subAccount: { id: baseSub } },
        { id: summer.id, name: 'Summer', subAccount: { id: baseSub } },
      ]);
      const node = ok(await app.gql(`query($id: ID!) { node(id: $id) { ... on Scenario { name } } }`, { id: summer.id }));
      expect(node.node).toEqual({ name: 'Summer' });
    });

    it('should let a client admin and an ingest key create scenarios of their own sub-account or agency only', async () => {
      const ingestKey = await createKey(app, 'USAGE_INGEST', { agencyId });
      expect(ok(await createScenario(app, overrideSub, 'Client made', clientKey)).createScenario.userErrors).toEqual([]);
      expect(ok(await createScenario(app, overrideSub, 'Platform made', ingestKey)).createScenario.userErrors).toEqual([]);
      const sibling = ok(await createScenario(app, defaultSub, 'Not mine', clientKey)).createScenario;
      expect(sibling.userErrors).toEqual([{ code: 'NOT_FOUND', message: 'Sub-account not found', field: ['subAccountId'] }]);
      const foreign = await createAgency(app);
      expect(ok(await createScenario(app, foreign.primaryId, 'Not ours', ingestKey)).createScenario.userErrors[0].code).toBe('NOT_FOUND');
      // A client admin does not see a sibling's scenarios through node(id).
      const siblingScenario = ok(await createScenario(app, defaultSub, 'Sibling campaign')).createScenario.scenario;
      expect(ok(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: siblingScenario.id }, clientKey)).node).toBeNull();
    });

    it.each<[string, string, string]>([
      ['an empty name', '   ', 'INVALID_NAME'],
      ['a name over 200 characters', 'x'.repeat(201), 'INVALID_NAME'],
    ])('should refuse %s', async (_name, name, code) => {
      expect(ok(await createScenario(app, baseSub, name)).createScenario.userErrors[0].code).toBe(code);
    });

    it('should refuse scenarios for a removed sub-account', async () => {
      const sub = await addSubAccount(app, agencyId);
      ok(await app.gql(`mutation($input: RemoveSubAccountInput!) { removeSubAccount(input: $input) { userErrors { code } } }`, { input: { id: sub } }));
      expect(ok(await createScenario(app, sub, 'Too late')).createScenario.userErrors[0].code).toBe('SUB_ACCOUNT_REMOVED');
    });

    it('should record calls of a scenario and filter them', async () => {
      const scenario = ok(await createScenario(app, baseSub, 'Filtered')).createScenario.scenario;
      const call = ok(await recordCall(app, { subAccountId: baseSub, scenarioId: scenario.id })).recordCallUsage;
      expect(call.userErrors).toEqual([]);
      const data = ok(
        await app.gql(
          `query($id: ID!, $scenarioId: ID) { subAccount(id: $id) { calls(scenarioId: $scenarioId) { totalCount edges { node { id scenario { name } } } } } }`,
          { id: baseSub, scenarioId: scenario.id },
        ),
      );
      expect(data.subAccount.calls).toEqual({ totalCount: 1, edges: [{ node: { id: call.call.id, scenario: { name: 'Filtered' } } }] });
    });
  });

  // Declared last, so it runs after every test above.
  it('should leave a ledger that verifies: every charge one transfer, every balance the sum of its transfers', async () => {
    const ledger = await verifyLedger(app.dataSource);
    expect(ledger.problems).toEqual([]);
    expect(ledger.ok).toBe(true);
    const [{ n }] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM calls c LEFT JOIN ledger_transfers t ON t.id = c.transfer_id
        WHERE (c.cost_micros > 0) <> (t.id IS NOT NULL) OR t.amount_micros <> c.cost_micros OR t.kind <> 'USAGE'`,
    );
    expect(n).toBe(0);
  });
});
