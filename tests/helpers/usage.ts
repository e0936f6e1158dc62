import { randomBytes } from 'node:crypto';
import { ok, type GraphQLResponse, type TestApp } from './test-app';

/** Helpers of the usage and reporting specs: pushing calls and reading figures through GraphQL. */

export interface CallInput {
  subAccountId: string;
  externalCallId?: string;
  scenarioId?: string | null;
  tier?: 'BASIC' | 'PREMIUM';
  status?: 'COMPLETED' | 'NO_ANSWER' | 'BUSY' | 'FAILED' | 'VOICEMAIL' | 'CANCELED';
  startedAt?: string;
  durationSeconds?: number;
}

/** A unique external call id. */
export const callId = (label = 'call') => `${label}-${randomBytes(6).toString('hex')}`;

/** An instant `minutesAgo` minutes before now, at millisecond precision. */
export const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

export function callInput(input: CallInput): Required<Omit<CallInput, 'scenarioId'>> & { scenarioId?: string | null } {
  return {
    externalCallId: callId(),
    tier: 'PREMIUM',
    status: 'COMPLETED',
    startedAt: ago(60),
    durationSeconds: 60,
    ...input,
  };
}

export const CALL_FIELDS = `id externalCallId tier status startedAt durationSeconds recordedAt cost { amount } minutePrice { amount }`;

export const RECORD = `mutation($input: RecordCallUsageInput!) {
  recordCallUsage(input: $input) {
    call { ${CALL_FIELDS} }
    wallet { id balance { amount } }
    userErrors { code message field }
  }
}`;

/** recordCallUsage reading only what a USAGE_INGEST key may read: the call's terms (no cost or price, no wallet). */
export const INGEST_RECORD = `mutation($input: RecordCallUsageInput!) {
  recordCallUsage(input: $input) {
    call { id externalCallId tier status startedAt durationSeconds recordedAt }
    userErrors { code message field }
  }
}`;

export const RECORD_BATCH = `mutation($inputs: [RecordCallUsageInput!]!) {
  recordCallUsageBatch(inputs: $inputs) {
    calls { ${CALL_FIELDS} }
    userErrors { code message field }
  }
}`;

export function recordCall(app: TestApp, input: CallInput, token?: string): Promise<GraphQLResponse> {
  return app.gql(RECORD, { input: callInput(input) }, token);
}

/** Records calls in batches of up to 1,000; fails the test on any error. */
export async function recordCalls(app: TestApp, inputs: CallInput[], token?: string): Promise<void> {
  for (let i = 0; i < inputs.length; i += 1000) {
    const data = ok(await app.gql(RECORD_BATCH, { inputs: inputs.slice(i, i + 1000).map(callInput) }, token));
    if (data.recordCallUsageBatch.userErrors.length) throw new Error(JSON.stringify(data.recordCallUsageBatch.userErrors.slice(0, 3)));
  }
}

export const SUMMARY_FIELDS = `from to totalMinutes minutesByTier { tier minutes callCount } callCount
  callsByStatus { status count } spent { amount } profit { amount }`;

export async function usageOf(app: TestApp, subAccountId: string, range?: { from: string; to: string }, token?: string) {
  const data = ok(
    await app.gql(
      `query($id: ID!, $range: DateRangeInput) { subAccount(id: $id) { usage(range: $range) { ${SUMMARY_FIELDS} } } }`,
      { id: subAccountId, range: range ?? null },
      token,
    ),
  );
  return data.subAccount.usage;
}

export async function balanceOf(app: TestApp, subAccountId: string): Promise<string> {
  const data = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { balance { amount } } } }`, { id: subAccountId }));
  return data.subAccount.wallet.balance.amount;
}

export async function fund(app: TestApp, subAccountId: string, amount: string): Promise<void> {
  const data = ok(
    await app.gql(
      `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code message } } }`,
      { input: { subAccountId, amount, reason: 'usage test funding', idempotencyKey: callId('fund') } },
    ),
  );
  if (data.adjustWalletBalance.userErrors.length) throw new Error(JSON.stringify(data.adjustWalletBalance.userErrors));
}

export async function setAgencyMarkup(app: TestApp, agencyId: string, basic: string, premium: string): Promise<void> {
  const data = ok(
    await app.gql(
      `mutation($input: SetAgencyMarkupInput!) { setAgencyMarkup(input: $input) { userErrors { code message } } }`,
      { input: { agencyId, basic, premium } },
    ),
  );
  if (data.setAgencyMarkup.userErrors.length) throw new Error(JSON.stringify(data.setAgencyMarkup.userErrors));
}

export async function createScenario(app: TestApp, subAccountId: string, name: string, token?: string): Promise<GraphQLResponse> {
  return app.gql(
    `mutation($input: CreateScenarioInput!) {
      createScenario(input: $input) { scenario { id name createdAt } userErrors { code message field } }
    }`,
    { input: { subAccountId, name } },
    token,
  );
}

/** Dollars as micro-dollars, for exact arithmetic in assertions. */
export function micros(amount: string): bigint {
  const negative = amount.startsWith('-');
  const [whole, fraction = ''] = amount.replace('-', '').split('.');
  const value = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return negative ? -value : value;
}
