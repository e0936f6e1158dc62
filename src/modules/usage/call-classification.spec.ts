import { createHash } from 'node:crypto';
import type { Viewer } from '../auth/role';
import { CallEntity } from './call.entity';
import {
  candidatesToMatch, classifyCalls, keyOf, rollupIncrements, settleOutcomes, toNewCallEntity,
  type CallOutcome, type Classified, type IngestContext,
} from './call-classification';
import type { ValidCall } from './call-input';
import type { IngestSubAccount } from './usage-ingest.repository';

const AGENCY = 'a0000000-0000-4000-8000-000000000001';
const OTHER_AGENCY = 'a0000000-0000-4000-8000-000000000002';
const PRIMARY = 's0000000-0000-4000-8000-000000000001';
const CLIENT = 's0000000-0000-4000-8000-000000000002';
const FOREIGN = 's0000000-0000-4000-8000-000000000003';
const REMOVED_CLIENT = 's0000000-0000-4000-8000-000000000004';
const SCENARIO = 'c0000000-0000-4000-8000-000000000001';
const REMOVED_AT = new Date('2026-11-20T12:00:00Z');

const agencyAdmin: Viewer = { role: 'AGENCY_ADMIN', agencyId: AGENCY, via: 'api-key' };
const platform: Viewer = { role: 'PLATFORM_ADMIN', via: 'platform-key' };

const sub = (id: string, agencyId: string, over: Partial<IngestSubAccount> = {}): IngestSubAccount => ({
  id, agencyId, kind: 'SECONDARY', status: 'ACTIVE', removedAt: null, applyBasePrice: false,
  markupBasicMicros: null, markupPremiumMicros: null, walletId: `w-${id}`, ...over,
});

// Plan: $0.10 Basic, $0.20 Premium; agency markups $0.02 / $0.04 (client price $0.12 / $0.24).
const context: IngestContext = {
  agencies: new Map([
    [AGENCY, { defaultMarkupBasicMicros: 20_000n, defaultMarkupPremiumMicros: 40_000n, plan: { basicPriceMicros: 100_000n, premiumPriceMicros: 200_000n } }],
    [OTHER_AGENCY, { defaultMarkupBasicMicros: 0n, defaultMarkupPremiumMicros: 0n, plan: { basicPriceMicros: 100_000n, premiumPriceMicros: 200_000n } }],
  ]),
  subAccounts: new Map([
    [PRIMARY, sub(PRIMARY, AGENCY, { kind: 'PRIMARY' })],
    [CLIENT, sub(CLIENT, AGENCY)],
    [FOREIGN, sub(FOREIGN, OTHER_AGENCY)],
    [REMOVED_CLIENT, sub(REMOVED_CLIENT, AGENCY, { status: 'REMOVED', removedAt: REMOVED_AT })],
  ]),
  scenarioOwners: new Map([[SCENARIO, CLIENT]]),
};

function call(over: Partial<ValidCall> = {}): ValidCall {
  const base = {
    subAccountId: CLIENT, externalCallId: 'call-1', scenarioId: null, tier: 'BASIC' as const, status: 'COMPLETED' as const,
    startedAt: new Date('2026-11-20T10:00:00Z'), durationSeconds: 90, ...over,
  };
  const requestSha256 = createHash('sha256').update(JSON.stringify({ ...base, startedAt: base.startedAt.toISOString() })).digest();
  return { ...base, requestSha256, ...over };
}

const numbered = (calls: ValidCall[]) => calls.map((c, index) => ({ index, call: c }));
let ids = 0;
const newId = () => `id-${++ids}`;

function classify(viewer: Viewer, calls: ValidCall[]): { classified: Classified; outcomes: CallOutcome[] } {
  const outcomes: CallOutcome[] = new Array(calls.length);
  return { classified: classifyCalls(viewer, numbered(calls), context, outcomes, newId), outcomes };
}

const errorCode = (outcome: CallOutcome | undefined) => (outcome && 'error' in outcome ? outcome.error.code : undefined);

