import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import type { Viewer } from '../auth/role';
import { effectiveMarkupMicros, minutePriceMicros } from '../pricing/pricing';
import { CallEntity } from './call.entity';
import { callCostMicros, callProfitMicros } from './call-cost';
import type { ValidCall } from './call-input';
import type { AgencyPricing, CallToInsert, IngestSubAccount, RollupIncrement } from './usage-ingest.repository';

/**
 * The rules of usage ingestion that need no database: whose a pushed call is, what it
 * costs, whether it repeats another one, and — once the inserts are known — what each call
 * answers. The service (usage-ingest.service.ts) reads and locks, calls these, and writes;
 * keeping them pure makes every branch unit-testable (call-classification.spec.ts).
 */

/** Per pushed call: the call (new, or the first record of a retried one), or why it was refused. */
export type CallOutcome = { call: CallEntity; replayed: boolean } | { error: DomainError };

/** A call that passed every check and is about to be inserted (or matched with its first record). */
export interface Candidate {
  index: number;
  /** keyOf(sub-account, externalCallId) */
  key: string;
  /** The id the call row gets if it is new. */
  callId: string;
  call: ValidCall;
  sub: IngestSubAccount;
  priceMicros: bigint;
  markupMicros: bigint;
  costMicros: bigint;
  profitMicros: bigint;
  /** Its USAGE debit's id; null for a call that costs nothing (no debit). */
  transferId: string | null;
}

/** The same externalCallId again in one request, answered like a retry of `first`. */
export interface Repeat {
  index: number;
  call: ValidCall;
  first: Candidate;
}

export interface Classified {
  /** To insert (in the caller's lock order). */
  fresh: Candidate[];
  /** Started after their sub-account's removal: refused, unless recorded before (a retry replays). */
  removed: Set<Candidate>;
  repeats: Repeat[];
}

/** What the locked reads found for a request's calls. */
export interface IngestContext {
  agencies: ReadonlyMap<string, AgencyPricing>;
  subAccounts: ReadonlyMap<string, IngestSubAccount>;
  /** scenario id → its sub-account id */
  scenarioOwners: ReadonlyMap<string, string>;
}

export const keyOf = (subAccountId: string, externalCallId: string) => `${subAccountId} ${externalCallId}`;

/** Code-unit order: the same in every request, which is all lock ordering needs. */
export const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const idempotencyConflict = () =>
  new DomainError(
    ErrorCode.IDEMPOTENCY_CONFLICT,
    'This externalCallId was already recorded for the sub-account with other terms',
    ['externalCallId'],
  );

const subAccountRemoved = () =>
  new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'The sub-account was removed before this call started', ['subAccountId']);

/**
 * Sorts the valid calls of a request into new ones, repeats and calls on a removed
 * sub-account, pricing each new one; refusals (a sub-account or scenario that is not the
 * caller's) are written to `outcomes`.
 */
export function classifyCalls(
  viewer: Viewer,
  valid: ReadonlyArray<{ index: number; call: ValidCall }>,
  context: IngestContext,
  outcomes: CallOutcome[],
  newId: () => string = randomUUID,
): Classified {
  const fresh: Candidate[] = [];
  const removed = new Set<Candidate>();
  const firstOfKey = new Map<string, Candidate>();
  const repeats: Repeat[] = [];
  for (const { index, call } of valid) {
    const sub = context.subAccounts.get(call.subAccountId);
    // Another agency's sub-account is one that does not exist, for every caller but the platform.
    if (!sub || (viewer.role !== 'PLATFORM_ADMIN' && sub.agencyId !== viewer.agencyId)) {
      outcomes[index] = { error: notFound('Sub-account', ['subAccountId']) };
      continue;
    }
    if (call.scenarioId && context.scenarioOwners.get(call.scenarioId) !== sub.id) {
      outcomes[index] = { error: notFound('Scenario', ['scenarioId']) };
      continue;
    }
    const key = keyOf(sub.id, call.externalCallId);
    const first = firstOfKey.get(key);
    if (first) {
      repeats.push({ index, call, first });
      continue;
    }
    const agency = context.agencies.get(sub.agencyId)!;
    const priceMicros = minutePriceMicros(agency.plan, agency, sub, call.tier);
    const markupMicros = effectiveMarkupMicros(sub, agency, call.tier);
    const costMicros = callCostMicros(call.durationSeconds, priceMicros);
    const candidate: Candidate = {
      index,
      key,
      callId: newId(),
      call,
      sub,
      priceMicros,
      markupMicros,
      costMicros,
      profitMicros: callProfitMicros(call.durationSeconds, markupMicros),
      transferId: costMicros > 0n ? newId() : null,
    };
    firstOfKey.set(key, candidate);
    // Calls that started before the removal are still facts to charge; later ones cannot be this sub-account's.
    const startedAfterRemoval = sub.status === 'REMOVED' && sub.removedAt !== null && call.startedAt >= sub.removedAt;
    if (startedAfterRemoval) removed.add(candidate);
    else fresh.push(candidate);
  }
  return { fresh, removed, repeats };
}

