import { startTestApp, type TestApp } from './helpers/test-app';

/**
 * Variables that do not coerce are the client's error, however many there are, and cost
 * little to refuse: the cost limit stops at the first coercion error instead of building
 * one error per bad item (~0.1 ms each; 5,000 bad calls took seconds of CPU, twice), and
 * graphql-js's "too many errors" stop is a BAD_USER_INPUT like the 50 errors before it.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const BATCH = 'mutation Batch($i: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $i) { userErrors { code } } }';
const badCalls = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    subAccountId: 'x', externalCallId: `c${i}`, tier: 'PREMIUM', status: 'COMPLETED', startedAt: 'not a date', durationSeconds: -1,
  }));

describe('variables that do not coerce', () => {
  it.each([60, 1_000, 5_000])('should refuse %d malformed batch items with BAD_USER_INPUT only, in bounded time', async (count) => {
    const startedAt = performance.now();
    const response = await app.gql(BATCH, { i: badCalls(count) });
    const elapsedMs = performance.now() - startedAt;
    expect(response.status).toBe(400);
    expect(response.data).toBeUndefined();
    expect(new Set(response.errors!.map((error) => error.extensions?.code))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(response.errors!.length).toBeLessThanOrEqual(51);
    expect(elapsedMs).toBeLessThan(1_500);
  });

  it('should still serve a normal query right after', async () => {
    const response = await app.gql('{ viewer { role } }');
    expect(response.data).toEqual({ viewer: { role: 'PLATFORM_ADMIN' } });
  });
});
