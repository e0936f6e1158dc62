import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { BadUserInputError } from '../../graphql/errors';
import { runIsolated, sqlState } from '../../shared/batch-isolation';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import type { Logger } from '../../shared/logger';
import { requireRole } from '../auth/access';
import type { Role, Viewer } from '../auth/role';
import { applyUsageDebits, insertUsageTransfers, lockWalletAccounts } from '../ledger/usage-debits';
import { writeUsageDebitEvents } from '../events/outbox-writer';
import { effectiveMarkupMicros, minutePriceMicros, type AgencyMarkups, type PlanPrices, type SubAccountPricing } from '../pricing/pricing';
import { CallEntity, callColumns, toCallEntity } from './call.entity';
import { callCostMicros, callProfitMicros } from './call-cost';
import { MAX_CALLS_PER_BATCH, validCallOrThrow, type RecordCallCommand, type ValidCall } from './call-input';

/** Who may push usage: the agency's ingest keys and admins, and platform admins. */
export const INGEST_ROLES: readonly Role[] = ['PLATFORM_ADMIN', 'AGENCY_ADMIN', 'USAGE_INGEST'];

/** Per pushed call: the call (new, or the first record of a retried one), or why it was refused. */
export type CallOutcome = { call: CallEntity; replayed: boolean } | { error: DomainError };

interface AgencyPricing extends AgencyMarkups {
  plan: PlanPrices;
}

interface SubAccountRow extends SubAccountPricing {
  id: string;
  agencyId: string;
  status: 'ACTIVE' | 'REMOVED';
  removedAt: Date | null;
  walletId: string;
}

/** A call that passed every check and is about to be inserted (or matched with its first record). */
interface Candidate {
  index: number;
  /** keyOf(sub-account, externalCallId) */
  key: string;
  /** The id the call row gets if it is new. */
  callId: string;
  call: ValidCall;
  sub: SubAccountRow;
  priceMicros: bigint;
  markupMicros: bigint;
  costMicros: bigint;
  profitMicros: bigint;
  transferId: string | null;
}

/** Attempts of a request's transaction that lost a deadlock or serialization race. */
const MAX_ATTEMPTS = 5;

function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  return code === '40P01' || code === '40001';
}

const keyOf = (subAccountId: string, externalCallId: string) => `${subAccountId} ${externalCallId}`;
const unique = <T>(values: T[]) => [...new Set(values)];

const idempotencyConflict = () =>
  new DomainError(
    ErrorCode.IDEMPOTENCY_CONFLICT,
    'This externalCallId was already recorded for the sub-account with other terms',
    ['externalCallId'],
  );

/**
 * Records pushed calls: for each new call, the call row, its USAGE debit and its rollups,
 * all in one transaction per request (a batch of up to 1,000 calls shares it).
 *
 * Every business check runs before the first write, per call, so a refused call writes
 * nothing and the statements that follow cannot fail for business reasons: a batch
 * records its good calls and refuses its bad ones, never half a call. An unexpected
 * database error rolls the transaction back; the calls are then recorded again in halves
 * until the call at fault is alone, which alone answers INTERNAL_SERVER_ERROR (the
 * platform pushes it again; idempotency makes that safe).
 *
 * Locks, always in this order (see docs/usage.md): the agencies (KEY SHARE: prices and
 * plans cannot change under the batch), the sub-accounts (KEY SHARE, id order: a removal
 * or a pricing edit waits for the batch, or the batch sees its result), then the call
 * keys (sorted), the rollup rows (sorted) and last the wallets (id order, the ledger's
 * order). Each class in one fixed order, the classes in one fixed order: concurrent
 * batches cannot deadlock, and the wallets are held only for the balance UPDATE, the
 * events and the commit.
 */
