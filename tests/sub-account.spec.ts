import { randomBytes } from 'node:crypto';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, uniqueEmail, rawId } from './helpers/fixtures';

/** The uuid behind a global id, for SQL checks. */
const globalId = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`, 'utf8').toString('base64url');
const MISSING_UUID = '00000000-0000-4000-8000-000000000000';

/** Anchor `months` months after `start`, its day clamped to the month's length; computed independently of the API. */
function monthlyAnchor(start: Date, months: number): Date {
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(year, month, Math.min(start.getUTCDate(), lastDay), start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds(), start.getUTCMilliseconds()),
  );
}

const SUB_FIELDS = `
  id kind status name loginEmail applyBasePrice removedAt
  markupBasic: markup(tier: BASIC) { amount }
  markupPremium: markup(tier: PREMIUM) { amount }
  priceBasic: minutePrice(tier: BASIC) { amount }
  pricePremium: minutePrice(tier: PREMIUM) { amount }
`;
const ADD = `mutation($input: AddSubAccountInput!) {
  addSubAccount(input: $input) { subAccount { ${SUB_FIELDS} wallet { id balance { amount } } } userErrors { code field message } }
}`;
const UPDATE = `mutation($input: UpdateSubAccountInput!) {
  updateSubAccount(input: $input) { subAccount { ${SUB_FIELDS} } userErrors { code field message } }
}`;
const REMOVE = `mutation($id: ID!) {
  removeSubAccount(input: { id: $id }) { removedSubAccountId agency { id subAccountSlotsRemaining } userErrors { code field } }
}`;
const RESTORE = `mutation($id: ID!) {
  restoreSubAccount(input: { id: $id }) { subAccount { id status removedAt } userErrors { code field } }
}`;
const SUB = `query($id: ID!) { subAccount(id: $id) { ${SUB_FIELDS} wallet { id balance { amount } } } }`;
const SLOTS = `query($id: ID!) { agency(id: $id) { subAccountSlotsRemaining } }`;

describe('sub-accounts', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const add = async (agencyId: string, extra: Record<string, unknown> = {}) =>
    ok(
      await app.gql(ADD, {
        input: { agencyId, name: 'Client ' + randomBytes(3).toString('hex'), loginEmail: uniqueEmail('client'), ...extra },
      }),
    ).addSubAccount;
  const update = async (input: Record<string, unknown>) => ok(await app.gql(UPDATE, { input })).updateSubAccount;
  const remove = async (id: string) => ok(await app.gql(REMOVE, { id })).removeSubAccount;
  const restore = async (id: string) => ok(await app.gql(RESTORE, { id })).restoreSubAccount;
  const show = async (id: string) => ok(await app.gql(SUB, { id })).subAccount;
  const slots = async (agencyId: string) => ok(await app.gql(SLOTS, { id: agencyId })).agency.subAccountSlotsRemaining;

  async function activeCount(agencyId: string): Promise<number> {
    const [row] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM sub_accounts WHERE agency_id = $1 AND status = 'ACTIVE'`,
      [rawId(agencyId)],
    );
    return row.n;
  }
  async function totalRows(): Promise<{ subAccounts: number; wallets: number }> {
    const [row] = await app.dataSource.query(
      `SELECT (SELECT count(*) FROM sub_accounts)::int AS "subAccounts", (SELECT count(*) FROM wallets)::int AS wallets`,
    );
    return row;
  }
  /** The stored row of a sub-account, every column a mutation may change. */
  async function storedRow(subId: string) {
    const [row] = await app.dataSource.query(
      `SELECT name, login_email, markup_basic_micros::text AS markup_basic, markup_premium_micros::text AS markup_premium,
              apply_base_price, status, removed_at
         FROM sub_accounts WHERE id = $1`,
      [rawId(subId)],
    );
    return row;
  }

  describe('addSubAccount', () => {
    it('should add a secondary that follows the agency default with an empty wallet', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      const email = uniqueEmail('Mixed.Case');
      const before = await totalRows();
      const result = await add(agencyId, { name: '  Dental Clinic  ', loginEmail: email });
      expect(result.userErrors).toEqual([]);
      expect(result.subAccount).toMatchObject({
        kind: 'SECONDARY',
        status: 'ACTIVE',
        name: 'Dental Clinic',
        loginEmail: email,
        applyBasePrice: false,
        removedAt: null,
        markupBasic: { amount: '0.00' },
        priceBasic: { amount: '0.09' },
        pricePremium: { amount: '0.16' },
        wallet: { id: expect.any(String), balance: { amount: '0.00' } },
      });
      expect(await totalRows()).toEqual({ subAccounts: before.subAccounts + 1, wallets: before.wallets + 1 });
      expect(await slots(agencyId)).toBe(1);
    });

    it('should refuse a third sub-account on AGENCY_LITE because the cap counts the primary', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      await addSubAccount(app, agencyId);
      await addSubAccount(app, agencyId);
      expect(await slots(agencyId)).toBe(0);
      const before = await totalRows();

      const result = await add(agencyId);
      expect(result.subAccount).toBeNull();
      expect(result.userErrors).toEqual([expect.objectContaining({ code: 'PLAN_LIMIT_REACHED' })]);
      expect(await totalRows()).toEqual(before);
      expect(await activeCount(agencyId)).toBe(3);
    });

    it('should refuse any secondary on KICKSTART', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'KICKSTART' });
      expect(await slots(agencyId)).toBe(0);
      const result = await add(agencyId);
      expect(result.userErrors.map((e: { code: string }) => e.code)).toEqual(['PLAN_LIMIT_REACHED']);
      expect(await activeCount(agencyId)).toBe(1);
    });

    it('should have no cap on AGENCY_UNLIMITED', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      for (let i = 0; i < 4; i += 1) await addSubAccount(app, agencyId);
      expect(await slots(agencyId)).toBeNull();
      expect(await activeCount(agencyId)).toBe(5);
    });

    it.each([
      ['an invalid email', { loginEmail: 'client@' }, 'INVALID_EMAIL', ['loginEmail']],
      ['an empty name', { name: '' }, 'INVALID_NAME', ['name']],
      ['a negative markup', { markupBasic: '-1' }, 'INVALID_MARKUP', ['markupBasic']],
      ['a markup over $10', { markupPremium: '10.5' }, 'INVALID_MARKUP', ['markupPremium']],
    ])('should refuse to add a sub-account with %s and change nothing', async (_label, extra, code, field) => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      const before = await totalRows();
      const result = await add(agencyId, extra);
      expect(result).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code, field })] });
      expect(await totalRows()).toEqual(before);
    });

    it('should let exactly one of 20 parallel adds take the last free slot', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      await addSubAccount(app, agencyId);
      expect(await slots(agencyId)).toBe(1);

      const results = await Promise.all(Array.from({ length: 20 }, () => add(agencyId)));
      const succeeded = results.filter((r) => r.subAccount !== null);
      const codes = results.flatMap((r) => r.userErrors.map((e: { code: string }) => e.code));
      expect(succeeded).toHaveLength(1);
      expect(codes).toEqual(Array(19).fill('PLAN_LIMIT_REACHED'));
      expect(await activeCount(agencyId)).toBe(3);
      const [rows] = await app.dataSource.query(`SELECT count(*)::int AS n FROM sub_accounts WHERE agency_id = $1`, [rawId(agencyId)]);
      expect(rows.n).toBe(3);
      expect(await slots(agencyId)).toBe(0);
    });

    it('should let exactly one of 10 parallel adds with the same email in different cases succeed', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      const local = 'race-' + randomBytes(4).toString('hex');
      const variants = Array.from({ length: 10 }, (_, i) =>
        `${local}@Example.com`.split('').map((c, j) => ((i >> j % 4) & 1 ? c.toUpperCase() : c.toLowerCase())).join(''),
      );
      const results = await Promise.all(variants.map((loginEmail) => add(agencyId, { loginEmail })));
      expect(results.filter((r) => r.subAccount !== null)).toHaveLength(1);
      expect(results.flatMap((r) => r.userErrors.map((e: { code: string }) => e.code))).toEqual(Array(9).fill('EMAIL_TAKEN'));
      const [row] = await app.dataSource.query(
        `SELECT count(*)::int AS n FROM sub_accounts WHERE lower(login_email) = lower($1)`,
        [`${local}@example.com`],
      );
      expect(row.n).toBe(1);
      expect(await activeCount(agencyId)).toBe(2);
    });

    it('should let exactly one of 10 parallel adds with the same email into 10 different agencies succeed', async () => {
      const agencies = await Promise.all(Array.from({ length: 10 }, () => createAgency(app)));
      const email = uniqueEmail('across');
      const results = await Promise.all(
        agencies.map(({ agencyId }, i) => add(agencyId, { loginEmail: i % 2 ? email.toUpperCase() : email })),
      );
      expect(results.filter((r) => r.subAccount !== null)).toHaveLength(1);
      expect(results.flatMap((r) => r.userErrors.map((e: { code: string }) => e.code))).toEqual(Array(9).fill('EMAIL_TAKEN'));
      const [row] = await app.dataSource.query(`SELECT count(*)::int AS n FROM sub_accounts WHERE lower(login_email) = lower($1)`, [email]);
      expect(row.n).toBe(1);
    });

    it('should refuse an email active in another agency, whatever its case', async () => {
      const email = uniqueEmail('shared');
      const first = await createAgency(app);
      await addSubAccount(app, first.agencyId, { loginEmail: email });
      const second = await createAgency(app);
      const result = await add(second.agencyId, { loginEmail: email.toUpperCase() });
      expect(result.userErrors).toEqual([expect.objectContaining({ code: 'EMAIL_TAKEN', field: ['loginEmail'] })]);
      expect(await activeCount(second.agencyId)).toBe(1);
    });

    it('should let a removed sub-account email be reused, and then refuse to restore the removed one with EMAIL_TAKEN', async () => {
      const { agencyId } = await createAgency(app);
      const email = uniqueEmail('reuse');
      const original = await addSubAccount(app, agencyId, { loginEmail: email });
      expect((await remove(original)).userErrors).toEqual([]);

      const reused = await add(agencyId, { loginEmail: email.toUpperCase() });
      expect(reused.userErrors).toEqual([]);
      expect(reused.subAccount.loginEmail).toBe(email.toUpperCase());

      const restored = await restore(original);
      expect(restored).toEqual({ subAccount: null, userErrors: [{ code: 'EMAIL_TAKEN', field: ['id'] }] });
      expect((await storedRow(original)).status).toBe('REMOVED');
      expect(await activeCount(agencyId)).toBe(2);
    });
  });

  describe('updateSubAccount', () => {
    it('should change the name and login email and keep what was omitted', async () => {
      const { agencyId } = await createAgency(app);
      const subId = await addSubAccount(app, agencyId, { markupBasic: '0.02' });
      const email = uniqueEmail('renamed');
      const result = await update({ id: subId, name: '  Renamed Client ', loginEmail: ` ${email} ` });
      expect(result.userErrors).toEqual([]);
      expect(result.subAccount).toMatchObject({ id: subId, name: 'Renamed Client', loginEmail: email, markupBasic: { amount: '0.02' } });
      expect(await storedRow(subId)).toMatchObject({ name: 'Renamed Client', login_email: email, markup_basic: '20000' });
    });

    it('should let a sub-account keep its own email in another case', async () => {
      const { agencyId } = await createAgency(app);
      const email = uniqueEmail('self');
      const subId = await addSubAccount(app, agencyId, { loginEmail: email });
      const result = await update({ id: subId, loginEmail: email.toUpperCase() });
      expect(result.userErrors).toEqual([]);
      expect(result.subAccount.loginEmail).toBe(email.toUpperCase());
    });

    it('should refuse the email of another active sub-account with EMAIL_TAKEN and change nothing', async () => {
      const { agencyId } = await createAgency(app);
      const taken = uniqueEmail('taken');
      await addSubAccount(app, agencyId, { loginEmail: taken });
      const subId = await addSubAccount(app, agencyId);
      const before = await storedRow(subId);
      const result = await update({ id: subId, name: 'New name', loginEmail: taken.toUpperCase() });
      expect(result).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code: 'EMAIL_TAKEN', field: ['loginEmail'] })] });
      expect(await storedRow(subId)).toEqual(before);
    });

    it('should set markups per tier, return to the agency default on null, and price with applyBasePrice', async () => {
      const { agencyId } = await createAgency(app);
      ok(
        await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.01", premium: "0.02" }) { userErrors { code } } }`, {
          id: agencyId,
        }),
      );
      const subId = await addSubAccount(app, agencyId);

      const set = await update({ id: subId, markupBasic: '0.035', markupPremium: '0.04' });
      expect(set.userErrors).toEqual([]);
      expect(set.subAccount).toMatchObject({
        markupBasic: { amount: '0.035' },
        markupPremium: { amount: '0.04' },
        priceBasic: { amount: '0.125' },
        pricePremium: { amount: '0.20' },
      });

      const basicBack = await update({ id: subId, markupBasic: null });
      expect(basicBack.subAccount).toMatchObject({
        markupBasic: { amount: '0.01' },
        markupPremium: { amount: '0.04' },
        priceBasic: { amount: '0.10' },
        pricePremium: { amount: '0.20' },
      });
      expect(await storedRow(subId)).toMatchObject({ markup_basic: null, markup_premium: '40000' });

      const atBase = await update({ id: subId, applyBasePrice: true });
      expect(atBase.subAccount).toMatchObject({
        applyBasePrice: true,
        markupBasic: { amount: '0.00' },
        markupPremium: { amount: '0.00' },
        priceBasic: { amount: '0.09' },
        pricePremium: { amount: '0.16' },
      });

      const withMarkup = await update({ id: subId, applyBasePrice: false });
      expect(withMarkup.subAccount).toMatchObject({ applyBasePrice: false, markupBasic: { amount: '0.01' }, markupPremium: { amount: '0.04' } });

      const bothBack = await update({ id: subId, markupPremium: null });
      expect(bothBack.subAccount).toMatchObject({ markupBasic: { amount: '0.01' }, markupPremium: { amount: '0.02' } });
      expect(await storedRow(subId)).toMatchObject({ markup_basic: null, markup_premium: null, apply_base_price: false });
    });

    it.each([
      ['markupBasic', { markupBasic: '0.01' }],
      ['markupPremium', { markupPremium: '0.01' }],
      ['applyBasePrice', { applyBasePrice: false }],
    ])('should refuse to change the primary %s with PRIMARY_PAYS_BASE_PRICE', async (field, change) => {
      const { primaryId } = await createAgency(app);
      const before = await storedRow(primaryId);
      const result = await update({ id: primaryId, name: 'Changed', ...change });
      expect(result).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code: 'PRIMARY_PAYS_BASE_PRICE', field: [field] })] });
      expect(await storedRow(primaryId)).toEqual(before);
      expect(await show(primaryId)).toMatchObject({ applyBasePrice: true, priceBasic: { amount: '0.09' }, pricePremium: { amount: '0.16' } });
    });

    it('should let the primary change its name and login email', async () => {
      const { primaryId } = await createAgency(app);
      const email = uniqueEmail('owner');
      const result = await update({ id: primaryId, name: 'Owner', loginEmail: email, applyBasePrice: true });
      expect(result.userErrors).toEqual([]);
      expect(result.subAccount).toMatchObject({ kind: 'PRIMARY', name: 'Owner', loginEmail: email, applyBasePrice: true });
    });

    it('should refuse to edit a removed sub-account with SUB_ACCOUNT_REMOVED', async () => {
      const { agencyId } = await createAgency(app);
      const subId = await addSubAccount(app, agencyId);
      await remove(subId);
      const before = await storedRow(subId);
      const result = await update({ id: subId, name: 'Edited after removal' });
      expect(result).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code: 'SUB_ACCOUNT_REMOVED', field: ['id'] })] });
      expect(await storedRow(subId)).toEqual(before);
    });

    it.each([
      ['an invalid email', { loginEmail: 'nobody' }, 'INVALID_EMAIL', ['loginEmail']],
      ['an email with a display name', { loginEmail: 'Bob <bob@example.com>' }, 'INVALID_EMAIL', ['loginEmail']],
      ['a blank name', { name: '   ' }, 'INVALID_NAME', ['name']],
      ['a name with a newline', { name: 'two\nlines' }, 'INVALID_NAME', ['name']],
      ['a negative markup', { markupBasic: '-0.000001' }, 'INVALID_MARKUP', ['markupBasic']],
      ['a markup over $10', { markupPremium: '10.000001' }, 'INVALID_MARKUP', ['markupPremium']],
    ])('should refuse %s and change nothing', async (_label, change, code, field) => {
      const { agencyId } = await createAgency(app);
      const subId = await addSubAccount(app, agencyId, { markupBasic: '0.01' });
      const before = await storedRow(subId);
      const valid = { name: 'Would be renamed', loginEmail: uniqueEmail('would'), markupPremium: '0.03' };
      const result = await update({ id: subId, ...valid, ...change });
      expect(result).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code, field })] });
      expect(await storedRow(subId)).toEqual(before);
    });
  });

  describe('removeSubAccount', () => {
    it('should refuse to remove the primary with PRIMARY_NOT_REMOVABLE', async () => {
      const { agencyId, primaryId } = await createAgency(app);
      const before = await storedRow(primaryId);
      const result = await remove(primaryId);
      expect(result).toEqual({ removedSubAccountId: null, agency: null, userErrors: [{ code: 'PRIMARY_NOT_REMOVABLE', field: ['id'] }] });
      expect(await storedRow(primaryId)).toEqual(before);
      expect(await activeCount(agencyId)).toBe(1);
    });

    it('should remove softly: status REMOVED, removedAt set, a slot freed, the row and wallet kept', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      const subId = await addSubAccount(app, agencyId);
      await addSubAccount(app, agencyId);
      expect(await slots(agencyId)).toBe(0);
      const walletBefore = (await show(subId)).wallet.id;
      const before = Date.now();

      const result = await remove(subId);
      expect(result).toEqual({ removedSubAccountId: subId, agency: { id: agencyId, subAccountSlotsRemaining: 1 }, userErrors: [] });

      const removed = await show(subId);
      expect(removed.status).toBe('REMOVED');
      expect(new Date(removed.removedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(removed.removedAt).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(removed.wallet.id).toBe(walletBefore);
      const [row] = await app.dataSource.query(`SELECT count(*)::int AS n FROM wallets WHERE sub_account_id = $1`, [rawId(subId)]);
      expect(row.n).toBe(1);

      const listed = ok(
        await app.gql(`query($id: ID!) { agency(id: $id) { subAccounts(status: REMOVED) { edges { node { id } } } } }`, { id: agencyId }),
      );
      expect(listed.agency.subAccounts.edges).toEqual([{ node: { id: subId } }]);

      expect((await add(agencyId)).userErrors).toEqual([]);
      expect(await slots(agencyId)).toBe(0);
    });

    it('should refuse to remove a removed sub-account with ALREADY_REMOVED', async () => {
      const { agencyId } = await createAgency(app);
      const subId = await addSubAccount(app, agencyId);
      await remove(subId);
      const before = await storedRow(subId);
      const result = await remove(subId);
      expect(result.userErrors).toEqual([{ code: 'ALREADY_REMOVED', field: ['id'] }]);
      expect(await storedRow(subId)).toEqual(before);
    });
  });

  describe('restoreSubAccount', () => {
    it('should refuse to restore an active sub-account with NOT_REMOVED', async () => {
      const { agencyId } = await createAgency(app);
      const subId = await addSubAccount(app, agencyId);
      expect(await restore(subId)).toEqual({ subAccount: null, userErrors: [{ code: 'NOT_REMOVED', field: ['id'] }] });
    });

    it('should refuse to restore without a free slot with PLAN_LIMIT_REACHED', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      const subId = await addSubAccount(app, agencyId);
      await addSubAccount(app, agencyId);
      await remove(subId);
      await addSubAccount(app, agencyId);
      const before = await storedRow(subId);

      const result = await restore(subId);
      expect(result).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code: 'PLAN_LIMIT_REACHED' })] });
      expect(await storedRow(subId)).toEqual(before);
      expect(await activeCount(agencyId)).toBe(3);
    });

    it('should restore a removed sub-account while a slot is free', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_LITE' });
      const subId = await addSubAccount(app, agencyId);
      await addSubAccount(app, agencyId);
      await remove(subId);
      expect(await slots(agencyId)).toBe(1);

      const result = await restore(subId);
      expect(result).toEqual({ subAccount: { id: subId, status: 'ACTIVE', removedAt: null }, userErrors: [] });
      expect(await storedRow(subId)).toMatchObject({ status: 'ACTIVE', removed_at: null });
      expect(await slots(agencyId)).toBe(0);
    });
  });

  describe('unknown and malformed ids', () => {
    const malformed = [
      ['an id that does not exist', globalId('SubAccount', MISSING_UUID)],
      ['garbage', 'not-a-global-id'],
      ['an empty id', ''],
      ['an id of another type', globalId('Agency', MISSING_UUID)],
      ['an id whose uuid is malformed', globalId('SubAccount', 'x'.repeat(36))],
    ];

    it.each(malformed)('should answer NOT_FOUND to update, remove and restore for %s', async (_label, id) => {
      expect(await update({ id, name: 'x' })).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code: 'NOT_FOUND', field: ['id'] })] });
      expect((await remove(id)).userErrors).toEqual([{ code: 'NOT_FOUND', field: ['id'] }]);
      expect((await restore(id)).userErrors).toEqual([{ code: 'NOT_FOUND', field: ['id'] }]);
    });

    it.each(malformed)('should answer null to subAccount and node for %s', async (_label, id) => {
      const data = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { id } node(id: $id) { id } }`, { id }));
      expect(data).toEqual({ subAccount: null, node: null });
    });

    it('should answer NOT_FOUND to addSubAccount for an agency that does not exist', async () => {
      const before = await totalRows();
      for (const agencyId of [globalId('Agency', MISSING_UUID), 'garbage', globalId('SubAccount', MISSING_UUID)]) {
        const result = await add(agencyId);
        expect(result).toEqual({ subAccount: null, userErrors: [expect.objectContaining({ code: 'NOT_FOUND', field: ['agencyId'] })] });
      }
      expect(await totalRows()).toEqual(before);
    });

    it('should refuse an id longer than the input limit with BAD_USER_INPUT', async () => {
      const response = await app.gql(UPDATE, { input: { id: 'x'.repeat(201), name: 'x' } });
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('billingCycle', () => {
    it('should answer the current monthly cycle of a subscription started years ago on the 31st', async () => {
      const { agencyId } = await createAgency(app);
      const startedAt = new Date('2023-01-31T08:30:00.000Z');
      const subId = await addSubAccount(app, agencyId, { subscriptionStartedAt: startedAt.toISOString() });
      const now = new Date();
      const data = ok(
        await app.gql(`query($id: ID!) { subAccount(id: $id) { subscriptionStartedAt billingCycle { start end nextBillingDate } } }`, { id: subId }),
      );
      let months = 0;
      while (monthlyAnchor(startedAt, months + 1).getTime() <= now.getTime()) months += 1;
      expect(data.subAccount).toEqual({
        subscriptionStartedAt: startedAt.toISOString(),
        billingCycle: {
          start: monthlyAnchor(startedAt, months).toISOString(),
          end: monthlyAnchor(startedAt, months + 1).toISOString(),
          nextBillingDate: monthlyAnchor(startedAt, months + 1).toISOString(),
        },
      });
      const start = new Date(data.subAccount.billingCycle.start);
      expect(start.getTime()).toBeLessThanOrEqual(now.getTime());
      expect(new Date(data.subAccount.billingCycle.end).getTime()).toBeGreaterThan(now.getTime());
      expect(start.getUTCHours()).toBe(8);
      expect(start.getUTCMinutes()).toBe(30);
    });

    it('should start the first cycle at the subscription start when it is omitted', async () => {
      const { agencyId } = await createAgency(app);
      const subId = await addSubAccount(app, agencyId);
      const data = ok(
        await app.gql(`query($id: ID!) { subAccount(id: $id) { subscriptionStartedAt billingCycle { start end } } }`, { id: subId }),
      );
      expect(data.subAccount.billingCycle.start).toBe(data.subAccount.subscriptionStartedAt);
      expect(data.subAccount.billingCycle.end).toBe(monthlyAnchor(new Date(data.subAccount.subscriptionStartedAt), 1).toISOString());
    });
  });
});
