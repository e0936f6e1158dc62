import http from 'node:http';
import { Pool } from 'pg';
import { postJson, runLoad, zipfSampler, type LoadResult } from './harness';

/**
 * The transfers load generator, in its own process (forked by transfers.ts), so the
 * server's process spends its CPU on the server only. It drives either the GraphQL API
 * or the plain-`pg` baseline with the same traffic shape, and sends back a LoadResult.
 */
export type Traffic = 'uniform' | 'zipf' | 'two';

export interface LoadSpec {
  target: 'graphql' | 'pg';
  traffic: Traffic;
  concurrency: number;
  seconds: number;
  /** Unique per run, so idempotency keys never repeat across runs. */
  runId: string;
  /** graphql: the API's port, key and sub-account global ids. */
  port?: number;
  key?: string;
  subAccountIds?: string[];
  /** pg: the database, the agency's uuid and the wallets' ledger account ids. */
  databaseUrl?: string;
  agencyUuid?: string;
  walletIds?: string[];
}

function picker(traffic: Traffic, accounts: number): () => [number, number] {
  if (traffic === 'two') return () => (Math.random() < 0.5 ? [0, 1] : [1, 0]);
  const pick = traffic === 'zipf' ? zipfSampler(accounts, 2.0) : () => Math.floor(Math.random() * accounts);
  return () => {
    const from = pick();
    let to = pick();
    while (to === from) to = pick();
    return [from, to];
  };
}

const TRANSFER = `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code } } }`;

async function graphqlLoad(spec: LoadSpec): Promise<LoadResult> {
  const ids = spec.subAccountIds!;
  const pick = picker(spec.traffic, ids.length);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  let sequence = 0;
  try {
    return await runLoad(spec.concurrency, spec.seconds, async () => {
      const [from, to] = pick();
      const response = await postJson(agent, spec.port!, spec.key!, {
        query: TRANSFER,
        variables: {
          input: {
            fromSubAccountId: ids[from], toSubAccountId: ids[to], tier: 'PREMIUM', minutes: '0.01',
            idempotencyKey: `bench-${spec.runId}-${sequence++}`,
          },
        },
      });
      return Boolean(response.data?.transferMinutes?.transfer);
    });
  } finally {
    agent.destroy();
  }
}

/** The same ledger transaction issued directly: guarded debit, credit, transfer row. */
async function pgLoad(spec: LoadSpec): Promise<LoadResult> {
  const wallets = spec.walletIds!;
  const pick = picker(spec.traffic, wallets.length);
  const pool = new Pool({ connectionString: spec.databaseUrl, max: spec.concurrency });
  let sequence = 0;
  try {
    return await runLoad(spec.concurrency, spec.seconds, async () => {
      const [from, to] = pick();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const legs = [
          { id: wallets[from], sql: `UPDATE ledger_accounts SET debits_micros = debits_micros + 1600, balance_micros = balance_micros - 1600 WHERE id = $1 AND balance_micros >= 1600` },
          { id: wallets[to], sql: `UPDATE ledger_accounts SET credits_micros = credits_micros + 1600, balance_micros = balance_micros + 1600 WHERE id = $1` },
        ].sort((a, b) => (a.id < b.id ? -1 : 1));
        await client.query(
          `INSERT INTO ledger_transfers (agency_id, kind, debit_account_id, credit_account_id, amount_micros, idempotency_key, request_sha256)
           VALUES ($1, 'MINUTE_TRANSFER', $2, $3, 1600, $4, '\\x00')`,
          [spec.agencyUuid, wallets[from], wallets[to], `base-${spec.runId}-${sequence++}`],
        );
        for (const leg of legs) await client.query(leg.sql, [leg.id]);
        await client.query('COMMIT');
        return true;
      } catch {
        await client.query('ROLLBACK').catch(() => undefined);
        return false;
      } finally {
        client.release();
      }
    });
  } finally {
    await pool.end();
  }
}

process.once('message', (spec: LoadSpec) => {
  (spec.target === 'pg' ? pgLoad(spec) : graphqlLoad(spec)).then(
    (result) => process.send!(result, () => process.exit(0)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