export class UsageIngestService {
  /** @param logger where a call that fails alone in a batch is logged (its client sees a generic error). */
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger?: Logger,
  ) {}

  async record(viewer: Viewer, inputs: RecordCallCommand[]): Promise<CallOutcome[]> {
    requireRole(viewer, INGEST_ROLES);
    if (inputs.length > MAX_CALLS_PER_BATCH) {
      throw new BadUserInputError(`At most ${MAX_CALLS_PER_BATCH} calls per request`, 'inputs');
    }
    const now = new Date();
    const outcomes: CallOutcome[] = new Array(inputs.length);
    const valid: Array<{ index: number; call: ValidCall }> = [];
    inputs.forEach((input, index) => {
      try {
        valid.push({ index, call: validCallOrThrow(input, now) });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes[index] = { error };
      }
    });
    if (valid.length === 0) return outcomes;
    // A lone call's failure is its request's: INTERNAL_SERVER_ERROR, logged by the GraphQL error mapper.
    if (valid.length === 1) {
      await this.recordGroup(viewer, valid, outcomes);
      return outcomes;
    }
    // A statement of the batch that fails is run again in halves, down to the call at fault
    // (runIsolated): one bad call never costs the others, which may be other agencies' calls
    // (a platform admin's push). A failed transaction wrote nothing, so no call is recorded twice.
    await runIsolated(
      valid,
      (group) => this.recordGroup(viewer, group, outcomes),
      (item, error) => {
        this.logger?.error('a pushed call could not be recorded', {
          externalCallId: item.call.externalCallId,
          message: error instanceof Error ? error.message : String(error),
          stack: error instanceof Error ? error.stack : undefined,
        });
        outcomes[item.index] = {
          error: new DomainError(
            ErrorCode.INTERNAL_SERVER_ERROR,
            'This call could not be recorded because of an internal error; nothing was recorded for it, push it again later',
          ),
        };
      },
    );
    return outcomes;
  }

  /** Records a group of valid calls in one transaction (rerun on a lost deadlock); sets their outcomes only once it committed. */
  private async recordGroup(viewer: Viewer, group: Array<{ index: number; call: ValidCall }>, outcomes: CallOutcome[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const attemptOutcomes = [...outcomes];
      try {
        await this.dataSource.transaction((em) => this.recordValid(em, viewer, group, attemptOutcomes));
        for (const { index } of group) outcomes[index] = attemptOutcomes[index];
        return;
      } catch (error) {
        // Ingestion takes its locks in the order every ledger writer uses (sub-accounts, then
        // ledger rows by id). Should a writer ever lock otherwise, PostgreSQL aborts one side of
        // the deadlock; this request's transaction then simply runs again (idempotency makes the
        // rerun exact) instead of failing the platform's push.
        if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      }
    }
  }

  private async recordValid(
    em: EntityManager,
    viewer: Viewer,
    valid: Array<{ index: number; call: ValidCall }>,
    outcomes: CallOutcome[],
  ): Promise<void> {
    const subIds = unique(valid.map((v) => v.call.subAccountId));
    const agencyIds =
      viewer.role === 'PLATFORM_ADMIN'
        ? ((await em.query(`SELECT DISTINCT agency_id FROM sub_accounts WHERE id = ANY($1::uuid[])`, [subIds])) as Array<{
            agency_id: string;
          }>).map((r) => r.agency_id)
        : [viewer.agencyId!];
    const agencies = await lockAgencies(em, agencyIds);
    const subs = await lockSubAccounts(em, subIds, agencyIds);
    const scenarioIds = unique(valid.flatMap((v) => (v.call.scenarioId ? [v.call.scenarioId] : [])));
    const scenarioOwners = new Map<string, string>(
      scenarioIds.length
        ? ((await em.query(`SELECT id, sub_account_id FROM scenarios WHERE id = ANY($1::uuid[])`, [scenarioIds])) as Array<{
            id: string;
            sub_account_id: string;
          }>).map((r) => [r.id, r.sub_account_id])
        : [],
    );

    const fresh: Candidate[] = [];
    const removed = new Set<Candidate>();
    const firstOfKey = new Map<string, Candidate>();
    const repeats: Array<{ index: number; call: ValidCall; first: Candidate }> = [];
    for (const { index, call } of valid) {
      const sub = subs.get(call.subAccountId);
      // Another agency's sub-account is one that does not exist, for every caller but the platform.
      if (!sub || (viewer.role !== 'PLATFORM_ADMIN' && sub.agencyId !== viewer.agencyId)) {
        outcomes[index] = { error: notFound('Sub-account', ['subAccountId']) };
        continue;
      }
      if (call.scenarioId && scenarioOwners.get(call.scenarioId) !== sub.id) {
        outcomes[index] = { error: notFound('Scenario', ['scenarioId']) };
        continue;
      }
      const key = keyOf(sub.id, call.externalCallId);
      const first = firstOfKey.get(key);
      if (first) {
        repeats.push({ index, call, first });
        continue;
      }
      const agency = agencies.get(sub.agencyId)!;
      const priceMicros = minutePriceMicros(agency.plan, agency, sub, call.tier);
      const markupMicros = effectiveMarkupMicros(sub, agency, call.tier);
      const costMicros = callCostMicros(call.durationSeconds, priceMicros);
      const candidate: Candidate = {
        index,
        key,
        callId: randomUUID(),
        call,
        sub,
        priceMicros,
        markupMicros,
        costMicros,
        profitMicros: callProfitMicros(call.durationSeconds, markupMicros),
        transferId: costMicros > 0n ? randomUUID() : null,
      };
      firstOfKey.set(key, candidate);
      // Calls that started before the removal are still facts to charge; later ones cannot be this sub-account's.
      const startedAfterRemoval = sub.status === 'REMOVED' && sub.removedAt !== null && call.startedAt >= sub.removedAt;
      if (startedAfterRemoval) removed.add(candidate);
      else fresh.push(candidate);
    }

    const inserted = await this.insertNew(em, fresh);
    // Not inserted: recorded before (a retry). Refused as removed: a retry of a call recorded before the removal still replays.
    const toMatch = [...fresh.filter((c) => !inserted.has(c)), ...removed];
    const existing = await findRecorded(em, toMatch);
    for (const candidate of fresh) {
      const call = inserted.get(candidate);
      if (call) outcomes[candidate.index] = { call, replayed: false };
    }
    for (const candidate of toMatch) {
      const found = existing.get(keyOf(candidate.sub.id, candidate.call.externalCallId));
      if (found) {
        outcomes[candidate.index] = found.requestSha256.equals(candidate.call.requestSha256)
          ? { call: found.call, replayed: true }
          : { error: idempotencyConflict() };
      } else if (removed.has(candidate)) {
        outcomes[candidate.index] = {
          error: new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'The sub-account was removed before this call started', [
            'subAccountId',
          ]),
        };
      } else {
        throw new Error('a call was neither inserted nor found');
      }
    }
    // The same externalCallId again in one request: compared with the record its key names (the
    // first occurrence's, or one stored before), exactly like a retry in a later request.
    for (const { index, call, first } of repeats) {
      const insertedCall = inserted.get(first);
      const found = existing.get(keyOf(first.sub.id, call.externalCallId));
      const reference = insertedCall
        ? { call: insertedCall, requestSha256: first.call.requestSha256 }
        : found && { call: found.call, requestSha256: found.requestSha256 };
      if (reference) {
        outcomes[index] = call.requestSha256.equals(reference.requestSha256)
          ? { call: reference.call, replayed: true }
          : { error: idempotencyConflict() };
      } else {
        // Nothing recorded under the key (the first occurrence was refused): same terms, same answer.
        outcomes[index] = call.requestSha256.equals(first.call.requestSha256) ? outcomes[first.index] : { error: idempotencyConflict() };
      }
    }
  }

  /**
   * Inserts the calls that are new, with their debits and rollups; returns the inserted ones.
   *
   * Row locks are taken class by class, each class in one fixed order, the same in every
   * request: the call keys (sorted), the rollup rows (sorted), then the wallets (id order).
   * So concurrent requests can wait for each other but never deadlock, and the wallets —
   * the rows every request and every minute transfer shares — are locked last, for the
   * balance UPDATE, the events and the commit only, not while calls and transfers are
   * being inserted.
   */
  private async insertNew(em: EntityManager, candidates: Candidate[]): Promise<Map<Candidate, CallEntity>> {
    const inserted = new Map<Candidate, CallEntity>();
    if (candidates.length === 0) return inserted;
    const ordered = [...candidates].sort((a, b) => compareKeys(a.key, b.key));
    // A concurrent request inserting the same key makes ON CONFLICT wait for its outcome: after
    // its commit the key is skipped here (and replayed by the caller), after its rollback inserted.
    const rows: Array<{ id: string; recorded_at: Date }> = await em.query(
      `INSERT INTO calls (id, sub_account_id, external_call_id, scenario_id, tier, status, started_at, duration_seconds,
                          price_micros, markup_micros, cost_micros, profit_micros, transfer_id, request_sha256)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::int[],
                            $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::uuid[], $14::bytea[])
       ON CONFLICT (sub_account_id, external_call_id) DO NOTHING
       RETURNING id, recorded_at`,
      [
        ordered.map((c) => c.callId),
        ordered.map((c) => c.sub.id),
        ordered.map((c) => c.call.externalCallId),
        ordered.map((c) => c.call.scenarioId),
        ordered.map((c) => c.call.tier),
        ordered.map((c) => c.call.status),
        ordered.map((c) => c.call.startedAt.toISOString()),
        ordered.map((c) => c.call.durationSeconds),
        ordered.map((c) => c.priceMicros.toString()),
        ordered.map((c) => c.markupMicros.toString()),
        ordered.map((c) => c.costMicros.toString()),
        ordered.map((c) => c.profitMicros.toString()),
        ordered.map((c) => c.transferId),
        ordered.map((c) => c.call.requestSha256),
      ],
    );
    const byId = new Map(ordered.map((c) => [c.callId, c]));
    for (const row of rows) {
      const candidate = byId.get(row.id)!;
      inserted.set(candidate, toNewCallEntity(candidate, row.recorded_at));
    }
    const recorded = ordered.filter((c) => inserted.has(c));
    const debits = recorded
      .filter((c) => c.transferId !== null)
      .map((c) => ({
        transferId: c.transferId!,
        agencyId: c.sub.agencyId,
        walletId: c.sub.walletId,
        amountMicros: c.costMicros,
        tier: c.call.tier,
        memo: `Call ${c.call.externalCallId}`,
      }));
    await insertUsageTransfers(em, debits);
    await addToRollups(em, recorded);
    await lockWalletAccounts(em, unique(debits.map((d) => d.walletId)));
    await applyUsageDebits(em, debits);
    // BALANCE_CHANGED / USAGE_RECORDED (and crossings) in the same transaction as the debits.
    await writeUsageDebitEvents(em, debits);
    return inserted;
  }
}

