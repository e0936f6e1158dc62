import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { requestHash } from '../ledger/ledger.service';
import { MINUTE_TIERS, type MinuteTier } from '../pricing/pricing';
import { CALL_STATUSES, type CallStatus } from './call.entity';

/** One call as the voice platform pushes it (ids are global ids). */
export interface RecordCallCommand {
  subAccountId: string;
  externalCallId: string;
  scenarioId?: string | null;
  tier: MinuteTier;
  status: CallStatus;
  startedAt: Date;
  durationSeconds: number;
}

/** A call whose fields are well-formed; whether its sub-account and scenario are the caller's is checked later. */
export interface ValidCall {
  subAccountId: string;
  externalCallId: string;
  scenarioId: string | null;
  tier: MinuteTier;
  status: CallStatus;
  startedAt: Date;
  durationSeconds: number;
  /** Hash of the terms above: the same externalCallId with other terms is an IDEMPOTENCY_CONFLICT. */
  requestSha256: Buffer;
}

/** Calls last at most 24 hours. */
export const MAX_CALL_SECONDS = 86_400;
/** How far the platform's clock may run ahead of ours: a call must have ended before now + 5 minutes. */
export const CLOCK_SKEW_MS = 5 * 60_000;
/** No voice AI call started before 2000; an earlier start is a broken timestamp (often epoch 0). */
export const EARLIEST_CALL_START = new Date('2000-01-01T00:00:00.000Z');
/** Most calls in one recordCallUsageBatch request. */
export const MAX_CALLS_PER_BATCH = 1_000;

/** Visible ASCII, no spaces: platform call ids (UUIDs, SIDs, "campaign:123/call-9") fit, nothing ambiguous does. */
const EXTERNAL_CALL_ID = /^[\x21-\x7e]{1,200}$/;

/** Checks one pushed call's fields, or throws a DomainError whose field is relative to the call. */
export function validCallOrThrow(input: RecordCallCommand, now: Date): ValidCall {
  const subAccountId = decodeId(input.subAccountId, 'SubAccount');
  if (!subAccountId) throw notFound('Sub-account', ['subAccountId']);
  if (typeof input.externalCallId !== 'string' || !EXTERNAL_CALL_ID.test(input.externalCallId)) {
    throw new DomainError(
      ErrorCode.INVALID_EXTERNAL_CALL_ID,
      'An externalCallId has 1 to 200 visible ASCII characters and no spaces',
      ['externalCallId'],
    );
  }
  let scenarioId: string | null = null;
  if (input.scenarioId !== undefined && input.scenarioId !== null) {
    scenarioId = decodeId(input.scenarioId, 'Scenario') ?? null;
    if (!scenarioId) throw notFound('Scenario', ['scenarioId']);
  }
  if (!MINUTE_TIERS.includes(input.tier)) throw new DomainError(ErrorCode.INVALID_INPUT, 'Unknown tier', ['tier']);
  if (!CALL_STATUSES.includes(input.status)) throw new DomainError(ErrorCode.INVALID_INPUT, 'Unknown call status', ['status']);
  const seconds = input.durationSeconds;
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_CALL_SECONDS) {
    throw new DomainError(ErrorCode.INVALID_DURATION, 'durationSeconds is a whole number from 0 to 86,400 (24 hours)', [
      'durationSeconds',
    ]);
  }
  const started = input.startedAt instanceof Date ? input.startedAt.getTime() : NaN;
  if (Number.isNaN(started) || started < EARLIEST_CALL_START.getTime()) {
    throw new DomainError(ErrorCode.INVALID_DATE, 'startedAt must be a real instant, not before 2000', ['startedAt']);
  }
  if (started + seconds * 1000 > now.getTime() + CLOCK_SKEW_MS) {
    throw new DomainError(ErrorCode.INVALID_DATE, 'The call ends in the future: only finished calls are recorded', ['startedAt']);
  }
  const startedAt = new Date(started);
  return {
    subAccountId,
    externalCallId: input.externalCallId,
    scenarioId,
    tier: input.tier,
    status: input.status,
    startedAt,
    durationSeconds: seconds,
    requestSha256: requestHash('CALL', [
      subAccountId, input.externalCallId, scenarioId, input.tier, input.status, startedAt.toISOString(), seconds,
    ]),
  };
}
