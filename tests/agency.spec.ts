import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, uniqueEmail, rawId } from './helpers/fixtures';

/** The uuid behind a global id ("Agency:<uuid>" in base64url), for SQL checks. */

/** The first instant after `now` on the monthly anchor of `start` (day clamped to the month's length), computed independently. */
function nextMonthlyAnchor(start: Date, now: Date): Date {
  for (let months = 1; ; months += 1) {
    const year = start.getUTCFullYear();
    const month = start.getUTCMonth() + months;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const candidate = new Date(
      Date.UTC(year, month, Math.min(start.getUTCDate(), lastDay), start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds(), start.getUTCMilliseconds()),
    );
    if (candidate.getTime() > now.getTime()) return candidate;
  }
}

const CREATE_AGENCY = `mutation($input: CreateAgencyInput!) {
  createAgency(input: $input) {
    agency {
      id name planRenewsAt subAccountSlotsRemaining
      plan { code }
      defaultBasic: defaultMarkup(tier: BASIC) { amount }
      defaultPremium: defaultMarkup(tier: PREMIUM) { amount }
      primarySubAccount {
        id kind status name loginEmail applyBasePrice
        markupBasic: markup(tier: BASIC) { amount }
        markupPremium: markup(tier: PREMIUM) { amount }
        priceBasic: minutePrice(tier: BASIC) { amount currencyCode }
        pricePremium: minutePrice(tier: PREMIUM) { amount currencyCode }
        wallet { id balance { amount currencyCode } }
      }
      subAccounts { totalCount edges { node { id } } }
    }
    userErrors { code field message }
  }
}`;

const CHANGE_PLAN = `mutation($input: ChangeAgencyPlanInput!) {
  changeAgencyPlan(input: $input) { agency { id plan { code } subAccountSlotsRemaining } userErrors { code field } }
}`;

const SET_MARKUP = `mutation($input: SetAgencyMarkupInput!) {
  setAgencyMarkup(input: $input) {
    agency { id basic: defaultMarkup(tier: BASIC) { amount } premium: defaultMarkup(tier: PREMIUM) { amount } }
    userErrors { code field }
  }
}`;

const PRICING = `query($id: ID!) {
  subAccount(id: $id) {
    applyBasePrice
    markupBasic: markup(tier: BASIC) { amount }
    markupPremium: markup(tier: PREMIUM) { amount }
    priceBasic: minutePrice(tier: BASIC) { amount }
    pricePremium: minutePrice(tier: PREMIUM) { amount }
  }
}`;

