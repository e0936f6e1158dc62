import { randomUUID } from 'node:crypto';
import { DomainError } from '../../shared/domain-error';
import { toGlobalId } from '../../shared/global-id';
import { validCallOrThrow, type RecordCallCommand } from './call-input';

const now = new Date('2026-06-01T12:00:00.000Z');
const subUuid = randomUUID();
const scenarioUuid = randomUUID();

const call = (overrides: Partial<RecordCallCommand> = {}): RecordCallCommand => ({
  subAccountId: toGlobalId('SubAccount', subUuid),
  externalCallId: 'call-1',
  scenarioId: null,
  tier: 'PREMIUM',
  status: 'COMPLETED',
  startedAt: new Date('2026-06-01T11:00:00.000Z'),
  durationSeconds: 90,
  ...overrides,
});

function failure(input: RecordCallCommand): { code: string; field?: string[] } {
  try {
    validCallOrThrow(input, now);
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, field: error.field };
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('validCallOrThrow', () => {
  it('should decode the ids and keep the terms', () => {
    const valid = validCallOrThrow(call({ scenarioId: toGlobalId('Scenario', scenarioUuid) }), now);
    expect(valid).toMatchObject({ subAccountId: subUuid, scenarioId: scenarioUuid, externalCallId: 'call-1', durationSeconds: 90 });
  });

  it.each<[string, Partial<RecordCallCommand>]>([
    ['0 seconds (an unanswered call)', { durationSeconds: 0 }],
    ['24 hours exactly', { durationSeconds: 86_400, startedAt: new Date('2026-05-31T11:00:00.000Z') }],
    ['a call ending within the 5 minutes of clock skew', { startedAt: new Date('2026-06-01T12:03:00.000Z'), durationSeconds: 120 }],
    ['an id of 200 visible characters', { externalCallId: 'x'.repeat(199) + '~' }],
    ['an id with punctuation', { externalCallId: 'CA0f3e:campaign/7#call-9' }],
    ['a start on 2000-01-01', { startedAt: new Date('2000-01-01T00:00:00.000Z') }],
  ])('should accept %s', (_name, overrides) => {
    expect(() => validCallOrThrow(call(overrides), now)).not.toThrow();
  });

  it.each<[string, Partial<RecordCallCommand>, string, string[]]>([
    ['a sub-account id of another type', { subAccountId: toGlobalId('Agency', subUuid) }, 'NOT_FOUND', ['subAccountId']],
    ['a sub-account id that is not a global id', { subAccountId: 'garbage' }, 'NOT_FOUND', ['subAccountId']],
    ['a scenario id of another type', { scenarioId: toGlobalId('Call', scenarioUuid) }, 'NOT_FOUND', ['scenarioId']],
    ['an empty externalCallId', { externalCallId: '' }, 'INVALID_EXTERNAL_CALL_ID', ['externalCallId']],
    ['an externalCallId with a space', { externalCallId: 'call 1' }, 'INVALID_EXTERNAL_CALL_ID', ['externalCallId']],
    ['an externalCallId with a control character', { externalCallId: 'call\u00001' }, 'INVALID_EXTERNAL_CALL_ID', ['externalCallId']],
    ['an externalCallId of 201 characters', { externalCallId: 'x'.repeat(201) }, 'INVALID_EXTERNAL_CALL_ID', ['externalCallId']],
    ['a non-ASCII externalCallId', { externalCallId: 'appel-é' }, 'INVALID_EXTERNAL_CALL_ID', ['externalCallId']],
    ['a negative duration', { durationSeconds: -1 }, 'INVALID_DURATION', ['durationSeconds']],
    ['a duration over 24 hours', { durationSeconds: 86_401 }, 'INVALID_DURATION', ['durationSeconds']],
    ['a fractional duration', { durationSeconds: 1.5 }, 'INVALID_DURATION', ['durationSeconds']],
    ['an unknown tier', { tier: 'GOLD' as never }, 'INVALID_INPUT', ['tier']],
    ['an unknown status', { status: 'RINGING' as never }, 'INVALID_INPUT', ['status']],
    ['a start before 2000', { startedAt: new Date('1970-01-01T00:00:00.000Z') }, 'INVALID_DATE', ['startedAt']],
    ['an invalid date', { startedAt: new Date('nope') }, 'INVALID_DATE', ['startedAt']],
    ['a call that has not ended yet', { startedAt: new Date('2026-06-01T11:59:00.000Z'), durationSeconds: 600 }, 'INVALID_DATE', ['startedAt']],
    ['a call starting tomorrow', { startedAt: new Date('2026-06-02T12:00:00.000Z'), durationSeconds: 0 }, 'INVALID_DATE', ['startedAt']],
  ])('should refuse %s', (_name, overrides, code, field) => {
    expect(failure(call(overrides))).toEqual({ code, field });
  });

  it('should hash the terms: any change of a term changes the hash, nothing else does', () => {
    const base = validCallOrThrow(call(), now).requestSha256;
    expect(validCallOrThrow(call(), new Date('2026-06-02T00:00:00.000Z')).requestSha256.equals(base)).toBe(true);
    for (const overrides of [
      { durationSeconds: 91 },
      { status: 'VOICEMAIL' as const },
      { tier: 'BASIC' as const },
      { startedAt: new Date('2026-06-01T11:00:00.001Z') },
      { scenarioId: toGlobalId('Scenario', scenarioUuid) },
      { externalCallId: 'call-2' },
    ]) {
      expect(validCallOrThrow(call(overrides), now).requestSha256.equals(base)).toBe(false);
    }
  });
});
