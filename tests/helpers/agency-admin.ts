import { randomBytes } from 'node:crypto';
import { ok, type TestApp } from './test-app';
import { rawId, uniqueEmail } from './fixtures';

/** What an agency admin does through the GraphQL API, each call answering its userErrors' codes. */
export interface AgencyAdminOps {
  changePlan(planCode: string): Promise<string[]>;
  setMarkup(basic: string, premium: string): Promise<string[]>;
  /** The new sub-account's id, or the refusal's codes. */
  add(extra?: Record<string, unknown>): Promise<{ id: string | null; codes: string[] }>;
  setSubAccountMarkup(id: string, premium: string | null): Promise<string[]>;
  remove(id: string): Promise<string[]>;
  restore(id: string): Promise<string[]>;
  transfer(fromId: string, toId: string, minutes: string): Promise<string[]>;
}

const codes = (payload: { userErrors: Array<{ code: string }> }) => payload.userErrors.map((e) => e.code);

export function agencyAdmin(app: TestApp, agencyId: string, token: string): AgencyAdminOps {
  const run = async (query: string, variables: Record<string, unknown>) => Object.values(ok(await app.gql(query, variables, token)))[0] as any;
  return {
    async changePlan(planCode) {
      return codes(await run(
        `mutation($input: ChangeAgencyPlanInput!) { changeAgencyPlan(input: $input) { agency { id } userErrors { code } } }`,
        { input: { agencyId, planCode } },
      ));
    },
    async setMarkup(basic, premium) {
      return codes(await run(
        `mutation($input: SetAgencyMarkupInput!) { setAgencyMarkup(input: $input) { agency { id } userErrors { code } } }`,
        { input: { agencyId, basic, premium } },
      ));
    },
    async add(extra = {}) {
      const payload = await run(
        `mutation($input: AddSubAccountInput!) { addSubAccount(input: $input) { subAccount { id } userErrors { code } } }`,
        { input: { agencyId, name: 'Client ' + randomBytes(3).toString('hex'), loginEmail: uniqueEmail('client'), ...extra } },
      );
      return { id: payload.subAccount?.id ?? null, codes: codes(payload) };
    },
    async setSubAccountMarkup(id, premium) {
      return codes(await run(
        `mutation($input: UpdateSubAccountInput!) { updateSubAccount(input: $input) { subAccount { id } userErrors { code } } }`,
        { input: { id, markupPremium: premium } },
      ));
    },
    async remove(id) {
      return codes(await run(
        `mutation($input: RemoveSubAccountInput!) { removeSubAccount(input: $input) { removedSubAccountId userErrors { code } } }`,
        { input: { id } },
      ));
    },
    async restore(id) {
      return codes(await run(
        `mutation($input: RestoreSubAccountInput!) { restoreSubAccount(input: $input) { subAccount { id } userErrors { code } } }`,
        { input: { id } },
      ));
    },
    async transfer(fromId, toId, minutes) {
      return codes(await run(
        `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code } } }`,
        {
          input: {
            fromSubAccountId: fromId, toSubAccountId: toId, tier: 'PREMIUM', minutes,
            idempotencyKey: 'farm-' + randomBytes(8).toString('hex'),
          },
        },
      ));
    },
  };
}

/**
 * Everything the agency holds, in micro-dollars: the balances of all its wallets (removed
 * sub-accounts' too, so a sweep to the primary moves money inside the total) and its profit.
 */
export async function agencyMoneyMicros(app: TestApp, agencyId: string): Promise<bigint> {
  const [{ total }] = await app.dataSource.query(
    `SELECT coalesce(sum(balance_micros), 0)::text AS total FROM ledger_accounts WHERE agency_id = $1`,
    [rawId(agencyId)],
  );
  return BigInt(total);
}
