import 'reflect-metadata';
import { mkdtempSync, chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fork } from 'node:child_process';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/config';
import { createDataSource } from '../src/db/data-source';
import { ensureDatabase, withDatabaseName } from '../src/db/database';
import { EmbeddedPostgres } from '../src/db/embedded-postgres';
import { createSchema } from '../src/graphql/schema';
import { createApiServer, type ApiServer } from '../src/server';
import { Logger } from '../src/shared/logger';
import { decodeId } from '../src/shared/global-id';
import { freePort } from '../tests/helpers/free-port';

/**
 * A benchmark environment: a fresh database (on DATABASE_URL's server, or an embedded
 * PostgreSQL in a temporary directory) with migrations applied, and the API listening on
 * a free port in this process.
 */
export interface BenchEnv {
  url: string;
  port: number;
  databaseUrl: string;
  platformKey: string;
  dataSource: DataSource;
  /** The server's event hub (subscriber count, replay counters). */
  events: ApiServer['events'];
  /** The server's transfer group commit (batch counters). */
  transferBatcher: ApiServer['services']['transferBatcher'];
  gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: unknown[] }>;
  close(): Promise<void>;
}

export async function openBenchEnv(poolSize = 32): Promise<BenchEnv> {
  let adminUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedPostgres | undefined;
  let dir: string | undefined;
  if (!adminUrl) {
    dir = mkdtempSync(path.join(tmpdir(), 'voice-minutes-bench-'));
    chmodSync(dir, 0o755);
    embedded = new EmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
    await embedded.start();
    adminUrl = embedded.url;
  }
  const database = `vm_bench_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(adminUrl, database);
  const databaseUrl = withDatabaseName(adminUrl, database);
  const dataSource = createDataSource(databaseUrl, poolSize);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  const platformKey = 'bench-platform-key-' + randomBytes(16).toString('hex');
  const config = { ...loadConfig({}), port: 0, platformAdminKey: platformKey, logLevel: 'error' as const };
  const server: ApiServer = await createApiServer({ dataSource, schema: await createSchema(), config, logger: new Logger('error') });
  const port = await server.listen(0);
  const url = `http://127.0.0.1:${port}/graphql`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return {
    url,
    port,
    databaseUrl,
    platformKey,
    dataSource,
    events: server.events,
    transferBatcher: server.services.transferBatcher,
    gql: (query, variables) => postJson(agent, port, platformKey, { query, variables }),
    async close() {
      agent.destroy();
      await server.stop();
      await dataSource.destroy();
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
      await embedded?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The load generators' HTTP client: node:http with keep-alive. Node's fetch (undici) costs
 * several times more CPU per request.
 */
export function postJson(agent: http.Agent, port: number, key: string, body: object): Promise<{ data?: any; errors?: unknown[] }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent, host: '127.0.0.1', port, path: '/graphql', method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${key}` },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** The q-quantile (0..1) of ascending `sorted` latencies; 0 when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export interface LoadResult {
  operations: number;
  failures: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `operation` from `concurrency` loops for `seconds`, timing each call. */
export async function runLoad(concurrency: number, seconds: number, operation: (worker: number) => Promise<boolean>): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const ok = await operation(worker);
        latencies.push(performance.now() - t0);
        if (!ok) failures += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    operations: latencies.length,
    failures,
    seconds: elapsed,
    perSecond: (latencies.length - failures) / elapsed,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/**
 * Runs `operation` at a fixed overall rate (`perSecond`) from up to `concurrency` loops for
 * `seconds`: request k is due at start + k / perSecond. Latency is counted from when a request
 * was due, not from when a loop got round to sending it, so a server that falls behind shows
 * its queueing in the percentiles (no coordinated omission).
 */
export async function runPacedLoad(
  perSecond: number,
  concurrency: number,
  seconds: number,
  operation: (worker: number) => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const total = Math.max(1, Math.floor(perSecond * seconds));
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let k = next++; k < total; k = next++) {
        const due = started + (k * 1000) / perSecond;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const ok = await operation(worker);
        latencies.push(performance.now() - due);
        if (!ok) failures += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { operations: latencies.length, failures, seconds: elapsed, perSecond: (latencies.length - failures) / elapsed, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) };
}

/** Ranks 0..n-1 drawn with probability ∝ 1/(rank+1)^s (Zipf), by inverse CDF. */
export function zipfSampler(n: number, s: number): () => number {
  const cdf: number[] = [];
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += 1 / Math.pow(k, s);
    cdf.push(total);
  }
  return () => {
    const u = Math.random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const fmt = (n: number, digits = 0) => n.toFixed(digits);

/** Runs a load spec in a forked load-client process and resolves with its result. */
export function runLoadInChild<Spec extends object>(spec: Spec, client = 'load-client.js'): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, client), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: LoadResult | undefined;
    child.once('message', (message: LoadResult) => (result = message));
    child.once('error', reject);
    child.once('exit', (code) => (result ? resolve(result) : reject(new Error(`load client exited with ${code}`))));
    child.send(spec);
  });
}

/**
 * CPU seconds used so far by one PostgreSQL server on this machine (the embedded one or a
 * local server), given its postmaster's pid: the postmaster's and its live children's own
 * time, plus its reaped children's time, so backends that exit during a run still count.
 * Linux only; 0 elsewhere.
 */
export function postgresCpuSeconds(postmasterPid: number): number {
  const TICKS = 100;
  const fieldsOf = (pid: string) => {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ').map(Number);
  };
  try {
    const own = fieldsOf(String(postmasterPid));
    let ticks = own[11] + own[12] + own[13] + own[14];
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const fields = fieldsOf(pid);
        if (fields[1] === postmasterPid) ticks += fields[11] + fields[12];
      } catch {
        // exited meanwhile: its time is in the postmaster's reaped children's time
      }
    }
    return ticks / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) one process of this machine has used so far; 0 where /proc is missing. */
export function processCpuSeconds(pid: number): number {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ').map(Number);
    return (fields[11] + fields[12]) / 100;
  } catch {
    return 0;
  }
}

/** The postmaster's pid of the server `dataSource` talks to, when it runs on this machine. */
export async function postmasterPid(dataSource: DataSource): Promise<number> {
  const [row] = await dataSource.query(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`);
  if (!row) return 0;
  try {
    return Number(readFileSync(`/proc/${row.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  } catch {
    return 0; // a remote server
  }
}

/** Runs `load`, measuring this process's and PostgreSQL's CPU per successful operation. */
export async function withCpu(
  postmaster: number,
  load: () => Promise<LoadResult>,
): Promise<LoadResult & { serverCpuMs: number; dbCpuMs: number }> {
  const db0 = postgresCpuSeconds(postmaster);
  const cpu0 = process.cpuUsage();
  const result = await load();
  const cpu = process.cpuUsage(cpu0);
  const db = postgresCpuSeconds(postmaster) - db0;
  const ops = Math.max(1, result.operations - result.failures);
  return { ...result, serverCpuMs: (cpu.user + cpu.system) / 1000 / ops, dbCpuMs: (db * 1000) / ops };
}

export interface SeededAgency {
  /** Agency global id and uuid. */
  agencyId: string;
  agencyUuid: string;
  /** Sub-account global ids, the primary first. */
  subAccountIds: string[];
  /** The wallets' ids (their ledger accounts), in the order of `subAccountIds`. */
  walletIds: string[];
}

/**
 * An AGENCY_UNLIMITED agency with `subAccounts` sub-accounts (the primary included), made
 * through the API, each wallet funded with `fundDollars` when given.
 */
export async function seedAgency(
  env: BenchEnv,
  options: { label: string; subAccounts: number; fundDollars?: string; markupPremium?: (index: number) => string },
): Promise<SeededAgency> {
  const { label } = options;
  const created = await env.gql(
    `mutation($input: CreateAgencyInput!) { createAgency(input: $input) { agency { id primarySubAccount { id } } } }`,
    { input: { name: `Bench ${label}`, planCode: 'AGENCY_UNLIMITED', primaryLoginEmail: `bench-${label}-primary@example.com` } },
  );
  const agencyId: string = created.data.createAgency.agency.id;
  const subAccountIds: string[] = [created.data.createAgency.agency.primarySubAccount.id];
  while (subAccountIds.length < options.subAccounts) {
    const i = subAccountIds.length;
    const added = await env.gql(`mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } } }`, {
      input: { agencyId, name: `Client ${i}`, loginEmail: `bench-${label}-${i}@example.com`, markupPremium: options.markupPremium?.(i) },
    });
    subAccountIds.push(added.data.addSubAccount.subAccount.id);
  }
  if (options.fundDollars) {
    for (const [i, subAccountId] of subAccountIds.entries()) {
      await env.gql(`mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`, {
        input: { subAccountId, amount: options.fundDollars, reason: 'bench funding', idempotencyKey: `fund-${label}-${i}` },
      });
    }
  }
  const agencyUuid = decodeId(agencyId, 'Agency')!;
  const rows: Array<{ sub_account_id: string; id: string }> = await env.dataSource.query(
    `SELECT w.sub_account_id, w.id FROM wallets w JOIN sub_accounts s ON s.id = w.sub_account_id WHERE s.agency_id = $1`,
    [agencyUuid],
  );
  const walletOf = new Map(rows.map((row) => [row.sub_account_id, row.id]));
  const walletIds = subAccountIds.map((id) => walletOf.get(decodeId(id, 'SubAccount')!)!);
  return { agencyId, agencyUuid, subAccountIds, walletIds };
}