describe('classifyCalls', () => {
  it('should price a client call at the plan price plus the agency markup, cost rounded up and profit down', () => {
    const { classified } = classify(agencyAdmin, [call({ durationSeconds: 61 })]);
    const [c] = classified.fresh;
    expect(c.priceMicros).toBe(120_000n);
    expect(c.markupMicros).toBe(20_000n);
    expect(c.costMicros).toBe(122_000n); // 61 × 120,000 / 60 = 122,000 exactly
    expect(c.profitMicros).toBe(20_333n); // 61 × 20,000 / 60 = 20,333.3, rounded down
    expect(c.transferId).not.toBeNull();
  });

  it('should charge the primary the plan price without markup', () => {
    const { classified } = classify(agencyAdmin, [call({ subAccountId: PRIMARY, tier: 'PREMIUM', durationSeconds: 60 })]);
    expect(classified.fresh[0]).toMatchObject({ priceMicros: 200_000n, markupMicros: 0n, costMicros: 200_000n, profitMicros: 0n });
  });

  it('should give a call of 0 seconds no debit', () => {
    const { classified } = classify(agencyAdmin, [call({ durationSeconds: 0 })]);
    expect(classified.fresh[0]).toMatchObject({ costMicros: 0n, transferId: null });
  });

  it("should refuse another agency's sub-account as missing, unless the caller is the platform", () => {
    expect(errorCode(classify(agencyAdmin, [call({ subAccountId: FOREIGN })]).outcomes[0])).toBe('NOT_FOUND');
    expect(classify(platform, [call({ subAccountId: FOREIGN })]).classified.fresh).toHaveLength(1);
  });

  it('should refuse an unknown sub-account and a scenario of another sub-account as missing', () => {
    const { classified, outcomes } = classify(agencyAdmin, [
      call({ subAccountId: 's0000000-0000-4000-8000-00000000ffff' }),
      call({ subAccountId: PRIMARY, scenarioId: SCENARIO }),
      call({ externalCallId: 'with-own-scenario', scenarioId: SCENARIO }),
    ]);
    expect(outcomes[0] && 'error' in outcomes[0] && outcomes[0].error.message).toBe('Sub-account not found');
    expect(outcomes[1] && 'error' in outcomes[1] && outcomes[1].error.message).toBe('Scenario not found');
    expect(classified.fresh.map((c) => c.index)).toEqual([2]);
  });

  it('should treat the same externalCallId again in one request as a repeat of the first', () => {
    const { classified } = classify(agencyAdmin, [call(), call({ externalCallId: 'call-2' }), call()]);
    expect(classified.fresh.map((c) => c.index)).toEqual([0, 1]);
    expect(classified.repeats).toEqual([expect.objectContaining({ index: 2, first: classified.fresh[0] })]);
  });

  it('should set apart calls that started at or after the removal, not those before', () => {
    const { classified } = classify(agencyAdmin, [
      call({ subAccountId: REMOVED_CLIENT, externalCallId: 'before', startedAt: new Date(REMOVED_AT.getTime() - 1) }),
      call({ subAccountId: REMOVED_CLIENT, externalCallId: 'at', startedAt: REMOVED_AT }),
    ]);
    expect(classified.fresh.map((c) => c.call.externalCallId)).toEqual(['before']);
    expect([...classified.removed].map((c) => c.call.externalCallId)).toEqual(['at']);
  });
});

