import type { Pool } from 'pg';
import { pgPoolOf, queryOnPool } from '../../db/prepared-statements';
import type { DataSource } from 'typeorm';
import { runIsolated } from '../../shared/batch-isolation';
import { BatchQueue } from '../../shared/batch-queue';

/** A sub-account with its wallet, agency and plan, as a minute transfer prices it. */
export interface PartyRow {
  id: string;
  agency_id: string;
  kind: 'PRIMARY' | 'SECONDARY';
  status: 'ACTIVE' | 'REMOVED';
  apply_base_price: boolean;
  markup_basic_micros: string | null;
  markup_premium_micros: string | null;
  wallet_id: string;
  plan_code: string;
  default_markup_basic_micros: string;
  default_markup_premium_micros: string;
  basic_price_micros: string;
  premium_price_micros: string;
  /** Whether the sub-account's agency already has a transfer under the request's idempotency key. */
  key_used: boolean;
}

interface Request {
  subAccountIds: string[];
  idempotencyKey: string | null;
  resolve(rows: PartyRow[]): void;
  reject(error: unknown): void;
}

/**
 * One named (prepared) statement for every request of a lookup: PostgreSQL parses and
 * plans it once per connection, not once per transfer.
 */
const STATEMENT = {
  name: 'transfer_parties_v1',
  text: `SELECT r.request, s.id, s.agency_id, s.kind, s.status, s.apply_base_price, s.markup_basic_micros, s.markup_premium_micros,
                w.id AS wallet_id, a.plan_code, a.default_markup_basic_micros, a.default_markup_premium_micros,
                p.basic_price_micros, p.premium_price_micros,
                r.idempotency_key IS NOT NULL AND EXISTS (
                  SELECT 1 FROM ledger_transfers t WHERE t.agency_id = s.agency_id AND t.idempotency_key = r.idempotency_key
                ) AS key_used
           FROM unnest($1::int[], $2::uuid[], $3::text[]) AS r(request, sub_account_id, idempotency_key)
           JOIN sub_accounts s ON s.id = r.sub_account_id
           JOIN wallets w ON w.sub_account_id = s.id
           JOIN agencies a ON a.id = s.agency_id
           JOIN plans p ON p.code = a.plan_code`,
};

/**
 * The parties of minute transfers and quotes, looked up for many requests at once: the
 * requests that arrive while a lookup is running go together in the next one (a
 * BatchQueue, as TransferBatcher's writes). With no concurrency a request is looked up at
 * once. Each request gets exactly the rows it would have got alone.
 *
 * Why: at 16 concurrent transfers a lookup per request was a third of the statements the
 * database ran per transfer, each parsed and planned anew.
 */
export class PartyLookup {
  private readonly queue = new BatchQueue<Request>((batch) => this.lookUp(batch));
  private readonly pool: Pool;

  constructor(dataSource: DataSource) {
    this.pool = pgPoolOf(dataSource);
  }

  /** The rows of the given sub-accounts (unknown ids have none), with `key_used` for the key. */
  load(subAccountIds: string[], idempotencyKey: string | null): Promise<PartyRow[]> {
    if (subAccountIds.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => this.queue.push({ subAccountIds, idempotencyKey, resolve, reject }));
  }

  /**
   * One statement for the batch; each request gets its own rows. Should the statement fail,
   * the batch is looked up again in halves down to the request at fault (runIsolated), so
   * one request's bad input never fails the lookups of the others.
   */
  private async lookUp(batch: Request[]): Promise<void> {
    try {
      await runIsolated(batch, (group) => this.lookUpGroup(group), (request, error) => request.reject(error));
    } catch (error) {
      for (const request of batch) request.reject(error);
    }
  }

  private async lookUpGroup(batch: Request[]): Promise<void> {
    const requests: number[] = [];
    const ids: string[] = [];
    const keys: Array<string | null> = [];
    batch.forEach((request, index) => {
      for (const id of request.subAccountIds) {
        requests.push(index);
        ids.push(id);
        keys.push(request.idempotencyKey);
      }
    });
    const { rows } = await queryOnPool<PartyRow & { request: number }>(this.pool, { ...STATEMENT, values: [requests, ids, keys] });
    const byRequest = batch.map((): PartyRow[] => []);
    for (const { request, ...row } of rows) byRequest[request].push(row);
    batch.forEach((request, index) => request.resolve(byRequest[index]));
  }
}
