import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, uniqueEmail, rawId } from './helpers/fixtures';

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

const PAGE = `query($id: ID!, $first: Int, $after: String, $status: SubAccountStatus, $search: String) {
  agency(id: $id) {
    subAccounts(first: $first, after: $after, status: $status, search: $search) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name kind status createdAt } }
    }
  }
}`;

interface Page {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  edges: Array<{ cursor: string; node: { id: string; name: string; kind: string; status: string; createdAt: string } }>;
}

describe('connections', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  async function page(agencyId: string, args: Record<string, unknown> = {}): Promise<Page> {
    return ok(await app.gql(PAGE, { id: agencyId, ...args })).agency.subAccounts;
  }

  /** Every page of a filtered listing, following endCursor. */
  async function allPages(agencyId: string, args: Record<string, unknown>): Promise<Page[]> {
    const pages: Page[] = [];
    let after: string | null = null;
    do {
      const current: Page = await page(agencyId, { ...args, after });
      pages.push(current);
      after = current.pageInfo.hasNextPage ? current.pageInfo.endCursor : null;
    } while (after);
    return pages;
  }

  /** The agency's sub-account ids in the documented order (oldest first, ties by id), straight from the database. */
  async function idsInDatabaseOrder(agencyId: string, where = 'true'): Promise<string[]> {
    const rows: Array<{ id: string }> = await app.dataSource.query(
      `SELECT id FROM sub_accounts WHERE agency_id = $1 AND ${where} ORDER BY created_at, id`,
      [rawId(agencyId)],
    );
    return rows.map((r) => r.id);
  }

  describe('Agency.subAccounts', () => {
    let agencyId: string;
    let primaryId: string;
    beforeAll(async () => {
      ({ agencyId, primaryId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' }));
      for (let i = 0; i < 24; i += 1) await addSubAccount(app, agencyId, { name: `Client ${String(i).padStart(2, '0')}` });
    });

    it('should return every sub-account exactly once, oldest first, over pages of 10', async () => {
      const pages = await allPages(agencyId, { first: 10 });
      expect(pages.map((p) => p.edges.length)).toEqual([10, 10, 5]);
      expect(pages.map((p) => p.totalCount)).toEqual([25, 25, 25]);
      expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
      expect(pages.map((p) => p.pageInfo.hasPreviousPage)).toEqual([false, true, true]);

      const nodes = pages.flatMap((p) => p.edges.map((e) => e.node));
      expect(new Set(nodes.map((n) => n.id)).size).toBe(25);
      expect(nodes.map((n) => rawId(n.id))).toEqual(await idsInDatabaseOrder(agencyId));
      expect(nodes[0]).toMatchObject({ id: primaryId, kind: 'PRIMARY' });
      expect(nodes.slice(1).map((n) => n.name)).toEqual(Array.from({ length: 24 }, (_, i) => `Client ${String(i).padStart(2, '0')}`));
      const times = nodes.map((n) => new Date(n.createdAt).getTime());
      expect([...times].sort((a, b) => a - b)).toEqual(times);

      for (const p of pages) {
        expect(p.pageInfo.startCursor).toBe(p.edges[0].cursor);
        expect(p.pageInfo.endCursor).toBe(p.edges[p.edges.length - 1].cursor);
      }
    });

    it('should default to 20 per page and answer an empty last page after the end cursor', async () => {
      const first = await page(agencyId);
      expect(first.edges).toHaveLength(20);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const last = await page(agencyId, { first: 100 });
      const beyond = await page(agencyId, { after: last.pageInfo.endCursor });
      expect(beyond).toEqual({
        totalCount: 25,
        pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null },
        edges: [],
      });
    });

    it('should answer first: 0 with no edges but the count and whether a page follows', async () => {
      const empty = await page(agencyId, { first: 0 });
      expect(empty.edges).toEqual([]);
      expect(empty.totalCount).toBe(25);
      expect(empty.pageInfo.hasNextPage).toBe(true);
    });

    it('should continue after a cursor without repeating or skipping rows when sub-accounts are added in between', async () => {
      const { agencyId: growing } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      for (let i = 0; i < 4; i += 1) await addSubAccount(app, growing);
      const first = await page(growing, { first: 3 });
      const added = await addSubAccount(app, growing);
      const rest = await page(growing, { first: 10, after: first.pageInfo.endCursor });
      const ids = [...first.edges, ...rest.edges].map((e) => e.node.id);
      expect(ids.map(rawId)).toEqual(await idsInDatabaseOrder(growing));
      expect(ids[ids.length - 1]).toBe(added);
      expect(rest.totalCount).toBe(6);
    });
  });

  describe('filters', () => {
    it('should filter by status, with totalCount and pages of the filtered set', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      const subs: string[] = [];
      for (let i = 0; i < 6; i += 1) subs.push(await addSubAccount(app, agencyId));
      for (const id of [subs[1], subs[3], subs[4]]) {
        const data = ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id }));
        expect(data.removeSubAccount.userErrors).toEqual([]);
      }

      const removedPages = await allPages(agencyId, { status: 'REMOVED', first: 2 });
      expect(removedPages.map((p) => p.edges.length)).toEqual([2, 1]);
      expect(removedPages[0].totalCount).toBe(3);
      const removed = removedPages.flatMap((p) => p.edges.map((e) => e.node));
      expect(removed.map((n) => n.id)).toEqual([subs[1], subs[3], subs[4]]);
      expect(removed.every((n) => n.status === 'REMOVED')).toBe(true);

      const active = await page(agencyId, { status: 'ACTIVE', first: 100 });
      expect(active.totalCount).toBe(4);
      expect(active.edges.map((e) => rawId(e.node.id))).toEqual(await idsInDatabaseOrder(agencyId, `status = 'ACTIVE'`));

      const everything = await page(agencyId, { first: 100 });
      expect(everything.totalCount).toBe(7);
    });

    it('should search names and login emails case-insensitively, treating % and _ as plain characters', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      const percent = await addSubAccount(app, agencyId, { name: 'Promo 50% off' });
      const fiveHundred = await addSubAccount(app, agencyId, { name: 'Promo 500 off' });
      const underscore = await addSubAccount(app, agencyId, { name: 'snake_case Clinic' });
      const lookalike = await addSubAccount(app, agencyId, { name: 'snakeXcase Clinic' });
      const backslash = await addSubAccount(app, agencyId, { name: 'Back\\slash Ltd' });
      const byEmail = await addSubAccount(app, agencyId, { name: 'Plain', loginEmail: uniqueEmail('Finance.Team') });

      const search = async (text: string, extra: Record<string, unknown> = {}) => {
        const result = await page(agencyId, { search: text, first: 100, ...extra });
        return { ids: result.edges.map((e) => e.node.id), totalCount: result.totalCount };
      };
      expect(await search('50%')).toEqual({ ids: [percent], totalCount: 1 });
      expect(await search('promo 50')).toEqual({ ids: [percent, fiveHundred], totalCount: 2 });
      expect(await search('%')).toEqual({ ids: [percent], totalCount: 1 });
      expect(await search('e_c')).toEqual({ ids: [underscore], totalCount: 1 });
      expect(await search('_')).toEqual({ ids: [underscore], totalCount: 1 });
      expect(await search('SNAKE')).toEqual({ ids: [underscore, lookalike], totalCount: 2 });
      expect(await search('k\\s')).toEqual({ ids: [backslash], totalCount: 1 });
      expect(await search('\\')).toEqual({ ids: [backslash], totalCount: 1 });
      expect(await search('FINANCE.TEAM-')).toEqual({ ids: [byEmail], totalCount: 1 });
      expect(await search('  50%  ')).toEqual({ ids: [percent], totalCount: 1 });
      expect(await search('nothing like this')).toEqual({ ids: [], totalCount: 0 });
      expect((await search('promo', { first: 1 })).ids).toEqual([percent]);

      ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: percent }));
      expect(await search('promo', { status: 'ACTIVE' })).toEqual({ ids: [fiveHundred], totalCount: 1 });
      expect(await search('promo', { status: 'REMOVED' })).toEqual({ ids: [percent], totalCount: 1 });
    });

    it('should refuse a search over 100 characters or with a NUL character with BAD_USER_INPUT', async () => {
      const { agencyId } = await createAgency(app);
      for (const search of ['x'.repeat(101), 'a\u0000b']) {
        const response = await app.gql(PAGE, { id: agencyId, search });
        expect(errorCode(response)).toBe('BAD_USER_INPUT');
        expect(response.data?.agency ?? null).toBeNull();
      }
    });
  });

  describe('bad arguments', () => {
    let agencyId: string;
    beforeAll(async () => {
      ({ agencyId } = await createAgency(app));
    });

    it.each([
      ['garbage', 'not a cursor!'],
      ['base64 of plain text', Buffer.from('hello').toString('base64url')],
      ['an object', cursorOf({ createdAt: '2024-01-01T00:00:00.000Z', id: '00000000-0000-4000-8000-000000000000' })],
      ['an invalid date', cursorOf(['yesterday', '00000000-0000-4000-8000-000000000000'])],
      ['a number for the date', cursorOf([1, '00000000-0000-4000-8000-000000000000'])],
      ['an id that is not a uuid', cursorOf(['2024-01-01T00:00:00.000Z', 'x'])],
      ['an id of 36 dashes', cursorOf(['2024-01-01T00:00:00.000Z', '-'.repeat(36)])],
      ['an id with SQL in it', cursorOf(['2024-01-01T00:00:00.000Z', "'; DROP TABLE agencies; --"])],
    ])('should refuse a cursor that is %s with BAD_USER_INPUT', async (_label, after) => {
      const response = await app.gql(PAGE, { id: agencyId, after });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.extensions?.field).toBe('after');
      const agencies = await app.gql(`query($after: String) { agencies(after: $after) { totalCount } }`, { after });
      expect(errorCode(agencies)).toBe('BAD_USER_INPUT');
    });

    it.each([101, -1, 1000])('should refuse first: %p with BAD_USER_INPUT', async (first) => {
      const response = await app.gql(PAGE, { id: agencyId, first });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      const agencies = await app.gql(`query($first: Int) { agencies(first: $first) { totalCount } }`, { first });
      expect(errorCode(agencies)).toBe('BAD_USER_INPUT');
    });

    it('should refuse a first that is not an integer with BAD_USER_INPUT and status 400', async () => {
      const response = await app.gql(PAGE, { id: agencyId, first: 'ten' });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
    });
  });

  describe('agencies', () => {
    it('should page through every agency once, oldest first, for the platform admin', async () => {
      const created: string[] = [];
      for (let i = 0; i < 3; i += 1) created.push((await createAgency(app)).agencyId);

      const seen: string[] = [];
      const totals = new Set<number>();
      let after: string | null = null;
      let pages = 0;
      do {
        const data: any = ok(
          await app.gql(
            `query($after: String) { agencies(first: 2, after: $after) {
              totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { id name createdAt } } } }`,
            { after },
          ),
        );
        const connection = data.agencies;
        expect(connection.edges.length).toBeLessThanOrEqual(2);
        expect(connection.pageInfo.hasPreviousPage).toBe(pages > 0);
        totals.add(connection.totalCount);
        seen.push(...connection.edges.map((e: { node: { id: string } }) => e.node.id));
        after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
        pages += 1;
      } while (after);

      const rows: Array<{ id: string }> = await app.dataSource.query(`SELECT id FROM agencies ORDER BY created_at, id`);
      expect(seen.map(rawId)).toEqual(rows.map((r) => r.id));
      expect([...totals]).toEqual([rows.length]);
      expect(seen.slice(-3)).toEqual(created);
    });

    it('should refuse the agency list to an agency admin with FORBIDDEN', async () => {
      const { agencyId } = await createAgency(app);
      const key = ok(
        await app.gql(
          `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }`,
          { input: { name: 'agency key', role: 'AGENCY_ADMIN', agencyId } },
        ),
      ).createApiKey.secret;
      const response = await app.gql(`{ agencies { totalCount } }`, {}, key);
      expect(errorCode(response)).toBe('FORBIDDEN');
    });
  });

  describe('query count', () => {
    const LISTING = `query($id: ID!, $first: Int) {
      agency(id: $id) {
        subAccounts(first: $first) {
          totalCount
          edges {
            node {
              id name
              wallet { balance { amount } availableMinutes(tier: PREMIUM) basicMinutes: availableMinutes(tier: BASIC) }
              markupBasic: markup(tier: BASIC) { amount }
              markupPremium: markup(tier: PREMIUM) { amount }
              priceBasic: minutePrice(tier: BASIC) { amount }
              pricePremium: minutePrice(tier: PREMIUM) { amount }
              agency { id }
            }
          }
        }
      }
    }`;

    it('should list 100 sub-accounts with wallets, markups and prices in as many SQL queries as 5, two in all', async () => {
      const { agencyId } = await createAgency(app, { planCode: 'AGENCY_UNLIMITED' });
      ok(await app.gql(`mutation($id: ID!) { setAgencyMarkup(input: { agencyId: $id, basic: "0.01", premium: "0.02" }) { userErrors { code } } }`, { id: agencyId }));
      for (let batch = 0; batch < 10; batch += 1) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            addSubAccount(app, agencyId, i % 3 === 0 ? { markupPremium: '0.05' } : i % 3 === 1 ? { applyBasePrice: true } : {}),
          ),
        );
      }

      const queriesFor = async (first: number) => {
        const before = app.queryCount();
        const data = ok(await app.gql(LISTING, { id: agencyId, first }));
        const count = app.queryCount() - before;
        expect(data.agency.subAccounts.edges).toHaveLength(first);
        return { count, edges: data.agency.subAccounts.edges };
      };

      // Warm-up: the plan catalog is read once a minute per process, not per request.
      await queriesFor(1);
      const small = await queriesFor(5);
      const large = await queriesFor(100);
      expect(large.count).toBe(small.count);
      // The agency with its page, the page's wallets and balances and the count: one statement.
      expect(large.count).toBe(1);

      const prices = new Set(large.edges.map((e: any) => e.node.pricePremium.amount));
      expect(prices).toEqual(new Set(['0.16', '0.18', '0.21']));
      expect(large.edges.every((e: any) => e.node.agency.id === agencyId)).toBe(true);
    });
  });
});
