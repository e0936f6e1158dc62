import 'reflect-metadata';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/config';
import { createDataSource } from '../src/db/data-source';
import { ensureDatabase, withDatabaseName } from '../src/db/database';
import { EmbeddedPostgres } from '../src/db/embedded-postgres';
import { createSchema } from '../src/graphql/schema';
import { createApiServer, type ApiServer } from '../src/server';
import { Logger } from '../src/shared/logger';

/**
 * A benchmark environment: a fresh database (on DATABASE_URL's server, or an embedded
 * PostgreSQL in a temporary directory) with migrations applied, and the API listening on
 * a free port in this process.
 */
export interface BenchEnv {
  url: string;
  databaseUrl: string;
  platformKey: string;
  dataSource: DataSource;
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
    embedded = new EmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 20000 + Math.floor(Math.random() * 20000) });
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
    databaseUrl,
    platformKey,
    dataSource,
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
 * The load generator's HTTP client: node:http with keep-alive. Node's fetch (undici) costs
 * several times more CPU per request, and the client shares this process with the server.
 */
function postJson(agent: http.Agent, port: number, key: string, body: object): Promise<{ data?: any; errors?: unknown[] }> {
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
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    operations: latencies.length,
    failures,
    seconds: elapsed,
    perSecond: (latencies.length - failures) / elapsed,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
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
