import { randomBytes, randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { startTestApp, ok, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
import { PartyLookup } from '../src/modules/transfer/party-lookup';


const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { id } userErrors { code } }
}`;

describe('PartyLookup: the parties of concurrent transfers in shared lookups', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('gives each of many concurrent requests exactly its own rows and key, in fewer statements than requests', async () => {
    // Two agencies, so rows of one request could only be right if no request sees another's.
    const agencies = [await createAgency(app), await createAgency(app)];
    const subs = await Promise.all(agencies.map(async ({ agencyId, primaryId }) => [primaryId, await addSubAccount(app, agencyId)]));
    const [from, to] = subs[0];
    await app.gql(`mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`, {
      input: { subAccountId: to, amount: '5', reason: 'test funds', idempotencyKey: `fund-${randomBytes(4).toString('hex')}` },
    });
    const usedKey = `used-${randomBytes(6).toString('hex')}`;
    expect(ok(await app.gql(TRANSFER, {
      input: { fromSubAccountId: to, toSubAccountId: from, tier: 'PREMIUM', minutes: '0.01', idempotencyKey: usedKey },
    })).transferMinutes.userErrors).toEqual([]);

    const lookup = new PartyLookup(app.dataSource);
    const pool = (app.dataSource.driver as unknown as { master: Pool }).master;
    const queries = jest.spyOn(pool, 'connect'); // counts checkouts (one per statement); the real pool still runs them
    try {
      const requests = Array.from({ length: 60 }, (_, i) => {
        const [a, b] = subs[i % 2];
        const ids = i % 5 === 4 ? [rawId(a), randomUUID()] : [rawId(a), rawId(b)]; // some name an unknown sub-account
        const key = i % 3 === 0 ? usedKey : `free-${i}`;
        return { ids, key, agency: i % 2 };
      });
      const known = new Set(subs.flat().map(rawId));
      const results = await Promise.all(requests.map((r) => lookup.load(r.ids, r.key)));
      requests.forEach((request, i) => {
        const rows = results[i];
        expect(rows.map((row) => row.id).sort()).toEqual(request.ids.filter((id) => known.has(id)).sort());
        for (const row of rows) {
          expect(row.agency_id).toBe(rawId(agencies[request.agency].agencyId));
          // The key was used by agency 0 only: another agency's use of a key is not this one's.
          expect(row.key_used).toBe(request.key === usedKey && request.agency === 0);
        }
      });
      expect(queries.mock.calls.length).toBeLessThan(requests.length);
      expect(queries.mock.calls.length).toBeGreaterThan(0);
    } finally {
      queries.mockRestore();
    }
  });

  it('answers no rows for no ids, without a query', async () => {
    expect(await new PartyLookup(app.dataSource).load([], 'k')).toEqual([]);
  });
});