describe('agencies', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  async function rowCounts(): Promise<{ agencies: number; subAccounts: number; wallets: number }> {
    const [row] = await app.dataSource.query(
      `SELECT (SELECT count(*) FROM agencies)::int AS agencies,
              (SELECT count(*) FROM sub_accounts)::int AS "subAccounts",
              (SELECT count(*) FROM wallets)::int AS wallets`,
    );
    return row;
  }

  async function pricing(subAccountId: string) {
    return ok(await app.gql(PRICING, { id: subAccountId })).subAccount;
  }

  describe('createAgency', () => {
    it('should create the agency with a primary sub-account that pays the base price and has a wallet', async () => {
      const before = await rowCounts();
      const email = uniqueEmail('owner');
      const data = ok(
        await app.gql(CREATE_AGENCY, { input: { name: '  Acme Voice  ', planCode: 'AGENCY_LITE', primaryLoginEmail: email } }),
      );
      expect(data.createAgency.userErrors).toEqual([]);
      const agency = data.createAgency.agency;
      expect(agency.name).toBe('Acme Voice');
      expect(agency.plan.code).toBe('AGENCY_LITE');
      expect(agency.subAccountSlotsRemaining).toBe(2);
      expect(agency.defaultBasic.amount).toBe('0.00');
      expect(agency.defaultPremium.amount).toBe('0.00');
      expect(agency.primarySubAccount).toMatchObject({
        kind: 'PRIMARY',
        status: 'ACTIVE',
        loginEmail: email,
        applyBasePrice: true,
        markupBasic: { amount: '0.00' },
        markupPremium: { amount: '0.00' },
        priceBasic: { amount: '0.09', currencyCode: 'USD' },
        pricePremium: { amount: '0.16', currencyCode: 'USD' },
      });
      // Issue 2 opens the wallet at 0; the ledger issue then credits the plan's included minutes to the
      // primary in the same transaction, so only the wallet's existence is asserted here.
      expect(agency.primarySubAccount.wallet).toEqual({ id: expect.any(String), balance: { amount: expect.any(String), currencyCode: 'USD' } });
      expect(agency.subAccounts.totalCount).toBe(1);
      expect(agency.subAccounts.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([agency.primarySubAccount.id]);

      const after = await rowCounts();
      expect(after).toEqual({ agencies: before.agencies + 1, subAccounts: before.subAccounts + 1, wallets: before.wallets + 1 });
      const wallets = await app.dataSource.query(
        `SELECT w.id FROM wallets w JOIN sub_accounts s ON s.id = w.sub_account_id WHERE s.agency_id = $1 AND s.kind = 'PRIMARY'`,
        [rawId(agency.id)],
      );
      expect(wallets).toHaveLength(1);
    });

    it('should compute planRenewsAt as the next monthly anchor of planStartedAt, the day clamped to the month', async () => {
      const planStartedAt = '2024-01-31T12:00:00.000Z';
      const data = ok(
        await app.gql(CREATE_AGENCY, {
          input: { name: 'Anchored', planCode: 'KICKSTART', primaryLoginEmail: uniqueEmail('anchor'), planStartedAt },
        }),
      );
      const renewsAt = new Date(data.createAgency.agency.planRenewsAt);
      expect(renewsAt.toISOString()).toBe(nextMonthlyAnchor(new Date(planStartedAt), new Date()).toISOString());
      expect(renewsAt.getTime()).toBeGreaterThan(Date.now());
      expect(renewsAt.getUTCHours()).toBe(12);
    });

    it('should renew a plan started now one month from now', async () => {
      const before = Date.now();
      const data = ok(
        await app.gql(CREATE_AGENCY, { input: { name: 'Starts now', planCode: 'KICKSTART', primaryLoginEmail: uniqueEmail('now') } }),
      );
      const renewsAt = new Date(data.createAgency.agency.planRenewsAt).getTime();
      expect(renewsAt).toBeGreaterThan(before + 27 * 86_400_000);
      expect(renewsAt).toBeLessThanOrEqual(Date.now() + 31 * 86_400_000);
    });

    it.each([
      ['an empty name', { name: '   ' }, 'INVALID_NAME', ['name']],
      ['a name with control characters', { name: 'Bad\u0007Name' }, 'INVALID_NAME', ['name']],
      ['a name over 200 characters', { name: 'x'.repeat(201) }, 'INVALID_NAME', ['name']],
      ['an invalid email', { primaryLoginEmail: 'not-an-email' }, 'INVALID_EMAIL', ['primaryLoginEmail']],
      ['an email without a domain', { primaryLoginEmail: 'someone@localhost' }, 'INVALID_EMAIL', ['primaryLoginEmail']],
      ['an unknown plan', { planCode: 'GOLD' }, 'UNKNOWN_PLAN', ['planCode']],
      ['a plan code in the wrong case', { planCode: 'kickstart' }, 'UNKNOWN_PLAN', ['planCode']],
    ])('should refuse %s and change nothing', async (_label, override, code, field) => {
      const before = await rowCounts();
      const data = ok(
        await app.gql(CREATE_AGENCY, {
          input: { name: 'Valid name', planCode: 'AGENCY_LITE', primaryLoginEmail: uniqueEmail('v'), ...override },
        }),
      );
      expect(data.createAgency.agency).toBeNull();
      expect(data.createAgency.userErrors).toHaveLength(1);
      expect(data.createAgency.userErrors[0].code).toBe(code);
      expect(data.createAgency.userErrors[0].field).toEqual(field);
      expect(await rowCounts()).toEqual(before);
    });

    it('should refuse a plan code with a NUL character with BAD_USER_INPUT and change nothing', async () => {
      const before = await rowCounts();
      const response = await app.gql(CREATE_AGENCY, {
        input: { name: 'Valid name', planCode: 'KICKSTART\u0000', primaryLoginEmail: uniqueEmail('v') },
      });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0].extensions?.field).toBe('input.planCode');
      expect(await rowCounts()).toEqual(before);
    });

    it('should refuse a primary login email already used by an active sub-account, whatever its case, and change nothing', async () => {
      const email = uniqueEmail('taken');
      const owner = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      await addSubAccount(app, owner.agencyId, { loginEmail: email });
      const before = await rowCounts();

      const data = ok(
        await app.gql(CREATE_AGENCY, { input: { name: 'Copycat', planCode: 'AGENCY_LITE', primaryLoginEmail: email.toUpperCase() } }),
      );
      expect(data.createAgency.agency).toBeNull();
      expect(data.createAgency.userErrors).toEqual([expect.objectContaining({ code: 'EMAIL_TAKEN', field: ['primaryLoginEmail'] })]);
      expect(await rowCounts()).toEqual(before);
    });

    it('should refuse the email of another agency primary in another case', async () => {
      const email = uniqueEmail('Primary');
      ok(await app.gql(CREATE_AGENCY, { input: { name: 'First', planCode: 'KICKSTART', primaryLoginEmail: email } }));
      const before = await rowCounts();
      const data = ok(
        await app.gql(CREATE_AGENCY, { input: { name: 'Second', planCode: 'KICKSTART', primaryLoginEmail: `  ${email.toLowerCase()}  ` } }),
      );
      expect(data.createAgency.userErrors.map((e: { code: string }) => e.code)).toEqual(['EMAIL_TAKEN']);
      expect(await rowCounts()).toEqual(before);
    });

    it('should let exactly one of 5 parallel creations with the same primary email succeed', async () => {
      const email = uniqueEmail('race');
      const before = await rowCounts();
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          app.gql(CREATE_AGENCY, {
            input: { name: `Racer ${i}`, planCode: 'KICKSTART', primaryLoginEmail: i % 2 ? email.toUpperCase() : email },
          }),
        ),
      );
      const payloads = results.map((r) => ok(r).createAgency);
      expect(payloads.filter((p) => p.agency !== null)).toHaveLength(1);
      expect(payloads.flatMap((p) => p.userErrors.map((e: { code: string }) => e.code))).toEqual(Array(4).fill('EMAIL_TAKEN'));
      const after = await rowCounts();
      expect(after.agencies).toBe(before.agencies + 1);
      expect(after.subAccounts).toBe(before.subAccounts + 1);
    });
  });

  describe('plans', () => {
    it('should list the four seeded plans with their caps, base prices, included premium minutes and which is legacy', async () => {
      const data = ok(
        await app.gql(`{
          plans {
            code name subAccountLimit legacy
            basic: basePrice(tier: BASIC) { amount currencyCode }
            premium: basePrice(tier: PREMIUM) { amount currencyCode }
            includedPremium: includedMinutes(tier: PREMIUM)
          }
        }`),
      );
      expect(
        data.plans.map((p: any) => [p.code, p.subAccountLimit, p.basic.amount, p.premium.amount, p.includedPremium, p.legacy]),
      ).toEqual([
        ['KICKSTART', 1, '0.09', '0.16', '100', false],
        ['AGENCY_LITE', 3, '0.09', '0.16', '300', false],
        ['AGENCY_UNLIMITED', null, '0.09', '0.16', '1000', false],
        ['PARTNER_LEGACY', null, '0.09', '0.16', '2000', true],
      ]);
      for (const plan of data.plans) {
        expect(plan.basic.currencyCode).toBe('USD');
        expect(plan.name).toEqual(expect.any(String));
      }
    });
  });

  describe('changeAgencyPlan', () => {
    it('should refuse a plan whose cap is below the active sub-accounts with PLAN_TOO_SMALL and change nothing', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      await addSubAccount(app, agencyId);
      await addSubAccount(app, agencyId);
      await addSubAccount(app, agencyId);

      const data = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'AGENCY_LITE' } }));
      expect(data.changeAgencyPlan.agency).toBeNull();
      expect(data.changeAgencyPlan.userErrors).toEqual([{ code: 'PLAN_TOO_SMALL', field: ['planCode'] }]);
      const [row] = await app.dataSource.query(`SELECT plan_code FROM agencies WHERE id = $1`, [rawId(agencyId)]);
      expect(row.plan_code).toBe('AGENCY_UNLIMITED');
    });

    it('should refuse KICKSTART for an agency with one secondary', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      await addSubAccount(app, agencyId);
      const data = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'KICKSTART' } }));
      expect(data.changeAgencyPlan.userErrors.map((e: { code: string }) => e.code)).toEqual(['PLAN_TOO_SMALL']);
    });

    it('should count only active sub-accounts when checking the new cap', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      const subs = [await addSubAccount(app, agencyId), await addSubAccount(app, agencyId), await addSubAccount(app, agencyId)];
      ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: subs[0] }));
      const data = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'AGENCY_LITE' } }));
      expect(data.changeAgencyPlan.userErrors).toEqual([]);
      expect(data.changeAgencyPlan.agency).toEqual({ id: agencyId, plan: { code: 'AGENCY_LITE' }, subAccountSlotsRemaining: 0 });
    });

    it.each([
      ['a code that does not exist', 'PLATINUM'],
      ['an empty code', ''],
    ])('should refuse a plan change to %s with UNKNOWN_PLAN and change nothing', async (_label, planCode) => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      const data = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode } }));
      expect(data.changeAgencyPlan.userErrors).toEqual([{ code: 'UNKNOWN_PLAN', field: ['planCode'] }]);
      const [row] = await app.dataSource.query(`SELECT plan_code FROM agencies WHERE id = $1`, [rawId(agencyId)]);
      expect(row.plan_code).toBe('AGENCY_LITE');
    });

    // Text input is well-formed Unicode without NUL (README, "Errors and limits"): refused before the resolver runs.
    it('should refuse a plan change to a code with a NUL character with BAD_USER_INPUT and change nothing', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      const response = await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'AGENCY_LITE\u0000' } });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0].extensions?.field).toBe('input.planCode');
      const [row] = await app.dataSource.query(`SELECT plan_code FROM agencies WHERE id = $1`, [rawId(agencyId)]);
      expect(row.plan_code).toBe('AGENCY_LITE');
    });

    it('should move the agency to a plan that fits and update subAccountSlotsRemaining', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'KICKSTART' });
      const upgraded = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'AGENCY_LITE' } }));
      expect(upgraded.changeAgencyPlan).toEqual({
        agency: { id: agencyId, plan: { code: 'AGENCY_LITE' }, subAccountSlotsRemaining: 2 },
        userErrors: [],
      });
      await addSubAccount(app, agencyId);
      const unlimited = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'AGENCY_UNLIMITED' } }));
      expect(unlimited.changeAgencyPlan.agency).toEqual({ id: agencyId, plan: { code: 'AGENCY_UNLIMITED' }, subAccountSlotsRemaining: null });
      const back = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'AGENCY_LITE' } }));
      expect(back.changeAgencyPlan.agency.subAccountSlotsRemaining).toBe(1);
      const [row] = await app.dataSource.query(`SELECT plan_code FROM agencies WHERE id = $1`, [rawId(agencyId)]);
      expect(row.plan_code).toBe('AGENCY_LITE');
    });

    it('should refuse the legacy plan PARTNER_LEGACY with PLAN_NOT_AVAILABLE and change nothing', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      const data = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'PARTNER_LEGACY' } }));
      expect(data.changeAgencyPlan).toEqual({ agency: null, userErrors: [{ code: 'PLAN_NOT_AVAILABLE', field: ['planCode'] }] });
      const [row] = await app.dataSource.query(`SELECT plan_code FROM agencies WHERE id = $1`, [rawId(agencyId)]);
      expect(row.plan_code).toBe('AGENCY_UNLIMITED');
    });

    it('should answer NOT_FOUND for an agency id that does not exist or is malformed', async () => {
      const missing = Buffer.from('Agency:00000000-0000-4000-8000-000000000000').toString('base64url');
      for (const agencyId of [missing, 'not-an-id', Buffer.from('SubAccount:00000000-0000-4000-8000-000000000000').toString('base64url')]) {
        const data = ok(await app.gql(CHANGE_PLAN, { input: { agencyId, planCode: 'AGENCY_LITE' } }));
        expect(data.changeAgencyPlan).toEqual({ agency: null, userErrors: [{ code: 'NOT_FOUND', field: ['agencyId'] }] });
      }
    });
  });

  describe('setAgencyMarkup', () => {
    it.each([
      ['a negative markup', { basic: '-0.01', premium: '0.02' }, ['basic']],
      ['a markup over $10', { basic: '0.01', premium: '10.000001' }, ['premium']],
      ['a markup of $11', { basic: '11', premium: '0.02' }, ['basic']],
    ])('should refuse %s with INVALID_MARKUP and change nothing', async (_label, markups, field) => {
      const { agencyId } = await createAgency(app);
      ok(await app.gql(SET_MARKUP, { input: { agencyId, basic: '0.01', premium: '0.02' } }));
      const data = ok(await app.gql(SET_MARKUP, { input: { agencyId, ...markups } }));
      expect(data.setAgencyMarkup).toEqual({ agency: null, userErrors: [{ code: 'INVALID_MARKUP', field }] });
      const [row] = await app.dataSource.query(
        `SELECT default_markup_basic_micros::text AS basic, default_markup_premium_micros::text AS premium FROM agencies WHERE id = $1`,
        [rawId(agencyId)],
      );
      expect(row).toEqual({ basic: '10000', premium: '20000' });
    });

    it('should refuse a markup with more than 6 decimals before it reaches the service and change nothing', async () => {
      const { agencyId } = await createAgency(app);
      const response = await app.gql(SET_MARKUP, { input: { agencyId, basic: '0.0000001', premium: '0.02' } });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const [row] = await app.dataSource.query(`SELECT default_markup_basic_micros::text AS basic FROM agencies WHERE id = $1`, [
        rawId(agencyId),
      ]);
      expect(row.basic).toBe('0');
    });

    it('should accept the bounds: 0 and exactly $10 with 6 decimals', async () => {
      const { agencyId } = await createAgency(app);
      const data = ok(await app.gql(SET_MARKUP, { input: { agencyId, basic: '0', premium: '10.000000' } }));
      expect(data.setAgencyMarkup.agency).toMatchObject({ basic: { amount: '0.00' }, premium: { amount: '10.00' } });
      const precise = ok(await app.gql(SET_MARKUP, { input: { agencyId, basic: '0.000001', premium: '9.999999' } }));
      expect(precise.setAgencyMarkup.agency).toMatchObject({ basic: { amount: '0.000001' }, premium: { amount: '9.999999' } });
    });

    it('should apply a new default at once to sub-accounts without an override and leave overrides alone', async () => {
      const { agencyId, primaryId } = await createAgency(app);
      const follower = await addSubAccount(app, agencyId);
      const overridden = await addSubAccount(app, agencyId, { markupBasic: '0.05', markupPremium: '0.07' });
      const halfOverridden = await addSubAccount(app, agencyId, { markupPremium: '0.01' });
      const atBase = await addSubAccount(app, agencyId, { applyBasePrice: true });

      expect(await pricing(follower)).toEqual({
        applyBasePrice: false,
        markupBasic: { amount: '0.00' },
        markupPremium: { amount: '0.00' },
        priceBasic: { amount: '0.09' },
        pricePremium: { amount: '0.16' },
      });

      const data = ok(await app.gql(SET_MARKUP, { input: { agencyId, basic: '0.03', premium: '0.045' } }));
      expect(data.setAgencyMarkup).toEqual({
        agency: { id: agencyId, basic: { amount: '0.03' }, premium: { amount: '0.045' } },
        userErrors: [],
      });

      expect(await pricing(follower)).toEqual({
        applyBasePrice: false,
        markupBasic: { amount: '0.03' },
        markupPremium: { amount: '0.045' },
        priceBasic: { amount: '0.12' },
        pricePremium: { amount: '0.205' },
      });
      expect(await pricing(overridden)).toEqual({
        applyBasePrice: false,
        markupBasic: { amount: '0.05' },
        markupPremium: { amount: '0.07' },
        priceBasic: { amount: '0.14' },
        pricePremium: { amount: '0.23' },
      });
      expect(await pricing(halfOverridden)).toEqual({
        applyBasePrice: false,
        markupBasic: { amount: '0.03' },
        markupPremium: { amount: '0.01' },
        priceBasic: { amount: '0.12' },
        pricePremium: { amount: '0.17' },
      });
      const base = { markupBasic: { amount: '0.00' }, markupPremium: { amount: '0.00' }, priceBasic: { amount: '0.09' }, pricePremium: { amount: '0.16' } };
      expect(await pricing(atBase)).toEqual({ applyBasePrice: true, ...base });
      expect(await pricing(primaryId)).toEqual({ applyBasePrice: true, ...base });
    });

    it('should answer NOT_FOUND for an unknown agency and change nothing', async () => {
      const missing = Buffer.from('Agency:00000000-0000-4000-8000-000000000000').toString('base64url');
      const data = ok(await app.gql(SET_MARKUP, { input: { agencyId: missing, basic: '0.01', premium: '0.01' } }));
      expect(data.setAgencyMarkup).toEqual({ agency: null, userErrors: [{ code: 'NOT_FOUND', field: ['agencyId'] }] });
    });
  });
});
