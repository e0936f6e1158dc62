import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openBenchEnv, runLoad, runPacedLoad, seedAgency, type BenchEnv } from '../bench/harness';
import { startFloorServer } from '../bench/read-floor-server';
import { assertSameAnswers, QUERIES } from '../bench/read';
import { formatTable, mergeRows, readRows, recordRow, recordedRows, writeRows, type BenchRow } from '../bench/results';

/**
 * A smoke of the benchmark harness, so it cannot rot between bench runs: a real server on a
 * fresh database under a short load, and the rows `npm run bench` writes. It times nothing.
 */
describe('the benchmark harness', () => {
  let env: BenchEnv;
  let dir: string;
  const previousUrl = process.env.DATABASE_URL;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-results-'));
    // openBenchEnv creates (and drops) its own database on DATABASE_URL's server: the suite's.
    process.env.DATABASE_URL = process.env.TEST_ADMIN_URL;
    env = await openBenchEnv(4);
  });
  afterAll(async () => {
    await env?.close();
    process.env.DATABASE_URL = previousUrl;
    rmSync(dir, { recursive: true, force: true });
  });

  it('should drive the API under load and record a row against a baseline of the same run', async () => {
    const viewer = async () => (await env.gql('{ viewer { role } }')).data?.viewer?.role === 'PLATFORM_ADMIN';
    const ours = await runLoad(2, 0.3, viewer);
    const baseline = await runLoad(2, 0.3, async () => (await env.dataSource.query('SELECT 1 AS one'))[0].one === 1);
    expect(ours.operations).toBeGreaterThan(0);
    expect(ours.failures).toBe(0);
    const row = recordRow({
      scenario: 'smoke: viewer', metric: 'requests/s', unit: '1/s', ours: ours.perSecond,
      baselines: { 'SELECT 1': baseline.perSecond }, goal: 'ratio > 0', meets: ({ ratio }) => (ratio ?? 0) > 0,
    });
    expect(row.ratio).toBeCloseTo(ours.perSecond / baseline.perSecond, 10);
    expect(row.met).toBe(true);
    expect(recordedRows()).toContain(row);
    expect(formatTable([row])).toMatch(/^\| scenario \| metric \| ours \| baselines \| ratio \| goal \| met \|\n\| --- .*\n\| smoke: viewer \| requests\/s \(1\/s\) \| .* \| SELECT 1 .* \| .*× \| ratio > 0 \| yes \|$/);
  });

  it('should send exactly rate × seconds requests at a fixed rate, and count a failed answer as a failure', async () => {
    let calls = 0;
    const result = await runPacedLoad(100, 4, 0.2, async () => ++calls % 5 !== 0);
    expect(result.operations).toBe(20);
    expect(calls).toBe(20);
    expect(result.failures).toBe(4);
  });

  it('should count latency from when a paced request was due, so a server that falls behind shows its queue', async () => {
    // One loop, 40 requests due within 0.2 s, each taking at least 20 ms: the last is served
    // at least 800 ms after the start, some 600 ms after it was due. Measured from its send
    // instead, every latency would be about 20 ms.
    const result = await runPacedLoad(200, 1, 0.2, () => new Promise((resolve) => setTimeout(() => resolve(true), 20)));
    expect(result.operations).toBe(40);
    expect(result.p99Ms).toBeGreaterThan(400);
  });

  it('should keep rows of scenarios the run did not measure and replace those it did', () => {
    const file = path.join(dir, 'results', 'latest.json');
    const at = (scenario: string, ours: number): BenchRow =>
      ({ scenario, metric: 'm', unit: 'ms', ours, baselines: {}, ratio: null, goal: null, met: null, measuredAt: 'then', machine: 'm' });
    writeRows(file, [at('transfers', 1), at('live', 2)]);
    const merged = writeRows(file, [at('live', 3)]);
    expect(merged.map((r) => [r.scenario, r.ours])).toEqual([['live', 3], ['transfers', 1]]);
    expect(readRows(file)).toEqual(merged);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(2);
    expect(mergeRows([], [])).toEqual([]);
  });

  it('should leave the ratio and the verdict empty without a baseline or a goal, and refuse a zero baseline as a ratio', () => {
    const plain = recordRow({ scenario: 's', metric: 'm', unit: 'ms', ours: 5, baselines: {}, goal: null });
    expect([plain.ratio, plain.met]).toEqual([null, null]);
    const zero = recordRow({ scenario: 's', metric: 'm', unit: 'ms', ours: 5, baselines: { b: 0 }, goal: 'ratio ≥ 1', meets: ({ ratio }) => (ratio ?? 0) >= 1 });
    expect([zero.ratio, zero.met]).toEqual([null, false]);
    expect(formatTable([zero])).toContain('| **no** |');
  });

  it("should keep the read bench's hand-written floor answering exactly what the API answers, and refusing what the API refuses", async () => {
    const { agencyId } = await seedAgency(env, { label: 'floor', subAccounts: 3, fundDollars: '12.5', markupPremium: (i) => `0.0${i}` });
    const created = await env.gql(`mutation($a: ID!) { createApiKey(input: { name: "floor", role: AGENCY_ADMIN, agencyId: $a }) { secret } }`, { a: agencyId });
    const other = await seedAgency(env, { label: 'floor-other', subAccounts: 1 });
    const floor = await startFloorServer(env.databaseUrl, 2);
    try {
      const key = created.data.createApiKey.secret;
      for (const query of QUERIES.filter((q) => !q.floorInstead)) {
        await assertSameAnswers({ name: 'this API', port: env.port, key }, { name: 'floor', port: floor.port, key }, query.ours, { id: agencyId });
      }
      // Another agency's id reads as nothing on both; a wrong key is refused on both.
      const foreign = { id: other.agencyId };
      const ask = async (port: number, secret: string, variables: object) =>
        (await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
          body: JSON.stringify({ query: QUERIES[0].ours, variables }),
        }));
      for (const port of [env.port, floor.port]) {
        expect(((await (await ask(port, key, foreign)).json()) as { data: unknown }).data).toEqual({ agency: null });
        expect((await ask(port, 'vmk_not-a-key', { id: agencyId })).status).toBe(401);
      }
    } finally {
      await floor.close();
    }
  });
});
