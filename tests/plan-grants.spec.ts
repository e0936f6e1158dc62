import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { createAgency, createKey, rawId, uniqueEmail } from './helpers/fixtures';
import { TestClock } from './helpers/test-clock';
import { agencyAdmin, agencyMoneyMicros, type AgencyAdminOps } from './helpers/agency-admin';
import { runMonthlyAllocations } from '../src/modules/plan-allocation/plan-allocation.service';

/**
 * Plan grants never create value (issue 11): no agency is moved onto PARTNER_LEGACY, grants
 * are valued at the base price, and the monthly secondary grant goes to secondaries active
 * at the start of the cycle, once. The server runs on a TestClock so sub-accounts are added,
 * removed and restored at the instants the monthly job is run at.
 */
describe('plan grants', () => {
  let app: TestApp;
  const clock = new TestClock();
  beforeAll(async () => {
    app = await startTestApp({}, { clock });
  });
  afterAll(() => app.close());
  afterEach(() => clock.reset());

  const DAY = 86_400_000;
  const PLAN_STARTED_AT = '2025-01-15T10:00:00.000Z';
  /** $32: 200 Premium minutes at the $0.16 base price. */
  const SECONDARY_GRANT = 32_000_000n;
  /** $320: 2,000 Premium minutes at the base price. */
  const PRIMARY_GRANT = 320_000_000n;

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Runs the monthly job at `at`, with the clock there too (as in production, where both read the machine's time). */
  async function runJob(at: string) {
    clock.set(at);
    return runMonthlyAllocations(app.dataSource, new Date(at));
  }

  async function planCode(agencyId: string): Promise<string> {
    const [row] = await app.dataSource.query(`SELECT plan_code FROM agencies WHERE id = $1`, [rawId(agencyId)]);
    return row.plan_code;
  }

  async function balanceMicros(subAccountId: string): Promise<bigint> {
    const [row] = await app.dataSource.query(
      `SELECT a.balance_micros::text AS balance FROM ledger_accounts a JOIN wallets w ON w.id = a.id WHERE w.sub_account_id = $1`,
      [rawId(subAccountId)],
    );
    return BigInt(row.balance);
  }

  /** Grants of one agency in the billing cycle starting at `cycleStart`, by wallet. */
  async function cycleGrants(agencyId: string, cycleStart: string) {
    return app.dataSource.query(
      `SELECT credit_account_id AS wallet, amount_micros, minutes_sent_units, minutes_received_units
         FROM ledger_transfers
        WHERE agency_id = $1 AND kind = 'PLAN_ALLOCATION' AND idempotency_key LIKE $2
        ORDER BY amount_micros DESC, credit_account_id`,
      [rawId(agencyId), `system/plan-allocation/${cycleStart}/%`],
    );
  }

  async function walletId(subAccountId: string): Promise<string> {
    const [row] = await app.dataSource.query(`SELECT id FROM wallets WHERE sub_account_id = $1`, [rawId(subAccountId)]);
    return row.id;
  }

  /** An agency as its own agency admin sees it (the attacker of the issue), created at `createdAt`. */
  async function ownAgency(planCode: string, createdAt = '2025-01-20T00:00:00.000Z'): Promise<{ agencyId: string; primaryId: string; admin: AgencyAdminOps; token: string }> {
    clock.set(createdAt);
    const { agencyId, primaryId } = await createAgency(app, { planCode, planStartedAt: PLAN_STARTED_AT });
    const token = await createKey(app, 'AGENCY_ADMIN', { agencyId });
    return { agencyId, primaryId, admin: agencyAdmin(app, agencyId, token), token };
  }

  async function addOrThrow(admin: AgencyAdminOps, extra: Record<string, unknown> = {}): Promise<string> {
    const { id, codes } = await admin.add(extra);
    if (!id) throw new Error(`add refused: ${codes.join(', ')}`);
    return id;
  }

  describe('legacy plans', () => {
    it.each(['KICKSTART', 'AGENCY_LITE', 'AGENCY_UNLIMITED'])(
      'should refuse an agency admin moving its %s agency onto PARTNER_LEGACY with PLAN_NOT_AVAILABLE and change nothing',
      async (from) => {
        const { agencyId, token } = await ownAgency(from);
        const response = ok(await app.gql(
          `mutation($input: ChangeAgencyPlanInput!) { changeAgencyPlan(input: $input) { agency { id } userErrors { code field message } } }`,
          { input: { agencyId, planCode: 'PARTNER_LEGACY' } },
          token,
        ));
        expect(response.changeAgencyPlan).toEqual({
          agency: null,
          userErrors: [{ code: 'PLAN_NOT_AVAILABLE', field: ['planCode'], message: expect.stringContaining('legacy') }],
        });
        expect(await planCode(agencyId)).toBe(from);
      },
    );

    it('should refuse a platform admin moving an agency onto PARTNER_LEGACY too', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      const data = ok(await app.gql(
        `mutation($input: ChangeAgencyPlanInput!) { changeAgencyPlan(input: $input) { agency { id } userErrors { code } } }`,
        { input: { agencyId, planCode: 'PARTNER_LEGACY' } },
      ));
      expect(data.changeAgencyPlan).toEqual({ agency: null, userErrors: [{ code: 'PLAN_NOT_AVAILABLE' }] });
      expect(await planCode(agencyId)).toBe('AGENCY_UNLIMITED');
    });

    it('should let an agency admin move between the current plans', async () => {
      const { agencyId, admin } = await ownAgency('KICKSTART');
      expect(await admin.changePlan('AGENCY_LITE')).toEqual([]);
      expect(await admin.changePlan('AGENCY_UNLIMITED')).toEqual([]);
      expect(await admin.changePlan('KICKSTART')).toEqual([]);
      expect(await planCode(agencyId)).toBe('KICKSTART');
    });

    it('should let a PARTNER_LEGACY agency stay on it or leave it, and never come back', async () => {
      const { agencyId, admin } = await ownAgency('PARTNER_LEGACY');
      expect(await admin.changePlan('PARTNER_LEGACY')).toEqual([]); // no move: re-saving the same plan
      expect(await admin.changePlan('AGENCY_UNLIMITED')).toEqual([]);
      expect(await admin.changePlan('PARTNER_LEGACY')).toEqual(['PLAN_NOT_AVAILABLE']);
      expect(await planCode(agencyId)).toBe('AGENCY_UNLIMITED');
    });

    it('should refuse an agency admin creating a PARTNER_LEGACY agency (FORBIDDEN) and let a platform admin create one', async () => {
      const { token } = await ownAgency('AGENCY_LITE');
      const input = { name: 'Migrated partner', planCode: 'PARTNER_LEGACY', primaryLoginEmail: uniqueEmail('partner') };
      const create = `mutation($input: CreateAgencyInput!) { createAgency(input: $input) { agency { plan { code legacy } } userErrors { code } } }`;
      const [{ n: before }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM agencies`);
      expect(errorCode(await app.gql(create, { input }, token))).toBe('FORBIDDEN');
      const [{ n: after }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM agencies`);
      expect(after).toBe(before);
      expect(ok(await app.gql(create, { input })).createAgency).toEqual({
        agency: { plan: { code: 'PARTNER_LEGACY', legacy: true } },
        userErrors: [],
      });
    });
  });

  describe('monthly grants', () => {
    it('grants a PARTNER_LEGACY primary 2,000 and each secondary 200 premium minutes at the base price, exactly once per cycle', async () => {
      const { agencyId, primaryId, admin } = await ownAgency('PARTNER_LEGACY');
      // The secondary pays $0.20 a premium minute; its grant is still valued at $0.16: $32, 160 of its minutes.
      const secondary = await addOrThrow(admin, { markupPremium: '0.04' });
      expect(await balanceMicros(secondary)).toBe(0n);

      const racing = await Promise.all(Array.from({ length: 5 }, () => runJob('2025-03-20T00:00:00.000Z')));
      expect(racing.every((r) => r.agencies >= 1)).toBe(true);
      const expected = [
        { wallet: await walletId(primaryId), amount_micros: '320000000', minutes_sent_units: '20000000', minutes_received_units: '20000000' },
        { wallet: await walletId(secondary), amount_micros: '32000000', minutes_sent_units: '2000000', minutes_received_units: '1600000' },
      ];
      expect(await cycleGrants(agencyId, '2025-03-15T10:00:00.000Z')).toEqual(expected);

      for (let run = 0; run < 2; run += 1) {
        const again = await runJob('2025-03-20T00:00:00.000Z');
        expect(again.granted).toBe(0);
        expect(again.alreadyGranted).toBeGreaterThanOrEqual(2);
      }
      expect(await cycleGrants(agencyId, '2025-03-15T10:00:00.000Z')).toEqual(expected);
      expect(await balanceMicros(primaryId)).toBe(2n * PRIMARY_GRANT); // the creation grant (January's cycle) and March's
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT);

      // The next cycle starts on April 15 at 10:00: a run just before grants nothing new, one after grants again.
      await runJob('2025-04-15T09:59:59.999Z');
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT);
      await runJob('2025-04-15T10:00:00.000Z');
      await runJob('2025-04-30T00:00:00.000Z');
      expect(await cycleGrants(agencyId, '2025-04-15T10:00:00.000Z')).toEqual(expected);
      expect(await balanceMicros(primaryId)).toBe(3n * PRIMARY_GRANT);
      expect(await balanceMicros(secondary)).toBe(2n * SECONDARY_GRANT);
    });

    it('values the grant of a secondary with a $10 markup at $32, not $2,032', async () => {
      const { agencyId, admin } = await ownAgency('PARTNER_LEGACY');
      expect(await admin.setMarkup('10', '10')).toEqual([]);
      const secondary = await addOrThrow(admin);
      await runJob('2025-02-15T10:00:00.000Z');
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT);
      const [grant] = (await cycleGrants(agencyId, '2025-02-15T10:00:00.000Z')).filter((g: any) => g.amount_micros === '32000000');
      // What $32 buys at $10.16 a minute, rounded down to 1/10,000 minute.
      expect(grant.minutes_received_units).toBe('31496');
    });

    it('gives a secondary added mid-cycle nothing in that cycle and 200 minutes in the next', async () => {
      const { agencyId, admin } = await ownAgency('PARTNER_LEGACY');
      clock.set('2025-02-15T10:00:00.001Z'); // one millisecond into February's cycle
      const late = await addOrThrow(admin);
      await runJob('2025-02-15T10:05:00.000Z');
      await runJob('2025-03-15T09:59:59.999Z');
      expect(await balanceMicros(late)).toBe(0n);
      expect(await cycleGrants(agencyId, '2025-02-15T10:00:00.000Z')).toHaveLength(1); // the primary's
      await runJob('2025-03-15T10:00:00.000Z');
      expect(await balanceMicros(late)).toBe(SECONDARY_GRANT);
    });

    it('grants a secondary removed and restored mid-cycle, after its grant, nothing more in that cycle', async () => {
      const { agencyId, primaryId, admin } = await ownAgency('PARTNER_LEGACY');
      const secondary = await addOrThrow(admin);
      await runJob('2025-03-15T10:05:00.000Z');
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT);
      clock.set('2025-03-16T00:00:00.000Z');
      expect(await admin.remove(secondary)).toEqual([]); // its $32 is swept to the primary
      clock.set('2025-03-20T00:00:00.000Z');
      expect(await admin.restore(secondary)).toEqual([]);
      const before = await agencyMoneyMicros(app, agencyId);
      await runJob('2025-03-25T00:00:00.000Z');
      await runJob('2025-04-15T09:59:59.999Z');
      expect(await agencyMoneyMicros(app, agencyId)).toBe(before);
      expect(await balanceMicros(secondary)).toBe(0n);
      expect(await balanceMicros(primaryId)).toBe(2n * PRIMARY_GRANT + SECONDARY_GRANT);
      await runJob('2025-04-15T10:00:00.000Z'); // active since March 20: April's cycle grants it
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT);
    });

    it('grants nothing again to a secondary active at the cycle start, removed before the job ran and restored mid-cycle', async () => {
      const { agencyId, admin } = await ownAgency('PARTNER_LEGACY');
      const secondary = await addOrThrow(admin);
      await runJob('2025-02-15T09:00:00.000Z'); // January's cycle
      clock.set('2025-02-15T10:00:30.000Z'); // February's cycle has begun; the job has not run in it yet
      expect(await admin.remove(secondary)).toEqual([]);
      clock.set('2025-02-15T10:01:00.000Z');
      expect(await admin.restore(secondary)).toEqual([]);
      await runJob('2025-02-15T10:05:00.000Z');
      expect(await cycleGrants(agencyId, '2025-02-15T10:00:00.000Z')).toHaveLength(1); // the primary's only
      expect(await balanceMicros(secondary)).toBe(0n);
    });

    it('grants a secondary removed and restored between two cycles its grant in the next one', async () => {
      const { admin } = await ownAgency('PARTNER_LEGACY');
      const secondary = await addOrThrow(admin);
      await runJob('2025-02-15T10:00:00.000Z');
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT);
      clock.set('2025-02-20T00:00:00.000Z');
      expect(await admin.remove(secondary)).toEqual([]);
      clock.set('2025-03-01T00:00:00.000Z');
      expect(await admin.restore(secondary)).toEqual([]);
      await runJob('2025-03-15T10:00:00.000Z');
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT); // February's was swept; March's arrived
    });

    it('grants nothing monthly to a KICKSTART agency', async () => {
      const { agencyId } = await ownAgency('KICKSTART');
      await runJob('2025-02-20T00:00:00.000Z');
      await runJob('2025-03-20T00:00:00.000Z');
      const [{ n }] = await app.dataSource.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE agency_id = $1`, [
        rawId(agencyId),
      ]);
      expect(n).toBe(1); // the one-time creation grant only
    });

    it('grants nothing to the secondaries of a plan that has not started yet', async () => {
      clock.set('2025-01-01T00:00:00.000Z');
      const { agencyId } = await createAgency(app, { planCode: 'PARTNER_LEGACY', planStartedAt: '2025-02-01T00:00:00.000Z' });
      const admin = agencyAdmin(app, agencyId, await createKey(app, 'AGENCY_ADMIN', { agencyId }));
      const secondary = await addOrThrow(admin);
      await runJob('2025-01-02T00:00:00.000Z');
      expect(await balanceMicros(secondary)).toBe(0n);
      await runJob('2025-02-01T00:00:00.000Z');
      expect(await balanceMicros(secondary)).toBe(SECONDARY_GRANT);
    });

    it('never grants minutes to a sub-account while it is being removed', async () => {
      const { agencyId, admin } = await ownAgency('PARTNER_LEGACY');
      const secondary = await addOrThrow(admin, { applyBasePrice: true });
      clock.set('2025-06-20T00:00:00.000Z');
      const runner = app.dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      // Holding the wallet's ledger row stops the removal between locking the sub-account and sweeping its wallet.
      await runner.query(`SELECT 1 FROM ledger_accounts WHERE id = $1 FOR UPDATE`, [await walletId(secondary)]);
      const removal = admin.remove(secondary);
      await sleep(200);
      const job = runMonthlyAllocations(app.dataSource, new Date('2025-06-20T00:00:00.000Z'));
      await sleep(300);
      await runner.rollbackTransaction();
      await runner.release();
      expect(await removal).toEqual([]);
      await job;
      // The grant either came before the removal (and was swept to the primary) or not at all.
      expect(await balanceMicros(secondary)).toBe(0n);
      expect(await cycleGrants(agencyId, '2025-06-15T10:00:00.000Z')).toHaveLength(1);
    });
  });

  describe('the farming sequence of issue 11', () => {
    it('yields nothing: PARTNER_LEGACY refused, $10 markup, secondaries added, granted, removed, every job run', async () => {
      const { agencyId, primaryId, admin } = await ownAgency('AGENCY_UNLIMITED');
      const start = await agencyMoneyMicros(app, agencyId);
      expect(start).toBe(160_000_000n); // the 1,000 included minutes at $0.16
      expect(await admin.changePlan('PARTNER_LEGACY')).toEqual(['PLAN_NOT_AVAILABLE']);
      expect(await admin.setMarkup('10', '10')).toEqual([]);
      let at = new Date('2025-02-01T00:00:00.000Z').getTime();
      for (let round = 0; round < 4; round += 1) {
        clock.set(new Date(at));
        const subs = [await addOrThrow(admin), await addOrThrow(admin), await addOrThrow(admin)];
        at += 10 * DAY;
        await runJob(new Date(at).toISOString());
        for (const sub of subs) expect(await admin.remove(sub)).toEqual([]);
        await runJob(new Date(at + 60_000).toISOString());
      }
      expect(await agencyMoneyMicros(app, agencyId)).toBe(start);
      expect(await balanceMicros(primaryId)).toBe(start);
    });

    it('yields a genuine PARTNER_LEGACY agency only its entitlement: secondaries added, granted, removed and re-added within cycles', async () => {
      const { agencyId, admin } = await ownAgency('PARTNER_LEGACY', '2025-02-01T00:00:00.000Z');
      expect(await admin.setMarkup('10', '10')).toEqual([]);
      const start = await agencyMoneyMicros(app, agencyId);
      expect(start).toBe(PRIMARY_GRANT); // the creation grant of January's cycle
      // Two secondaries kept from before February 15: entitled to February's and March's grants.
      const kept = [await addOrThrow(admin), await addOrThrow(admin)];
      for (const cycle of ['2025-02-15', '2025-03-15']) {
        for (let round = 0; round < 3; round += 1) {
          clock.set(`${cycle}T12:0${round}:00.000Z`);
          const farmed = [await addOrThrow(admin), await addOrThrow(admin)];
          await runJob(`${cycle}T12:0${round}:30.000Z`);
          for (const sub of farmed) expect(await admin.remove(sub)).toEqual([]);
        }
        // Removing and restoring the kept ones after their grant brings nothing more.
        clock.set(`${cycle}T13:00:00.000Z`);
        for (const sub of kept) expect(await admin.remove(sub)).toEqual([]);
        for (const sub of kept) expect(await admin.restore(sub)).toEqual([]);
        await runJob(`${cycle}T14:00:00.000Z`);
        // Restored at 13:00 on the 15th, they are active since before the next cycle: it grants them again.
      }
      // Two cycles: the primary's 2,000 minutes and 200 for each of the two kept secondaries, at the base price.
      expect(await agencyMoneyMicros(app, agencyId)).toBe(start + 2n * (PRIMARY_GRANT + 2n * SECONDARY_GRANT));
    });
  });
});
