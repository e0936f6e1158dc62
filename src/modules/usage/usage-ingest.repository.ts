import type { AgencyMarkups, PlanPrices, SubAccountPricing } from '../pricing/pricing';
import { CallEntity, callColumns, toCallEntity } from './call.entity';
import type { Queryable } from '../../db/queryable';

/**
 * The SQL of usage ingestion (src/modules/usage/usage-ingest.service.ts holds the rules and
 * the order in which these run; docs/usage.md the lock order). Every function runs inside
 * the caller's transaction; the ledger's part of a call (its USAGE debit) is the ledger's
 * (src/modules/ledger/usage-debits.ts).
 */

export interface AgencyPricing extends AgencyMarkups {
  plan: PlanPrices;
}

export interface IngestSubAccount extends SubAccountPricing {
  id: string;
  agencyId: string;
  status: 'ACTIVE' | 'REMOVED';
  removedAt: Date | null;
  walletId: string;
}

/** A call row to insert: every figure computed before the first write. */
export interface CallToInsert {
  id: string;
  subAccountId: string;
  externalCallId: string;
  scenarioId: string | null;
  tier: string;
  status: string;
  startedAt: Date;
  durationSeconds: number;
  priceMicros: bigint;
  markupMicros: bigint;
  costMicros: bigint;
  profitMicros: bigint;
  transferId: string | null;
  requestSha256: Buffer;
}

/** One row of the daily rollups (and, summed by month, of the monthly ones). */
export interface RollupIncrement {
  subAccountId: string;
  /** UTC day, YYYY-MM-DD */
  day: string;
  tier: string;
  status: string;
  calls: number;
  seconds: bigint;
  costMicros: bigint;
  profitMicros: bigint;
}

/** The agencies owning these sub-accounts (a platform admin's push may span several). */
export async function agencyIdsOfSubAccounts(em: Queryable, subAccountIds: string[]): Promise<string[]> {
  const rows: Array<{ agency_id: string }> = await em.query(
    `SELECT DISTINCT agency_id FROM sub_accounts WHERE id = ANY($1::uuid[])`,
    [subAccountIds],
  );
  return rows.map((r) => r.agency_id);
}

/** Locks the agencies (KEY SHARE, id order) and reads their markups and plan prices. */
export async function lockAgencies(em: Queryable, agencyIds: string[]): Promise<Map<string, AgencyPricing>> {
  const rows: Array<Record<string, string>> = await em.query(
    `SELECT a.id, a.default_markup_basic_micros, a.default_markup_premium_micros, p.basic_price_micros, p.premium_price_micros
       FROM agencies a JOIN plans p ON p.code = a.plan_code
      WHERE a.id = ANY($1::uuid[])
      ORDER BY a.id
      FOR KEY SHARE OF a`,
    [agencyIds],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        defaultMarkupBasicMicros: BigInt(r.default_markup_basic_micros),
        defaultMarkupPremiumMicros: BigInt(r.default_markup_premium_micros),
        plan: { basicPriceMicros: BigInt(r.basic_price_micros), premiumPriceMicros: BigInt(r.premium_price_micros) },
      },
    ]),
  );
}

/** Locks the sub-accounts of those agencies (KEY SHARE, id order) and reads their pricing, status and wallet. */
export async function lockSubAccounts(em: Queryable, subIds: string[], agencyIds: string[]): Promise<Map<string, IngestSubAccount>> {
  const rows: Array<Record<string, any>> = await em.query(
    `SELECT s.id, s.agency_id, s.kind, s.status, s.removed_at, s.apply_base_price, s.markup_basic_micros,
            s.markup_premium_micros, w.id AS wallet_id
       FROM sub_accounts s JOIN wallets w ON w.sub_account_id = s.id
      WHERE s.id = ANY($1::uuid[]) AND s.agency_id = ANY($2::uuid[])
      ORDER BY s.id
      FOR KEY SHARE OF s`,
    [subIds, agencyIds],
  );
  const optional = (value: string | null) => (value === null ? null : BigInt(value));
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        agencyId: r.agency_id,
        kind: r.kind,
        status: r.status,
        removedAt: r.removed_at,
        applyBasePrice: r.apply_base_price,
        markupBasicMicros: optional(r.markup_basic_micros),
        markupPremiumMicros: optional(r.markup_premium_micros),
        walletId: r.wallet_id,
      },
    ]),
  );
}

/** The sub-account each of these scenarios belongs to (missing ids are absent). */
export async function scenarioOwners(em: Queryable, scenarioIds: string[]): Promise<Map<string, string>> {
  if (scenarioIds.length === 0) return new Map();
  const rows: Array<{ id: string; sub_account_id: string }> = await em.query(
    `SELECT id, sub_account_id FROM scenarios WHERE id = ANY($1::uuid[])`,
    [scenarioIds],
  );
  return new Map(rows.map((r) => [r.id, r.sub_account_id]));
}

