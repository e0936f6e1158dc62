import { startTestApp, ok, errorCode, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, uniqueEmail, rawId } from './helpers/fixtures';


const SET_MARKUP = `mutation($input: SetAgencyMarkupInput!) {
  setAgencyMarkup(input: $input) { agency { id } userErrors { code field } }
}`;
const CREATE_AGENCY = `mutation($input: CreateAgencyInput!) {
  createAgency(input: $input) { agency { id planRenewsAt primarySubAccount { subscriptionStartedAt } } userErrors { code field } }
}`;

/** Nothing a client receives may carry internals: no stack, no exception object, no SQL. */
function expectNoInternals(response: GraphQLResponse): void {
  const text = JSON.stringify(response);
  for (const error of response.errors ?? []) {
    expect(error.extensions).not.toHaveProperty('stacktrace');
    expect(error.extensions).not.toHaveProperty('exception');
  }
  expect(text).not.toMatch(/stacktrace|\.ts:\d+|node_modules|\bat \w+ \(/);
}

describe('input limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  async function storedMarkups(agencyId: string): Promise<{ basic: string; premium: string }> {
    const [row] = await app.dataSource.query(
      `SELECT default_markup_basic_micros::text AS basic, default_markup_premium_micros::text AS premium FROM agencies WHERE id = $1`,
      [rawId(agencyId)],
    );
    return row;
  }
  async function rowCounts(): Promise<{ agencies: number; subAccounts: number }> {
    const [row] = await app.dataSource.query(
      `SELECT (SELECT count(*) FROM agencies)::int AS agencies, (SELECT count(*) FROM sub_accounts)::int AS "subAccounts"`,
    );
    return row;
  }

  describe('the Decimal scalar', () => {
    it('should refuse a markup sent as a JSON number with BAD_USER_INPUT and change nothing', async () => {
      const { agencyId } = await createAgency(app);
      const response = await app.gql(SET_MARKUP, { input: { agencyId, basic: 0.05, premium: '0.05' } });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0].message).toMatch(/string/);
      expect(response.data).toBeUndefined();
      expect(await storedMarkups(agencyId)).toEqual({ basic: '0', premium: '0' });
      expectNoInternals(response);
    });

    it('should refuse an integer JSON number too', async () => {
      const { agencyId } = await createAgency(app);
      const response = await app.gql(SET_MARKUP, { input: { agencyId, basic: '0.01', premium: 1 } });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(await storedMarkups(agencyId)).toEqual({ basic: '0', premium: '0' });
    });

    it.each([
      ['an exponent', '1e3'],
      ['a small exponent', '5E-2'],
      ['NaN', 'NaN'],
      ['Infinity', 'Infinity'],
      ['seven fractional digits', '0.0000001'],
      ['thirteen integer digits', '1234567890123.5'],
      ['an empty string', ''],
      ['a leading space', ' 0.05'],
      ['a plus sign', '+0.05'],
      ['a trailing dot', '1.'],
      ['a leading dot', '.5'],
      ['a hexadecimal number', '0x10'],
      ['a decimal comma', '0,05'],
      ['non-ASCII digits', '٠.٠٥'],
      ['a lone minus', '-'],
    ])('should refuse %s (%p) with BAD_USER_INPUT and change nothing', async (_label, value) => {
      const { agencyId } = await createAgency(app);
      const response = await app.gql(SET_MARKUP, { input: { agencyId, basic: value, premium: '0.02' } });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(await storedMarkups(agencyId)).toEqual({ basic: '0', premium: '0' });
    });

    it('should let twelve integer digits through the scalar to the markup rule, which refuses them', async () => {
      const { agencyId } = await createAgency(app);
      const data = ok(await app.gql(SET_MARKUP, { input: { agencyId, basic: '999999999999.999999', premium: '0.02' } }));
      expect(data.setAgencyMarkup).toEqual({ agency: null, userErrors: [{ code: 'INVALID_MARKUP', field: ['basic'] }] });
      expect(await storedMarkups(agencyId)).toEqual({ basic: '0', premium: '0' });
    });

    it('should refuse a Decimal in addSubAccount sent as a JSON number and add nothing', async () => {
      const { agencyId } = await createAgency(app);
      const before = await rowCounts();
      const response = await app.gql(
        `mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } userErrors { code } } }`,
        { input: { agencyId, name: 'Float client', loginEmail: uniqueEmail('float'), markupBasic: 0.1 } },
      );
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(await rowCounts()).toEqual(before);
    });

    it.each([
      ['float', '0.05'],
      ['integer', '1'],
      ['boolean', 'true'],
    ])('should refuse an inline %s literal and change nothing', async (_label, literal) => {
      const { agencyId } = await createAgency(app);
      const response = await app.gql(
        `mutation { setAgencyMarkup(input: { agencyId: "${agencyId}", basic: ${literal}, premium: "0.02" }) { userErrors { code } } }`,
      );
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.errors![0].message).toMatch(/Decimal/);
      expect(await storedMarkups(agencyId)).toEqual({ basic: '0', premium: '0' });
    });

    it('should accept an inline string literal and exact decimal strings, and answer money as strings', async () => {
      const { agencyId } = await createAgency(app);
      const data = ok(
        await app.gql(
          `mutation { setAgencyMarkup(input: { agencyId: "${agencyId}", basic: "0.000001", premium: "9.999999" }) {
            agency { basic: defaultMarkup(tier: BASIC) { amount } premium: defaultMarkup(tier: PREMIUM) { amount } } userErrors { code } } }`,
        ),
      );
      expect(data.setAgencyMarkup).toEqual({ agency: { basic: { amount: '0.000001' }, premium: { amount: '9.999999' } }, userErrors: [] });
      expect(await storedMarkups(agencyId)).toEqual({ basic: '1', premium: '9999999' });
    });
  });

  describe('the DateTime scalar', () => {
    it.each([
      ['without a zone', '2026-01-01T00:00:00'],
      ['without a time', '2026-01-01'],
      ['as a number', 1767225600000],
      ['on a day the month does not have', '2026-02-30T00:00:00Z'],
      ['on February 29 of a common year', '2025-02-29T00:00:00Z'],
      ['at hour 24', '2026-01-01T24:00:00Z'],
      ['in month 13', '2026-13-01T00:00:00Z'],
      ['before 1970', '1969-12-31T23:59:59Z'],
      ['in a human format', 'Thu, 01 Jan 2026 00:00:00 GMT'],
    ])('should refuse a planStartedAt %s with BAD_USER_INPUT and create nothing', async (_label, planStartedAt) => {
      const before = await rowCounts();
      const response = await app.gql(CREATE_AGENCY, {
        input: { name: 'Dated', planCode: 'KICKSTART', primaryLoginEmail: uniqueEmail('dated'), planStartedAt },
      });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(await rowCounts()).toEqual(before);
    });

    it('should refuse a subscriptionStartedAt without a zone and add nothing', async () => {
      const { agencyId } = await createAgency(app);
      const before = await rowCounts();
      const response = await app.gql(
        `mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } userErrors { code } } }`,
        { input: { agencyId, name: 'Zoneless', loginEmail: uniqueEmail('zoneless'), subscriptionStartedAt: '2026-03-01T09:00:00' } },
      );
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(await rowCounts()).toEqual(before);
    });

    it('should accept a leap day and an offset, and answer the instant in UTC', async () => {
      const data = ok(
        await app.gql(CREATE_AGENCY, {
          input: { name: 'Leap', planCode: 'KICKSTART', primaryLoginEmail: uniqueEmail('leap'), planStartedAt: '2024-02-29T01:30:00+02:00' },
        }),
      );
      expect(data.createAgency.userErrors).toEqual([]);
      expect(data.createAgency.agency.primarySubAccount.subscriptionStartedAt).toBe('2024-02-28T23:30:00.000Z');
    });
  });

  describe('query shape limits', () => {
    /** `levels` object fields alternating agency / primarySubAccount, then a leaf: depth levels + 1. */
    function nestedQuery(levels: number): string {
      let selection = 'id';
      for (let level = levels; level >= 2; level -= 1) selection = `${level % 2 === 0 ? 'primarySubAccount' : 'agency'} { ${selection} }`;
      return `query($id: ID!) { agency(id: $id) { ${selection} } }`;
    }

    it('should run a query at the depth limit of 8', async () => {
      const { agencyId } = await createAgency(app);
      const response = await app.gql(nestedQuery(7), { id: agencyId });
      expect(response.errors).toBeUndefined();
      expect(response.data?.agency).not.toBeNull();
    });

    it('should refuse a query deeper than 8 with GRAPHQL_VALIDATION_FAILED before running it', async () => {
      const { agencyId } = await createAgency(app);
      const before = app.queryCount();
      const response = await app.gql(nestedQuery(8), { id: agencyId });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.errors![0].message).toMatch(/depth limit of 8 exceeded, found 9/);
      expect(response.data).toBeUndefined();
      expect(app.queryCount()).toBe(before);
    });

    it('should count depth through fragments', async () => {
      const { agencyId } = await createAgency(app);
      const query = `
        query($id: ID!) { agency(id: $id) { ...A } }
        fragment A on Agency { primarySubAccount { agency { primarySubAccount { ...B } } } }
        fragment B on SubAccount { agency { primarySubAccount { agency { primarySubAccount { ...C } } } } }
        fragment C on SubAccount { agency { primarySubAccount { agency { primarySubAccount { id } } } } }`;
      const response = await app.gql(query, { id: agencyId });
      expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.errors![0].message).toMatch(/depth/);
    });

    const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;

    it('should run a document with 15 aliases', async () => {
      const data = ok(await app.gql(aliases(15)));
      expect(Object.keys(data)).toHaveLength(15);
    });

    it('should refuse more than 15 aliases, __typename ones included, with GRAPHQL_VALIDATION_FAILED', async () => {
      const response = await app.gql(aliases(16));
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0].message).toMatch(/Aliases limit of 15 exceeded, found 16/);
    });

    it('should refuse nested connections of 100 × 100 over the cost limit before running them', async () => {
      await createAgency(app);
      const before = app.queryCount();
      const response = await app.gql(`{
        agencies(first: 100) { edges { node { id subAccounts(first: 100) { edges { node { id name wallet { id } } } } } } }
      }`);
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.errors![0].message).toMatch(/cost/);
      expect(response.data).toBeUndefined();
      expect(app.queryCount()).toBe(before);
    });

    it('should count page sizes given in variables', async () => {
      const response = await app.gql(
        `query($n: Int) { agencies(first: $n) { edges { node { subAccounts(first: $n) { edges { node { id name } } } } } } }`,
        { n: 100 },
      );
      expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
      const small = await app.gql(
        `query($n: Int) { agencies(first: $n) { edges { node { subAccounts(first: $n) { edges { node { id name } } } } } } }`,
        { n: 5 },
      );
      expect(small.errors).toBeUndefined();
    });

    it('should refuse a document over the token limit', async () => {
      const response = await app.gql(`{ ${Array.from({ length: 999 }, () => '__typename').join(' ')} }`);
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('GRAPHQL_PARSE_FAILED');
      expect(response.errors![0].message).toMatch(/token/i);
    });
  });

  describe('internal errors', () => {
    it('should answer an unexpected failure with a generic error and no stack trace', async () => {
      const { agencyId } = await createAgency(app);
      // A sub-account without a wallet breaks an invariant no client request can break.
      const [orphan] = await app.dataSource.query(
        `INSERT INTO sub_accounts (agency_id, kind, status, name, login_email, subscription_started_at)
         VALUES ($1, 'SECONDARY', 'ACTIVE', 'Orphan', $2, now()) RETURNING id`,
        [rawId(agencyId), uniqueEmail('orphan')],
      );
      const id = Buffer.from(`SubAccount:${orphan.id}`).toString('base64url');
      const response = await app.gql(`query($id: ID!) { subAccount(id: $id) { name wallet { id } } }`, { id });
      expect(response.errors).toEqual([
        { message: 'Internal server error', path: ['subAccount', 'wallet'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } },
      ]);
      expectNoInternals(response);
      expect(JSON.stringify(response)).not.toMatch(/non-nullable|Cannot return null/);
    });

    it('should not leak SQL or a stack trace when the database fails', async () => {
      await app.dataSource.query(`ALTER TABLE plans RENAME TO plans_hidden_by_test`);
      let response: GraphQLResponse;
      try {
        response = await app.gql(`{ plans { code } }`);
      } finally {
        await app.dataSource.query(`ALTER TABLE plans_hidden_by_test RENAME TO plans`);
      }
      expect(response.data).toBeNull();
      expect(response.errors).toEqual([{ message: 'Internal server error', path: ['plans'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } }]);
      expectNoInternals(response);
      expect(JSON.stringify(response)).not.toMatch(/relation|plans_hidden|SELECT|does not exist/i);
      expect(ok(await app.gql(`{ plans { code } }`)).plans).toHaveLength(4);
    });

    it('should not add a stack trace to client errors either', async () => {
      const { agencyId } = await createAgency(app);
      await addSubAccount(app, agencyId);
      const responses = [
        await app.gql(SET_MARKUP, { input: { agencyId, basic: 1.5, premium: '0.01' } }),
        await app.gql(`{ nope }`),
        await app.gql(`{ agencies(first: 101) { totalCount } }`),
        await app.gql(`{ viewer { role } }`, {}, 'wrong-secret'),
      ];
      for (const response of responses) {
        expect(response.errors?.length).toBeGreaterThan(0);
        expectNoInternals(response);
      }
    });
  });
});
