import { startTestApp, type TestApp } from './helpers/test-app';

const BANDS = ['OK', 'LOW', 'DEPLETED'] as const;

/** The crossing rule of docs/events.md: DEPLETED and OK are entered from anywhere, LOW only from OK. */
const EXPECTED: Record<string, string | null> = {
  'OK→OK': null, 'OK→LOW': 'LOW_BALANCE', 'OK→DEPLETED': 'BALANCE_DEPLETED',
  'LOW→OK': 'BALANCE_RECOVERED', 'LOW→LOW': null, 'LOW→DEPLETED': 'BALANCE_DEPLETED',
  'DEPLETED→OK': 'BALANCE_RECOVERED', 'DEPLETED→LOW': null, 'DEPLETED→DEPLETED': null,
};

/**
 * The balance-band crossing has one source (migration BalanceCrossing): `outbox_balance_crossing`,
 * which every posting path calls (`ledger_post_batch`, `outbox_usage_debits`). The postings'
 * events are tested end to end in low-balance-threshold.spec.ts and subscriptions.spec.ts.
 */
describe('the balance-band crossing in SQL', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('should name the event of every pair of bands, and none when the band stays or goes from DEPLETED to LOW', async () => {
    const pairs = BANDS.flatMap((from) => BANDS.map((to) => ({ from, to })));
    const rows: Array<{ old_band: string; new_band: string; crossing: string | null }> = await app.dataSource.query(
      `SELECT old_band, new_band, outbox_balance_crossing(old_band, new_band) AS crossing
         FROM unnest($1::text[], $2::text[]) AS p(old_band, new_band)`,
      [pairs.map((p) => p.from), pairs.map((p) => p.to)],
    );
    expect(Object.fromEntries(rows.map((r) => [`${r.old_band}→${r.new_band}`, r.crossing]))).toEqual(EXPECTED);
  });

  it('should be written once: every function that writes crossing events calls it instead of a copy of its CASE', async () => {
    const functions: Array<{ name: string; source: string }> = await app.dataSource.query(
      `SELECT p.proname AS name, p.prosrc AS source FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prosrc LIKE '%BALANCE_RECOVERED%'`,
    );
    expect(functions.map((f) => f.name)).toEqual(['outbox_balance_crossing']);
    const callers: Array<{ name: string }> = await app.dataSource.query(
      `SELECT proname AS name FROM pg_proc WHERE prosrc LIKE '%outbox_balance_crossing(%' ORDER BY proname`,
    );
    expect(callers.map((c) => c.name)).toEqual(['ledger_post_batch', 'outbox_usage_debits']);
  });
});
