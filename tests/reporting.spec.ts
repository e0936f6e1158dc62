import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, createKey } from './helpers/fixtures';
import { random } from './helpers/bank';
import {
  ago, callInput, recordCall, recordCalls, setAgencyMarkup, SUMMARY_FIELDS, usageOf, type CallInput,
} from './helpers/usage';
import { verifyLedger } from '../src/modules/ledger/ledger-verify';
import { decodeId } from '../src/shared/global-id';

const DAY = 86_400_000;
const TIERS = ['BASIC', 'PREMIUM'] as const;
const STATUSES = ['COMPLETED', 'NO_ANSWER', 'BUSY', 'FAILED', 'VOICEMAIL', 'CANCELED'] as const;

/** Minutes as the API shows them, computed here independently: seconds / 60 to the nearest 1/10,000. */
function minutes(seconds: bigint): string {
  const units = (seconds * 10_000n * 2n + 60n) / 120n;
  const whole = units / 10_000n;
  const fraction = (units % 10_000n).toString().padStart(4, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

function dollars(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  let fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${negative ? '-' : ''}${abs / 1_000_000n}.${fraction}`;
}

/** The summary a full scan of the calls gives: what every report must equal, to the unit. */
async function scanSummary(app: TestApp, subUuids: string[], from: string, to: string) {
  const rows: Array<{ tier: string; status: string; n: string; seconds: string; cost: string; profit: string }> = await app.dataSource.query(
    `SELECT tier, status, count(*) AS n, sum(duration_seconds) AS seconds, sum(cost_micros) AS cost, sum(profit_micros) AS profit
       FROM calls WHERE sub_account_id = ANY($1::uuid[]) AND started_at >= $2 AND started_at < $3 GROUP BY 1, 2`,
    [subUuids, from, to],
  );
  const sum = (pick: (r: (typeof rows)[number]) => boolean, field: 'n' | 'seconds' | 'cost' | 'profit') =>
    rows.filter(pick).reduce((total, r) => total + BigInt(r[field]), 0n);
  const all = () => true;
  return {
    from,
    to,
    totalMinutes: minutes(sum(all, 'seconds')),
    minutesByTier: TIERS.map((tier) => ({
      tier,
      minutes: minutes(sum((r) => r.tier === tier, 'seconds')),
      callCount: Number(sum((r) => r.tier === tier, 'n')),
    })),
    callCount: Number(sum(all, 'n')),
    callsByStatus: STATUSES.map((status) => ({ status, count: Number(sum((r) => r.status === status, 'n')) })),
    spent: { amount: dollars(sum(all, 'cost')) },
    profit: { amount: dollars(sum(all, 'profit')) },
  };
}

const REPORT = `query($id: ID!, $range: DateRangeInput!) {
  agency(id: $id) {
    totalMinutesUsed(range: $range)
    usageReport(range: $range) {
      from to
      totals { ${SUMMARY_FIELDS} }
      bySubAccount { subAccount { id name status } usage { ${SUMMARY_FIELDS} } walletBalance { amount } }
    }
  }
}`;

describe('usage reporting', () => {
  jest.setTimeout(60_000);
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  describe('rollups', () => {
    let agencyId: string;
    let subs: string[];
    let start: number;

    /**
     * About 2,400 calls over 14 months on three sub-accounts with different prices; a third
     * of them start exactly on a UTC midnight or a month start, where the rollups split.
     */
    beforeAll(async () => {
      const agency = await createAgency(app);
      agencyId = agency.agencyId;
      await setAgencyMarkup(app, agencyId, '0.013', '0.037');
      subs = [agency.primaryId, await addSubAccount(app, agencyId), await addSubAccount(app, agencyId, { markupPremium: '0.11' })];
      const next = random(20261125);
      const now = Date.now() - 10 * 60_000;
      start = now - 425 * DAY;
      const calls: CallInput[] = [];
      for (let i = 0; i < 2400; i++) {
        let at = start + Math.floor(next() * (now - start - DAY));
        const shape = next();
        if (shape < 0.2) at = Math.floor(at / DAY) * DAY; // a midnight
        else if (shape < 0.3) {
          const d = new Date(at);
          at = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1); // a month start
          if (at < start) at += 31 * DAY;
        }
        calls.push({
          subAccountId: subs[i % 3],
          tier: TIERS[Math.floor(next() * 2)],
          status: STATUSES[Math.floor(next() * 6)],
          startedAt: new Date(at).toISOString(),
          durationSeconds: next() < 0.1 ? 0 : 1 + Math.floor(next() * 900),
        });
      }
      await recordCalls(app, calls);
    });

    it('should equal a full scan of the calls for random ranges, per sub-account and agency-wide', async () => {
      const next = random(42);
      const subUuids = subs.map((id) => decodeId(id, 'SubAccount')!);
      const snap = (ms: number) => {
        const r = next();
        if (r < 0.25) return Math.floor(ms / DAY) * DAY;
        if (r < 0.35) {
          const d = new Date(ms);
          return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
        }
        return ms;
      };
      const ranges: Array<{ from: string; to: string }> = [
        { from: new Date(start - 40 * DAY).toISOString(), to: new Date(Date.now() + DAY).toISOString() }, // everything
      ];
      while (ranges.length < 80) {
        const a = snap(start - 5 * DAY + Math.floor(next() * 440 * DAY));
        const length = next() < 0.3 ? Math.floor(next() * 2 * DAY) : Math.floor(next() * 400 * DAY);
        const b = snap(a + length);
        if (a < b) ranges.push({ from: new Date(a).toISOString(), to: new Date(b).toISOString() });
      }
      for (const range of ranges) {
        const data = ok(
          await app.gql(
            `query($a: ID!, $b: ID!, $c: ID!, $agency: ID!, $range: DateRangeInput!) {
              a: subAccount(id: $a) { usage(range: $range) { ${SUMMARY_FIELDS} } wallet { spent(range: $range) { amount } } }
              b: subAccount(id: $b) { usage(range: $range) { ${SUMMARY_FIELDS} } }
              c: subAccount(id: $c) { usage(range: $range) { ${SUMMARY_FIELDS} } }
              agency(id: $agency) { totalMinutesUsed(range: $range) usageReport(range: $range) { totals { ${SUMMARY_FIELDS} } } }
            }`,
            { a: subs[0], b: subs[1], c: subs[2], agency: agencyId, range },
          ),
        );
        const [a, b, c, all] = await Promise.all([
          scanSummary(app, [subUuids[0]], range.from, range.to),
          scanSummary(app, [subUuids[1]], range.from, range.to),
          scanSummary(app, [subUuids[2]], range.from, range.to),
          scanSummary(app, subUuids, range.from, range.to),
        ]);
        expect({ range, a: data.a.usage, b: data.b.usage, c: data.c.usage, totals: data.agency.usageReport.totals }).toEqual({
          range, a, b, c, totals: all,
        });
        expect(data.a.wallet.spent).toEqual(a.spent);
        expect(data.agency.totalMinutesUsed).toBe(all.totalMinutes);
      }
      // The workload really crossed every kind of piece.
      const [{ n }] = await app.dataSource.query(`SELECT count(DISTINCT date_trunc('month', month)) AS n FROM usage_monthly_rollups`);
      expect(Number(n)).toBeGreaterThanOrEqual(14);
    });

    it('should keep the rollups equal to the sums of their calls', async () => {
      const daily = await app.dataSource.query(`
        SELECT r.* FROM usage_daily_rollups r
        FULL JOIN (SELECT sub_account_id, (started_at AT TIME ZONE 'UTC')::date AS day, tier, status, count(*) AS n,
                          sum(duration_seconds) AS s, sum(cost_micros) AS c, sum(profit_micros) AS p
                     FROM calls GROUP BY 1, 2, 3, 4) x
          ON x.sub_account_id = r.sub_account_id AND x.day = r.day AND x.tier = r.tier AND x.status = r.status
        WHERE r.call_count IS DISTINCT FROM x.n OR r.duration_seconds IS DISTINCT FROM x.s
           OR r.cost_micros IS DISTINCT FROM x.c OR r.profit_micros IS DISTINCT FROM x.p`);
      expect(daily).toEqual([]);
      const monthly = await app.dataSource.query(`
        SELECT m.* FROM usage_monthly_rollups m
        FULL JOIN (SELECT sub_account_id, date_trunc('month', day)::date AS month, tier, status, sum(call_count) AS n,
                          sum(duration_seconds) AS s, sum(cost_micros) AS c, sum(profit_micros) AS p
                     FROM usage_daily_rollups GROUP BY 1, 2, 3, 4) x
          ON x.sub_account_id = m.sub_account_id AND x.month = m.month AND x.tier = m.tier AND x.status = m.status
        WHERE m.call_count IS DISTINCT FROM x.n OR m.duration_seconds IS DISTINCT FROM x.s
           OR m.cost_micros IS DISTINCT FROM x.c OR m.profit_micros IS DISTINCT FROM x.p`);
      expect(monthly).toEqual([]);
    });

    it('should report all time agency-wide without a range', async () => {
      const data = ok(await app.gql(`query($id: ID!) { agency(id: $id) { totalMinutesUsed } }`, { id: agencyId }));
      const all = await scanSummary(app, subs.map((id) => decodeId(id, 'SubAccount')!), '1970-01-01T00:00:00Z', '9999-01-01T00:00:00Z');
      expect(data.agency.totalMinutesUsed).toBe(all.totalMinutes);
    });
  });

  describe('range edges', () => {
    let agencyId: string;
    let sub: string;
    // A day well in the past, and instants on and around its edges.
    const day = new Date(Math.floor((Date.now() - 40 * DAY) / DAY) * DAY);
    const at = (ms: number) => new Date(day.getTime() + ms).toISOString();

    beforeAll(async () => {
      ({ agencyId } = await createAgency(app));
      sub = await addSubAccount(app, agencyId);
      await recordCalls(app, [
        { subAccountId: sub, startedAt: at(0), durationSeconds: 60 }, // midnight: first instant of the day
        { subAccountId: sub, startedAt: at(-1), durationSeconds: 60 }, // last millisecond of the day before
        { subAccountId: sub, startedAt: at(10 * 3_600_000), durationSeconds: 60 }, // 10:00
        { subAccountId: sub, startedAt: at(12 * 3_600_000), durationSeconds: 60 }, // 12:00
        { subAccountId: sub, startedAt: at(DAY), durationSeconds: 60 }, // next midnight
      ]);
    });

    it.each<[string, number, number, number]>([
      ['a whole day: midnight in, next midnight out (rollups)', 0, DAY, 3],
      ['10:00 to 12:00: the call at from in, the call at to out (raw calls)', 10 * 3_600_000, 12 * 3_600_000, 1],
      ['10:00 to 12:00 and a millisecond', 10 * 3_600_000, 12 * 3_600_000 + 1, 2],
      ['one millisecond exactly on a call', 0, 1, 1],
      ['the millisecond before midnight', -1, 0, 1],
      ['from the day before at 23:59:59.999 to the next day at 00:00:00.001', -1, DAY + 1, 5],
      ['an empty stretch between calls', 1, 10 * 3_600_000, 0],
    ])('%s', async (_name, from, to, count) => {
      const usage = await usageOf(app, sub, { from: at(from), to: at(to) });
      expect(usage.callCount).toBe(count);
      expect(usage.from).toBe(at(from));
      expect(usage.to).toBe(at(to));
      expect(usage.totalMinutes).toBe(String(count));
    });

    it('should sum seconds before rounding to minutes', async () => {
      const s = await addSubAccount(app, agencyId);
      await recordCalls(app, [1, 2, 3].map((i) => ({ subAccountId: s, startedAt: ago(100 + i), durationSeconds: 1, tier: 'BASIC' as const })));
      const usage = await usageOf(app, s, { from: ago(200), to: ago(-1) });
      // 3 s = 0.05 min exactly; three roundings of 0.0167 would have said 0.0501.
      expect(usage.totalMinutes).toBe('0.05');
      expect(usage.minutesByTier).toEqual([
        { tier: 'BASIC', minutes: '0.05', callCount: 3 },
        { tier: 'PREMIUM', minutes: '0', callCount: 0 },
      ]);
    });

    it.each<[string, { from: string; to: string }]>([
      ['from equal to to', { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
      ['from after to', { from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
      ['more than 5 years', { from: '2020-01-01T00:00:00Z', to: '2025-01-03T00:00:00Z' }],
      ['an instant without a zone', { from: '2026-01-01T00:00:00', to: '2026-02-01T00:00:00Z' }],
    ])('should refuse a range with %s', async (_name, range) => {
      const response = await app.gql(`query($id: ID!, $range: DateRangeInput!) { subAccount(id: $id) { usage(range: $range) { callCount } } }`, {
        id: sub,
        range,
      });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      const report = await app.gql(REPORT, { id: agencyId, range });
      expect(errorCode(report)).toBe('BAD_USER_INPUT');
    });
  });

  describe('billing-cycle defaults', () => {
    it('should report the current billing cycle of the sub-account when no range is given', async () => {
      const { agencyId } = await createAgency(app);
      // Subscribed 40 days and 3 hours ago: the current cycle started about 10 days ago.
      const startedAt = new Date(Date.now() - 40 * DAY - 3 * 3_600_000);
      const sub = await addSubAccount(app, agencyId, { subscriptionStartedAt: startedAt.toISOString() });
      const cycle = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { billingCycle { start end } } }`, { id: sub })).subAccount
        .billingCycle;
      const cycleStart = Date.parse(cycle.start);
      await recordCalls(app, [
        { subAccountId: sub, startedAt: new Date(cycleStart - 1).toISOString(), durationSeconds: 600 }, // the previous cycle
        { subAccountId: sub, startedAt: cycle.start, durationSeconds: 60 }, // the cycle's first instant
        { subAccountId: sub, startedAt: ago(30), durationSeconds: 120 },
      ]);
      const data = ok(
        await app.gql(`query($id: ID!) { subAccount(id: $id) { usage { ${SUMMARY_FIELDS} } wallet { spent { amount } } } }`, { id: sub }),
      );
      expect(data.subAccount.usage).toMatchObject({ from: cycle.start, to: cycle.end, callCount: 2, totalMinutes: '3', spent: { amount: '0.48' } });
      expect(data.subAccount.wallet.spent).toEqual({ amount: '0.48' });
    });
  });

  describe('the agency report', () => {
    it('should answer over 50 sub-accounts in as many SQL statements as over 5', async () => {
      const { agencyId, primaryId } = await createAgency(app);
      const subs = [primaryId];
      const countFor = async () => {
        const range = { from: ago(365 * 24 * 60), to: ago(-1) };
        const before = app.queryCount();
        const data = ok(await app.gql(REPORT, { id: agencyId, range }));
        return { statements: app.queryCount() - before, report: data.agency.usageReport };
      };
      while (subs.length < 5) subs.push(await addSubAccount(app, agencyId));
      await recordCalls(app, subs.map((subAccountId, i) => ({ subAccountId, startedAt: ago(1000 + i), durationSeconds: 60 })));
      const small = await countFor();
      expect(small.report.bySubAccount).toHaveLength(5);
      while (subs.length < 50) subs.push(await addSubAccount(app, agencyId));
      await recordCalls(app, subs.map((subAccountId, i) => ({ subAccountId, startedAt: ago(2000 + i), durationSeconds: 30 })));
      const large = await countFor();
      expect(large.report.bySubAccount).toHaveLength(50);
      expect(large.statements).toBe(small.statements);
      // The key lookup, the agency, and one statement for the sub-accounts, their balances and figures.
      expect(large.statements).toBeLessThanOrEqual(3);
      expect(large.report.totals.callCount).toBe(55);
      // Each row is its sub-account's own figures; the primary comes first.
      expect(large.report.bySubAccount[0].subAccount.id).toBe(primaryId);
      expect(large.report.bySubAccount[1].usage).toMatchObject({ callCount: 2, totalMinutes: '1.5', spent: { amount: '0.24' } });
      expect(large.report.bySubAccount[1].walletBalance).toEqual({ amount: '-0.24' });
    });

    it('should include the primary and removed sub-accounts that used minutes, and leave out unused removed ones', async () => {
      const { agencyId, primaryId } = await createAgency(app);
      const used = await addSubAccount(app, agencyId);
      const unused = await addSubAccount(app, agencyId);
      await recordCalls(app, [
        { subAccountId: primaryId, startedAt: ago(120), durationSeconds: 60 },
        { subAccountId: used, startedAt: ago(120), durationSeconds: 120 },
      ]);
      for (const id of [used, unused]) {
        ok(await app.gql(`mutation($input: RemoveSubAccountInput!) { removeSubAccount(input: $input) { userErrors { code } } }`, { input: { id } }));
      }
      const data = ok(await app.gql(REPORT, { id: agencyId, range: { from: ago(24 * 60), to: ago(-1) } }));
      expect(data.agency.totalMinutesUsed).toBe('3');
      expect(data.agency.usageReport.bySubAccount.map((r: { subAccount: { id: string; status: string } }) => [r.subAccount.id, r.subAccount.status])).toEqual([
        [primaryId, 'ACTIVE'],
        [used, 'REMOVED'],
      ]);
      const allTime = ok(await app.gql(`query($id: ID!) { agency(id: $id) { totalMinutesUsed } }`, { id: agencyId }));
      expect(allTime.agency.totalMinutesUsed).toBe('3');
    });
  });

  describe('calls', () => {
    let agencyId: string;
    let sub: string;
    let sibling: string;
    let inputs: ReturnType<typeof callInput>[];

    beforeAll(async () => {
      ({ agencyId } = await createAgency(app));
      sub = await addSubAccount(app, agencyId);
      sibling = await addSubAccount(app, agencyId);
      inputs = Array.from({ length: 25 }, (_, i) =>
        callInput({ subAccountId: sub, startedAt: ago(500 - i * 10), status: i % 5 === 0 ? 'BUSY' : 'COMPLETED', durationSeconds: i }),
      );
      // Two calls at the same instant: the id breaks the tie, pages never skip or repeat one.
      inputs[24] = { ...inputs[24], startedAt: inputs[23].startedAt };
      await recordCalls(app, inputs);
      await recordCalls(app, [{ subAccountId: sibling, startedAt: ago(50) }]);
    });

    const CALLS = `query($id: ID!, $first: Int, $after: String, $range: DateRangeInput, $status: CallStatus) {
      subAccount(id: $id) {
        calls(first: $first, after: $after, range: $range, status: $status) {
          totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id externalCallId startedAt status subAccount { id } } }
        }
      }
    }`;

    it('should page through the calls newest first, each once', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page: any = ok(await app.gql(CALLS, { id: sub, first: 10, after })).subAccount.calls;
        expect(page.totalCount).toBe(25);
        seen.push(...page.edges.map((e: { node: { externalCallId: string } }) => e.node.externalCallId));
        pages += 1;
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(25);
      const starts = inputs.map((c) => [c.startedAt, c.externalCallId] as const);
      const order = [...seen].map((id) => starts.find(([, e]) => e === id)![0]);
      expect(order).toEqual([...order].sort().reverse());
    });

    it('should filter by status and range, with matching totals', async () => {
      const busy = ok(await app.gql(CALLS, { id: sub, status: 'BUSY', first: 100 })).subAccount.calls;
      expect(busy.totalCount).toBe(5);
      expect(busy.edges.every((e: { node: { status: string } }) => e.node.status === 'BUSY')).toBe(true);
      const range = { from: inputs[10].startedAt, to: inputs[20].startedAt };
      const ranged = ok(await app.gql(CALLS, { id: sub, range, first: 100 })).subAccount.calls;
      expect(ranged.totalCount).toBe(10);
      expect(ranged.edges.map((e: { node: { externalCallId: string } }) => e.node.externalCallId)).toEqual(
        inputs.slice(10, 20).map((c) => c.externalCallId).reverse(),
      );
      const busyInRange = ok(await app.gql(CALLS, { id: sub, range, status: 'BUSY', first: 100 })).subAccount.calls;
      expect(busyInRange.totalCount).toBe(2);
      expect(busyInRange.edges).toHaveLength(2);
    });

    it('should refuse a cursor it did not issue', async () => {
      expect(errorCode(await app.gql(CALLS, { id: sub, after: 'bm90LWEtY3Vyc29y' }))).toBe('BAD_USER_INPUT');
    });

    it('should show a client admin its own calls and figures only', async () => {
      const clientKey = await createKey(app, 'CLIENT_ADMIN', { agencyId, subAccountId: sub });
      const own = ok(await app.gql(CALLS, { id: sub, first: 5 }, clientKey)).subAccount.calls;
      expect(own.totalCount).toBe(25);
      expect(own.edges.every((e: { node: { subAccount: { id: string } } }) => e.node.subAccount.id === sub)).toBe(true);
      expect(ok(await app.gql(CALLS, { id: sibling }, clientKey)).subAccount).toBeNull();
      const usage = await usageOf(app, sub, { from: ago(1000), to: ago(-1) }, clientKey);
      expect(usage.callCount).toBe(25);
      // Another sub-account's call by global id is a call that does not exist.
      const siblingCall = ok(await app.gql(CALLS, { id: sibling })).subAccount.calls.edges[0].node.id;
      const ownCall = own.edges[0].node.id;
      expect(ok(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: siblingCall }, clientKey)).node).toBeNull();
      expect(ok(await app.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: ownCall }, clientKey)).node).toEqual({ id: ownCall });
      // Agency-wide figures are the agency admin's.
      const range = { from: ago(1000), to: ago(-1) };
      expect(errorCode(await app.gql(REPORT, { id: agencyId, range }, clientKey))).toBe('FORBIDDEN');
      expect(errorCode(await app.gql(`query($id: ID!) { agency(id: $id) { totalMinutesUsed } }`, { id: agencyId }, clientKey))).toBe('FORBIDDEN');
    });

    it("should not show an agency admin another agency's figures", async () => {
      const other = await createAgency(app);
      const otherAdmin = await createKey(app, 'AGENCY_ADMIN', { agencyId: other.agencyId });
      expect(ok(await app.gql(CALLS, { id: sub }, otherAdmin)).subAccount).toBeNull();
      expect(ok(await app.gql(REPORT, { id: agencyId, range: { from: ago(1000), to: ago(-1) } }, otherAdmin)).agency).toBeNull();
    });
  });

  it("should count a call in the billing cycle it started in, not before the sub-account's subscription", async () => {
    const { agencyId } = await createAgency(app);
    const sub = await addSubAccount(app, agencyId);
    const now = new Date().toISOString();
    const call = ok(await recordCall(app, { subAccountId: sub, durationSeconds: 30, tier: 'BASIC', startedAt: now })).recordCallUsage.call;
    // Started an hour before the subscription: recorded and charged, but not in the first cycle.
    ok(await recordCall(app, { subAccountId: sub, durationSeconds: 30, startedAt: ago(60) }));
    const usage = await usageOf(app, sub);
    expect(usage).toMatchObject({ callCount: 1, totalMinutes: '0.5', spent: { amount: call.cost.amount } });
  });

  // Declared last, so it runs after every test above.
  it('should leave a ledger that verifies', async () => {
    expect((await verifyLedger(app.dataSource)).problems).toEqual([]);
  });
});