/**
 * Inserts the calls in the given order (the caller's lock order); returns the ids and
 * recording times of those inserted. A key already recorded is skipped: a concurrent
 * request inserting the same key makes ON CONFLICT wait for its outcome (after its commit
 * the key is skipped, after its rollback inserted).
 */
export async function insertCalls(em: Queryable, calls: CallToInsert[]): Promise<Array<{ id: string; recordedAt: Date }>> {
  if (calls.length === 0) return [];
  const rows: Array<{ id: string; recorded_at: Date }> = await em.query(
    `INSERT INTO calls (id, sub_account_id, external_call_id, scenario_id, tier, status, started_at, duration_seconds,
                        price_micros, markup_micros, cost_micros, profit_micros, transfer_id, request_sha256)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::int[],
                          $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::uuid[], $14::bytea[])
     ON CONFLICT (sub_account_id, external_call_id) DO NOTHING
     RETURNING id, recorded_at`,
    [
      calls.map((c) => c.id),
      calls.map((c) => c.subAccountId),
      calls.map((c) => c.externalCallId),
      calls.map((c) => c.scenarioId),
      calls.map((c) => c.tier),
      calls.map((c) => c.status),
      calls.map((c) => c.startedAt.toISOString()),
      calls.map((c) => c.durationSeconds),
      calls.map((c) => c.priceMicros.toString()),
      calls.map((c) => c.markupMicros.toString()),
      calls.map((c) => c.costMicros.toString()),
      calls.map((c) => c.profitMicros.toString()),
      calls.map((c) => c.transferId),
      calls.map((c) => c.requestSha256),
    ],
  );
  return rows.map((r) => ({ id: r.id, recordedAt: r.recorded_at }));
}

/** The calls already recorded under these (sub-account, externalCallId) keys, with their request hashes. */
export async function findRecordedCalls(
  em: Queryable,
  keys: Array<{ subAccountId: string; externalCallId: string }>,
): Promise<Array<{ call: CallEntity; requestSha256: Buffer }>> {
  if (keys.length === 0) return [];
  const rows: Array<Record<string, unknown>> = await em.query(
    `SELECT ${callColumns('c')}, c.request_sha256
       FROM calls c JOIN unnest($1::uuid[], $2::text[]) AS k(sub_account_id, external_call_id)
         ON c.sub_account_id = k.sub_account_id AND c.external_call_id = k.external_call_id`,
    [keys.map((k) => k.subAccountId), keys.map((k) => k.externalCallId)],
  );
  return rows.map((row) => ({ call: toCallEntity(row), requestSha256: row.request_sha256 as Buffer }));
}

/**
 * Adds the increments to the daily rollups and, summed by UTC month, to the monthly ones.
 * The caller passes each rollup row once, in one fixed order (every request locks rollup
 * rows in the same order); the monthly rows are written in their key order.
 */
export async function addToRollups(em: Queryable, rows: RollupIncrement[]): Promise<void> {
  if (rows.length === 0) return;
  await em.query(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::date[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
         AS t(sub_account_id, day, tier, status, call_count, duration_seconds, cost_micros, profit_micros)
     ), daily AS (
       INSERT INTO usage_daily_rollups AS r (sub_account_id, day, tier, status, call_count, duration_seconds, cost_micros, profit_micros)
       SELECT * FROM input
       ON CONFLICT (sub_account_id, day, tier, status) DO UPDATE
         SET call_count = r.call_count + excluded.call_count,
             duration_seconds = r.duration_seconds + excluded.duration_seconds,
             cost_micros = r.cost_micros + excluded.cost_micros,
             profit_micros = r.profit_micros + excluded.profit_micros
     )
     INSERT INTO usage_monthly_rollups AS r (sub_account_id, month, tier, status, call_count, duration_seconds, cost_micros, profit_micros)
     SELECT sub_account_id, date_trunc('month', day)::date, tier, status,
            sum(call_count), sum(duration_seconds), sum(cost_micros), sum(profit_micros)
       FROM input GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
     ON CONFLICT (sub_account_id, month, tier, status) DO UPDATE
       SET call_count = r.call_count + excluded.call_count,
           duration_seconds = r.duration_seconds + excluded.duration_seconds,
           cost_micros = r.cost_micros + excluded.cost_micros,
           profit_micros = r.profit_micros + excluded.profit_micros`,
    [
      rows.map((r) => r.subAccountId),
      rows.map((r) => r.day),
      rows.map((r) => r.tier),
      rows.map((r) => r.status),
      rows.map((r) => r.calls),
      rows.map((r) => r.seconds.toString()),
      rows.map((r) => r.costMicros.toString()),
      rows.map((r) => r.profitMicros.toString()),
    ],
  );
}