/** The candidates to look up among recorded calls: not inserted (recorded before, a retry), or refused as removed. */
export function candidatesToMatch(classified: Classified, inserted: ReadonlyMap<Candidate, CallEntity>): Candidate[] {
  return [...classified.fresh.filter((c) => !inserted.has(c)), ...classified.removed];
}

/**
 * Writes every classified call's outcome, given the calls this request inserted and those
 * recorded before under the same keys (by keyOf): new, replayed (same terms), conflicting
 * (other terms) or refused as removed.
 */
export function settleOutcomes(
  classified: Classified,
  inserted: ReadonlyMap<Candidate, CallEntity>,
  recorded: ReadonlyMap<string, { call: CallEntity; requestSha256: Buffer }>,
  outcomes: CallOutcome[],
): void {
  for (const candidate of classified.fresh) {
    const call = inserted.get(candidate);
    if (call) outcomes[candidate.index] = { call, replayed: false };
  }
  for (const candidate of candidatesToMatch(classified, inserted)) {
    const found = recorded.get(candidate.key);
    if (found) {
      outcomes[candidate.index] = found.requestSha256.equals(candidate.call.requestSha256)
        ? { call: found.call, replayed: true }
        : { error: idempotencyConflict() };
    } else if (classified.removed.has(candidate)) {
      outcomes[candidate.index] = { error: subAccountRemoved() };
    } else {
      throw new Error('a call was neither inserted nor found');
    }
  }
  // The same externalCallId again in one request: compared with the record its key names (the
  // first occurrence's, or one stored before), exactly like a retry in a later request.
  for (const { index, call, first } of classified.repeats) {
    const insertedCall = inserted.get(first);
    const found = recorded.get(first.key);
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

/** The call row of a candidate. */
export function toCallToInsert(c: Candidate): CallToInsert {
  return {
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
    requestSha256: c.call.requestSha256,
  };
}

/** The entity of a call just inserted: every figure is the candidate's, only `recordedAt` comes from the row. */
export function toNewCallEntity(c: Candidate, recordedAt: Date): CallEntity {
  const { requestSha256: _hash, ...row } = toCallToInsert(c);
  return Object.assign(new CallEntity(), row, { recordedAt });
}

/**
 * The calls' rollup increments: one per (sub-account, UTC day, tier, status), sorted by that
 * key, so each rollup row is written once per batch and every request locks them in the same order.
 */
export function rollupIncrements(calls: readonly Candidate[]): RollupIncrement[] {
  const groups = new Map<string, RollupIncrement>();
  for (const c of calls) {
    const day = c.call.startedAt.toISOString().slice(0, 10);
    const key = `${c.sub.id} ${day} ${c.call.tier} ${c.call.status}`;
    const group = groups.get(key) ?? {
      subAccountId: c.sub.id, day, tier: c.call.tier, status: c.call.status, calls: 0, seconds: 0n, costMicros: 0n, profitMicros: 0n,
    };
    group.calls += 1;
    group.seconds += BigInt(c.call.durationSeconds);
    group.costMicros += c.costMicros;
    group.profitMicros += c.profitMicros;
    groups.set(key, group);
  }
  return [...groups.entries()].sort(([a], [b]) => compareKeys(a, b)).map(([, group]) => group);
}