/** The entity of a call just inserted: every figure is the candidate's, only `recorded_at` comes from the row. */
function toNewCallEntity(c: Candidate, recordedAt: Date): CallEntity {
  return Object.assign(new CallEntity(), {
    id: c.callId,
    subAccountId: c.sub.id,
    externalCallId: c.call.externalCallId,
    scenarioId: c.call.scenarioId,
    tier: c.call.tier,
    status: c.call.status,
    startedAt: c.call.startedAt,
    durationSeconds: c.call.durationSeconds,
    priceMicros: c.priceMicros,
    markupMicros: c.markupMicros,
    costMicros: c.costMicros,
    profitMicros: c.profitMicros,
    transferId: c.transferId,
    recordedAt,
  });
}

/** Code-unit order: the same in every request, which is all lock ordering needs. */
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Locks the agencies (KEY SHARE, id order) and reads their markups and plan prices. */
async function lockAgencies(em: EntityManager, agencyIds: string[]): Promise<Map<string, AgencyPricing>> {
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
async function lockSubAccounts(em: EntityManager, subIds: string[], agencyIds: string[]): Promise<Map<string, SubAccountRow>> {
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

/** The calls already recorded under these keys, with their request hashes. */
async function findRecorded(
  em: EntityManager,
  candidates: Candidate[],
): Promise<Map<string, { call: CallEntity; requestSha256: Buffer }>> {
  if (candidates.length === 0) return new Map();
  const rows: Array<Record<string, unknown>> = await em.query(
    `SELECT ${callColumns('c')}, c.request_sha256
       FROM calls c JOIN unnest($1::uuid[], $2::text[]) AS k(sub_account_id, external_call_id)
         ON c.sub_account_id = k.sub_account_id AND c.external_call_id = k.external_call_id`,
    [candidates.map((c) => c.sub.id), candidates.map((c) => c.call.externalCallId)],
  );
  return new Map(
    rows.map((row) => [
      keyOf(row.sub_account_id as string, row.external_call_id as string),
      { call: toCallEntity(row), requestSha256: row.request_sha256 as Buffer },
    ]),
  );
}

/**
 * Adds the calls to their daily and monthly rollups (per sub-account, UTC day or month,
 * tier and status), grouped so each rollup row is written once per batch.
 */
async function addToRollups(em: EntityManager, calls: Candidate[]): Promise<void> {
  if (calls.length === 0) return;
  const groups = new Map<string, { sub: string; day: string; tier: string; status: string; n: number; seconds: bigint; cost: bigint; profit: bigint }>();
  for (const c of calls) {
    const day = c.call.startedAt.toISOString().slice(0, 10);
    const key = `${c.sub.id} ${day} ${c.call.tier} ${c.call.status}`;
    const group = groups.get(key) ?? { sub: c.sub.id, day, tier: c.call.tier, status: c.call.status, n: 0, seconds: 0n, cost: 0n, profit: 0n };
    group.n += 1;
    group.seconds += BigInt(c.call.durationSeconds);
    group.cost += c.costMicros;
    group.profit += c.profitMicros;
    groups.set(key, group);
  }
  // Sorted, like the monthly rows below: every request locks rollup rows in the same order.
  const rows = [...groups.entries()].sort(([a], [b]) => compareKeys(a, b)).map(([, group]) => group);
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
      rows.map((r) => r.sub),
      rows.map((r) => r.day),
      rows.map((r) => r.tier),
      rows.map((r) => r.status),
      rows.map((r) => r.n),
      rows.map((r) => r.seconds.toString()),
      rows.map((r) => r.cost.toString()),
      rows.map((r) => r.profit.toString()),
    ],
  );
}