describe('settleOutcomes', () => {
  const recordedAt = new Date('2026-11-20T10:05:00Z');

  it('should answer inserted calls as new, and calls recorded before as replayed or conflicting by their terms', () => {
    const same = call({ externalCallId: 'retried' });
    const changed = call({ externalCallId: 'changed', durationSeconds: 90 });
    const { classified, outcomes } = classify(agencyAdmin, [call(), same, changed]);
    const [fresh, retried, conflicting] = classified.fresh;
    const inserted = new Map([[fresh, toNewCallEntity(fresh, recordedAt)]]);
    expect(candidatesToMatch(classified, inserted)).toEqual([retried, conflicting]);
    const stored = (c: ValidCall, hash: Buffer) => ({ call: Object.assign(new CallEntity(), { id: `stored-${c.externalCallId}` }), requestSha256: hash });
    const recorded = new Map([
      [retried.key, stored(same, same.requestSha256)],
      [conflicting.key, stored(changed, call({ externalCallId: 'changed', durationSeconds: 91 }).requestSha256)],
    ]);
    settleOutcomes(classified, inserted, recorded, outcomes);
    expect(outcomes[0]).toEqual({ call: inserted.get(fresh), replayed: false });
    expect(outcomes[1]).toEqual({ call: recorded.get(retried.key)!.call, replayed: true });
    expect(errorCode(outcomes[2])).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('should refuse a call after the removal unless it was recorded before', () => {
    const late = call({ subAccountId: REMOVED_CLIENT, externalCallId: 'late', startedAt: REMOVED_AT });
    const { classified, outcomes } = classify(agencyAdmin, [late]);
    settleOutcomes(classified, new Map(), new Map(), outcomes);
    expect(errorCode(outcomes[0])).toBe('SUB_ACCOUNT_REMOVED');

    const again = classify(agencyAdmin, [late]);
    const [candidate] = again.classified.removed;
    const stored = { call: Object.assign(new CallEntity(), { id: 'recorded-before-removal' }), requestSha256: late.requestSha256 };
    settleOutcomes(again.classified, new Map(), new Map([[candidate.key, stored]]), again.outcomes);
    expect(again.outcomes[0]).toEqual({ call: stored.call, replayed: true });
  });

  it('should answer a repeat in the same request like a retry of its first occurrence', () => {
    const { classified, outcomes } = classify(agencyAdmin, [call(), call(), call({ durationSeconds: 5 })]);
    const [first] = classified.fresh;
    const inserted = new Map([[first, toNewCallEntity(first, recordedAt)]]);
    settleOutcomes(classified, inserted, new Map(), outcomes);
    expect(outcomes[1]).toEqual({ call: inserted.get(first), replayed: true });
    expect(errorCode(outcomes[2])).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('should give a repeat of a refused call the same refusal', () => {
    const late = call({ subAccountId: REMOVED_CLIENT, startedAt: REMOVED_AT });
    const { classified, outcomes } = classify(agencyAdmin, [late, late]);
    settleOutcomes(classified, new Map(), new Map(), outcomes);
    expect(errorCode(outcomes[0])).toBe('SUB_ACCOUNT_REMOVED');
    expect(outcomes[1]).toBe(outcomes[0]);
  });

  it('should fail loudly when a new call was neither inserted nor found (a broken invariant, never a silent answer)', () => {
    const { classified, outcomes } = classify(agencyAdmin, [call()]);
    expect(() => settleOutcomes(classified, new Map(), new Map(), outcomes)).toThrow('neither inserted nor found');
  });
});

describe('rollupIncrements', () => {
  it('should add up calls per sub-account, UTC day, tier and status, in key order', () => {
    const { classified } = classify(agencyAdmin, [
      call({ externalCallId: 'a', startedAt: new Date('2026-11-20T23:59:59Z'), durationSeconds: 60 }),
      call({ externalCallId: 'b', startedAt: new Date('2026-11-20T00:00:00Z'), durationSeconds: 30 }),
      call({ externalCallId: 'c', startedAt: new Date('2026-11-21T00:00:00Z'), durationSeconds: 60 }),
      call({ externalCallId: 'd', subAccountId: PRIMARY, status: 'FAILED', durationSeconds: 0 }),
    ]);
    const rows = rollupIncrements(classified.fresh);
    expect(rows.map((r) => `${r.subAccountId === PRIMARY ? 'primary' : 'client'} ${r.day} ${r.status} ${r.calls} ${r.seconds} ${r.costMicros}`)).toEqual([
      'primary 2026-11-20 FAILED 1 0 0',
      'client 2026-11-20 COMPLETED 2 90 180000',
      'client 2026-11-21 COMPLETED 1 60 120000',
    ]);
    expect(keyOf(PRIMARY, 'x') < keyOf(CLIENT, 'x')).toBe(true);
  });
});
