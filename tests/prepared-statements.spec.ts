import { startTestApp, type TestApp } from './helpers/test-app';
import { pgPoolOf, queryOnPool, queryPrepared } from '../src/db/prepared-statements';

describe('statements on the raw pool', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('should run a named statement once prepared per connection, counted like TypeORM queries', async () => {
    const before = app.queryCount();
    const text = 'SELECT $1::int + 1 AS n';
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => queryPrepared<{ n: number }>(app.dataSource, text, [i])));
    expect(answers.map(([row]) => row.n)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(app.queryCount() - before).toBe(10);
    const [{ count }] = await app.dataSource.query(`SELECT count(*)::int AS count FROM pg_prepared_statements WHERE statement = $1`, [text]);
    expect(count).toBeLessThanOrEqual(1); // this session's own; others' are per connection and invisible here
  });

  it('should fail only the statement whose backend is terminated, and keep serving', async () => {
    const pool = pgPoolOf(app.dataSource);
    await expect(queryOnPool(pool, { text: 'SELECT pg_terminate_backend(pg_backend_pid())' })).rejects.toThrow(/terminat/);
    // Any late error event of that connection must find a listener (an uncaught exception would fail this file).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const [{ ok }] = await queryPrepared<{ ok: number }>(app.dataSource, 'SELECT 1 AS ok', []);
    expect(ok).toBe(1);
  });
});
