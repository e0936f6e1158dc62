import type { DataSource, EntityManager } from 'typeorm';
import { runIsolated } from '../../shared/batch-isolation';
import { DomainError, ErrorCode } from '../../shared/domain-error';
import { badUserInput, Refusal } from '../../shared/refusal';
import type { Logger } from '../../shared/logger';
import { retryLostRace } from '../../shared/retry-lost-race';
import { requireRole } from '../auth/access';
import type { Role, Viewer } from '../auth/role';
import { applyUsageDebits, insertUsageTransfers, lockWalletAccounts } from '../ledger/usage-debits';
import { writeUsageDebitEvents } from '../outbox/outbox-writer';
import type { CallEntity } from './call.entity';
import {
  candidatesToMatch, classifyCalls, compareKeys, keyOf, rollupIncrements, settleOutcomes, toCallToInsert, toNewCallEntity,
  type CallOutcome, type Candidate,
} from './call-classification';
import { MAX_CALLS_PER_BATCH, validCallOrThrow, type RecordCallCommand, type ValidCall } from './call-input';
import {
  addToRollups, agencyIdsOfSubAccounts, findRecordedCalls, insertCalls, lockAgencies, lockSubAccounts, scenarioOwners,
} from './usage-ingest.repository';

export type { CallOutcome } from './call-classification';

/** Who may push usage: the agency's ingest keys and admins, and platform admins. */
export const INGEST_ROLES: readonly Role[] = ['PLATFORM_ADMIN', 'AGENCY_ADMIN', 'USAGE_INGEST'];

const unique = <T>(values: T[]) => [...new Set(values)];

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
      throw badUserInput(`At most ${MAX_CALLS_PER_BATCH} calls per request`, 'inputs');
    }
    const now = new Date();
    const outcomes: CallOutcome[] = new Array(inputs.length);
    const valid: Array<{ index: number; call: ValidCall }> = [];
    inputs.forEach((input, index) => {
      try {
        valid.push({ index, call: validCallOrThrow(input, now) });
      } catch (error) {
        if (!(error instanceof DomainError) || error instanceof Refusal) throw error;
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
    // Ingestion takes its locks in the order every ledger writer uses (sub-accounts, then
    // ledger rows by id). Should a writer ever lock otherwise, PostgreSQL aborts one side of
    // the deadlock; this request's transaction then simply runs again (idempotency makes the
    // rerun exact) instead of failing the platform's push.
    const settled = await retryLostRace(async () => {
      const attemptOutcomes = [...outcomes];
      await this.dataSource.transaction((em) => this.recordValid(em, viewer, group, attemptOutcomes));
      return attemptOutcomes;
    });
    for (const { index } of group) outcomes[index] = settled[index];
  }

  private async recordValid(
    em: EntityManager,
    viewer: Viewer,
    valid: Array<{ index: number; call: ValidCall }>,
    outcomes: CallOutcome[],
  ): Promise<void> {
    const subIds = unique(valid.map((v) => v.call.subAccountId));
    const agencyIds = viewer.role === 'PLATFORM_ADMIN' ? await agencyIdsOfSubAccounts(em, subIds) : [viewer.agencyId!];
    const agencies = await lockAgencies(em, agencyIds);
    const subAccounts = await lockSubAccounts(em, subIds, agencyIds);
    const owners = await scenarioOwners(em, unique(valid.flatMap((v) => (v.call.scenarioId ? [v.call.scenarioId] : []))));

    const classified = classifyCalls(viewer, valid, { agencies, subAccounts, scenarioOwners: owners }, outcomes);
    const inserted = await this.insertNew(em, classified.fresh);
    const toMatch = candidatesToMatch(classified, inserted);
    const recorded = await findRecordedCalls(em, toMatch.map((c) => ({ subAccountId: c.sub.id, externalCallId: c.call.externalCallId })));
    settleOutcomes(
      classified,
      inserted,
      new Map(recorded.map((r) => [keyOf(r.call.subAccountId, r.call.externalCallId), r])),
      outcomes,
    );
  }

  /**
   * Inserts the calls that are new, with their debits and rollups; returns the inserted ones.
   *
   * Row locks are taken class by class, each class in one fixed order, the same in every
   * request: the wallets (id order, as every ledger writer takes them), the call keys
   * (sorted), then the rollup rows (sorted). So concurrent requests can wait for each other
   * but never deadlock.
   *
   * The wallets are locked before anything is inserted because the calls' and transfers'
   * `seq` (their commit order, which `calls(order: RECORDED)` and `Wallet.transfers` page
   * by) is drawn by the INSERT: under the wallet's lock, the next writer of a wallet draws
   * only after this transaction committed (docs/faults.md, "Late commits"). Requests for
   * the same sub-account already serialized on its rollup row; the transfers bench
   * measured the cost for minute transfers beside ingestion (docs/benchmarks.md).
   */
  private async insertNew(em: EntityManager, candidates: Candidate[]): Promise<Map<Candidate, CallEntity>> {
    const inserted = new Map<Candidate, CallEntity>();
    if (candidates.length === 0) return inserted;
    const ordered = [...candidates].sort((a, b) => compareKeys(a.key, b.key));
    await lockWalletAccounts(em, unique(ordered.map((c) => c.sub.walletId)));
    const rows = await insertCalls(em, ordered.map(toCallToInsert));
    const byId = new Map(ordered.map((c) => [c.callId, c]));
    for (const row of rows) {
      const candidate = byId.get(row.id)!;
      inserted.set(candidate, toNewCallEntity(candidate, row.recordedAt));
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
    await addToRollups(em, rollupIncrements(recorded));
    await applyUsageDebits(em, debits);
    // BALANCE_CHANGED / USAGE_RECORDED (and crossings) in the same transaction as the debits.
    await writeUsageDebitEvents(em, debits);
    return inserted;
  }
}

