import { randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, ok, errorCode, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, uniqueEmail } from './helpers/fixtures';
import { toGlobalId, type NodeType } from '../src/shared/global-id';
import { getNamedType, isInputObjectType, isObjectType, type GraphQLInputType, type GraphQLInterfaceType } from 'graphql';
import { createSchema } from '../src/graphql/schema';
import { domainTables } from './helpers/db-digest';
import { wsClient, subscribe, sleep } from './helpers/ws';

/**
 * The tenancy policy as one table: every query and mutation field that takes an id ×
 * every kind of caller × own, sibling and foreign ids.
 *
 * World: agency A (sub-accounts Ap = primary, A1, A2) and agency B (Bp = primary, B1).
 * Callers: the platform admin, the agency A admin, the client admin of A1, the agency B
 * admin and the usage-ingest key of A.
 *
 * Outcomes:
 *   data       the object comes back                      (queries)
 *   null       null, no error: it does not exist for you  (queries)
 *   ok         the change is made                         (mutations)
 *   NOT_FOUND  a userError: it does not exist for you     (mutations)
 *   FORBIDDEN  the role may never do this, whatever the id
 *
 * Every case whose answer is null or NOT_FOUND, and every foreign or sibling id, must get
 * byte-for-byte the response of a random well-formed id that does not exist, and every
 * refused mutation must leave every table of the database exactly as it was.
 */

type Caller = 'platform' | 'agencyA' | 'clientA1' | 'agencyB' | 'usageA';
type AgencyTarget = 'A' | 'B';
type SubAccountTarget = 'Ap' | 'A1' | 'A2' | 'Bp' | 'B1';
type KeyTarget = 'keyA' | 'keyA1' | 'keyB' | 'keyPlatform';
type Target = AgencyTarget | SubAccountTarget | KeyTarget;
type Outcome = 'data' | 'null' | 'ok' | 'NOT_FOUND' | 'FORBIDDEN' | 'PRIMARY_NOT_REMOVABLE' | 'NOT_REMOVED';
type Grid<T extends Target> = Record<Caller, Record<T, Outcome>>;

const CALLERS: Record<Caller, string> = {
  platform: 'the platform admin',
  agencyA: 'the agency A admin',
  clientA1: 'the client admin of A1',
  agencyB: 'the agency B admin',
  usageA: 'the usage key of A',
};

// ---------------------------------------------------------------------------------------
// The policy. Columns are ids; rows are callers.
// ---------------------------------------------------------------------------------------

/** agency(id), node(id) of an Agency: an agency reads itself, a client admin its own agency's name and plan. */
const READ_AGENCY: Grid<AgencyTarget> = {
  platform: /*  */ { A: 'data', /*      */ B: 'data' },
  agencyA: /*   */ { A: 'data', /*      */ B: 'null' },
  clientA1: /*  */ { A: 'data', /*      */ B: 'null' },
  agencyB: /*   */ { A: 'null', /*      */ B: 'data' },
  usageA: /*    */ { A: 'FORBIDDEN', /* */ B: 'FORBIDDEN' },
};

/** Agency.subAccounts, primarySubAccount, subAccountSlotsRemaining, defaultMarkup: agency-wide data. */
const AGENCY_WIDE: Grid<AgencyTarget> = {
  platform: /*  */ { A: 'data', /*      */ B: 'data' },
  agencyA: /*   */ { A: 'data', /*      */ B: 'null' },
  clientA1: /*  */ { A: 'FORBIDDEN', /* */ B: 'null' },
  agencyB: /*   */ { A: 'null', /*      */ B: 'data' },
  usageA: /*    */ { A: 'FORBIDDEN', /* */ B: 'FORBIDDEN' },
};

/** changeAgencyPlan, setAgencyMarkup, addSubAccount, createApiKey(agencyId). */
const MANAGE_AGENCY: Grid<AgencyTarget> = {
  platform: /*  */ { A: 'ok', /*        */ B: 'ok' },
  agencyA: /*   */ { A: 'ok', /*        */ B: 'NOT_FOUND' },
  clientA1: /*  */ { A: 'FORBIDDEN', /* */ B: 'FORBIDDEN' },
  agencyB: /*   */ { A: 'NOT_FOUND', /* */ B: 'ok' },
  usageA: /*    */ { A: 'FORBIDDEN', /* */ B: 'FORBIDDEN' },
};

/** subAccount(id), node(id) of a SubAccount or of its Wallet: a client admin sees only its own. */
const READ_SUB_ACCOUNT: Grid<SubAccountTarget> = {
  platform: /*  */ { Ap: 'data', /*      */ A1: 'data', /*      */ A2: 'data', /*      */ Bp: 'data', /*      */ B1: 'data' },
  agencyA: /*   */ { Ap: 'data', /*      */ A1: 'data', /*      */ A2: 'data', /*      */ Bp: 'null', /*      */ B1: 'null' },
  clientA1: /*  */ { Ap: 'null', /*      */ A1: 'data', /*      */ A2: 'null', /*      */ Bp: 'null', /*      */ B1: 'null' },
  agencyB: /*   */ { Ap: 'null', /*      */ A1: 'null', /*      */ A2: 'null', /*      */ Bp: 'data', /*      */ B1: 'data' },
  usageA: /*    */ { Ap: 'FORBIDDEN', /* */ A1: 'FORBIDDEN', /* */ A2: 'FORBIDDEN', /* */ Bp: 'FORBIDDEN', /* */ B1: 'FORBIDDEN' },
};

/** updateSubAccount, createApiKey(subAccountId) of a CLIENT_ADMIN key. */
const MANAGE_SUB_ACCOUNT: Grid<SubAccountTarget> = {
  platform: /*  */ { Ap: 'ok', /*        */ A1: 'ok', /*        */ A2: 'ok', /*        */ Bp: 'ok', /*        */ B1: 'ok' },
  agencyA: /*   */ { Ap: 'ok', /*        */ A1: 'ok', /*        */ A2: 'ok', /*        */ Bp: 'NOT_FOUND', /* */ B1: 'NOT_FOUND' },
  clientA1: /*  */ { Ap: 'FORBIDDEN', /* */ A1: 'FORBIDDEN', /* */ A2: 'FORBIDDEN', /* */ Bp: 'FORBIDDEN', /* */ B1: 'FORBIDDEN' },
  agencyB: /*   */ { Ap: 'NOT_FOUND', /* */ A1: 'NOT_FOUND', /* */ A2: 'NOT_FOUND', /* */ Bp: 'ok', /*        */ B1: 'ok' },
  usageA: /*    */ { Ap: 'FORBIDDEN', /* */ A1: 'FORBIDDEN', /* */ A2: 'FORBIDDEN', /* */ Bp: 'FORBIDDEN', /* */ B1: 'FORBIDDEN' },
};

/** removeSubAccount: a foreign primary is NOT_FOUND, never PRIMARY_NOT_REMOVABLE (that would confirm it exists). */
const REMOVE_SUB_ACCOUNT: Grid<SubAccountTarget> = {
  platform: /*  */ { Ap: 'PRIMARY_NOT_REMOVABLE', A1: 'ok', /*        */ A2: 'ok', /*        */ Bp: 'PRIMARY_NOT_REMOVABLE', B1: 'ok' },
  agencyA: /*   */ { Ap: 'PRIMARY_NOT_REMOVABLE', A1: 'ok', /*        */ A2: 'ok', /*        */ Bp: 'NOT_FOUND', /*          */ B1: 'NOT_FOUND' },
  clientA1: /*  */ { Ap: 'FORBIDDEN', /*      */ A1: 'FORBIDDEN', /* */ A2: 'FORBIDDEN', /* */ Bp: 'FORBIDDEN', /*          */ B1: 'FORBIDDEN' },
  agencyB: /*   */ { Ap: 'NOT_FOUND', /*      */ A1: 'NOT_FOUND', /* */ A2: 'NOT_FOUND', /* */ Bp: 'PRIMARY_NOT_REMOVABLE', B1: 'ok' },
  usageA: /*    */ { Ap: 'FORBIDDEN', /*      */ A1: 'FORBIDDEN', /* */ A2: 'FORBIDDEN', /* */ Bp: 'FORBIDDEN', /*          */ B1: 'FORBIDDEN' },
};

/** restoreSubAccount of a removed secondary (a primary is never removed: NOT_REMOVED, or NOT_FOUND when foreign). */
const RESTORE_SUB_ACCOUNT: Grid<SubAccountTarget> = {
  platform: /*  */ { Ap: 'NOT_REMOVED', /*    */ A1: 'ok', /*        */ A2: 'ok', /*        */ Bp: 'NOT_REMOVED', /*  */ B1: 'ok' },
  agencyA: /*   */ { Ap: 'NOT_REMOVED', /*    */ A1: 'ok', /*        */ A2: 'ok', /*        */ Bp: 'NOT_FOUND', /*    */ B1: 'NOT_FOUND' },
  clientA1: /*  */ { Ap: 'FORBIDDEN', /*      */ A1: 'FORBIDDEN', /* */ A2: 'FORBIDDEN', /* */ Bp: 'FORBIDDEN', /*    */ B1: 'FORBIDDEN' },
  agencyB: /*   */ { Ap: 'NOT_FOUND', /*      */ A1: 'NOT_FOUND', /* */ A2: 'NOT_FOUND', /* */ Bp: 'NOT_REMOVED', /*  */ B1: 'ok' },
  usageA: /*    */ { Ap: 'FORBIDDEN', /*      */ A1: 'FORBIDDEN', /* */ A2: 'FORBIDDEN', /* */ Bp: 'FORBIDDEN', /*    */ B1: 'FORBIDDEN' },
};

/**
 * node(id) of an ApiKey. keyA: an agency admin key of A; keyA1: the client admin key of A1;
 * keyB: an agency admin key of B; keyPlatform: a platform admin key. A client admin sees no key,
 * not even its own; a platform key is visible to the platform only.
 */
const READ_API_KEY: Grid<KeyTarget> = {
  platform: /*  */ { keyA: 'data', /*      */ keyA1: 'data', /*      */ keyB: 'data', /*      */ keyPlatform: 'data' },
  agencyA: /*   */ { keyA: 'data', /*      */ keyA1: 'data', /*      */ keyB: 'null', /*      */ keyPlatform: 'null' },
  clientA1: /*  */ { keyA: 'null', /*      */ keyA1: 'null', /*      */ keyB: 'null', /*      */ keyPlatform: 'null' },
  agencyB: /*   */ { keyA: 'null', /*      */ keyA1: 'null', /*      */ keyB: 'data', /*      */ keyPlatform: 'null' },
  usageA: /*    */ { keyA: 'FORBIDDEN', /* */ keyA1: 'FORBIDDEN', /* */ keyB: 'FORBIDDEN', /* */ keyPlatform: 'FORBIDDEN' },
};

/** revokeApiKey of a fresh key of each kind. A client admin may not revoke even its own key. */
const REVOKE_API_KEY: Grid<KeyTarget> = {
  platform: /*  */ { keyA: 'ok', /*        */ keyA1: 'ok', /*        */ keyB: 'ok', /*        */ keyPlatform: 'ok' },
  agencyA: /*   */ { keyA: 'ok', /*        */ keyA1: 'ok', /*        */ keyB: 'NOT_FOUND', /* */ keyPlatform: 'NOT_FOUND' },
  clientA1: /*  */ { keyA: 'FORBIDDEN', /* */ keyA1: 'FORBIDDEN', /* */ keyB: 'FORBIDDEN', /* */ keyPlatform: 'FORBIDDEN' },
  agencyB: /*   */ { keyA: 'NOT_FOUND', /* */ keyA1: 'NOT_FOUND', /* */ keyB: 'ok', /*        */ keyPlatform: 'NOT_FOUND' },
  usageA: /*    */ { keyA: 'FORBIDDEN', /* */ keyA1: 'FORBIDDEN', /* */ keyB: 'FORBIDDEN', /* */ keyPlatform: 'FORBIDDEN' },
};

// ---------------------------------------------------------------------------------------
// The fields. Each says how to call it with an id and where its answer is.
// ---------------------------------------------------------------------------------------

interface Operation {
  query: string;
  variables: Record<string, unknown>;
}

interface FieldUnderTest<T extends Target> {
  /** The field as the test names call it. */
  name: string;
  kind: 'query' | 'mutation';
  /** Type of the id it takes: the nonexistent id to compare with is of this type. */
  idType: NodeType;
  grid: Grid<T>;
  call(id: string): Operation;
  /** The answer inside `data`: the object for a query, the payload for a mutation. */
  answer(data: any): any;
  /** The payload field holding the changed object (mutations). */
  entity?: string;
  /**
   * A nullable field guarded on its own: FORBIDDEN nulls just that field (GraphQL keeps the
   * parent), so the check is that it carries no value.
   */
  guarded?: string;
  /** Checks a successful answer against the id it was given. */
  verify(answer: any, id: string): void;
  /** Makes the id to act on, as platform admin (default: the world's id of that target). */
  prepare?(target: T): Promise<string>;
  /** Puts the world back after the case, as platform admin. */
  cleanup?(target: T, id: string): Promise<void>;
}

const sameId = (answer: any, id: string) => expect(answer.id).toBe(id);

/** Every error carries its own request's id; comparisons of two answers leave it out. */
function withoutRequestIds(response: GraphQLResponse): GraphQLResponse {
  const errors = response.errors?.map((error: any) => {
    const { requestId: _requestId, ...extensions } = error.extensions ?? {};
    return { ...error, extensions };
  });
  return { ...response, errors } as GraphQLResponse;
}

describe('the tenancy matrix', () => {
  let app: TestApp;
  const tokens = {} as Record<Caller, string>;
  const ids = {
    Agency: {} as Record<AgencyTarget, string>,
    SubAccount: {} as Record<SubAccountTarget, string>,
    Wallet: {} as Record<SubAccountTarget, string>,
    ApiKey: {} as Record<KeyTarget, string>,
  };
  let tables: string[] = [];

  async function createKey(input: { role: string; agencyId?: string; subAccountId?: string }): Promise<{ id: string; secret: string }> {
    const payload = ok(
      await app.gql(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id } userErrors { code } } }`,
        { input: { name: `${input.role} key`, ...input } },
      ),
    ).createApiKey;
    expect(payload.userErrors).toEqual([]);
    return { id: payload.apiKey.id, secret: payload.secret };
  }

  /** A fresh key of the kind each key target stands for. */
  function keyInputOf(target: KeyTarget) {
    switch (target) {
      case 'keyA':
        return { role: 'AGENCY_ADMIN', agencyId: ids.Agency.A };
      case 'keyA1':
        return { role: 'CLIENT_ADMIN', subAccountId: ids.SubAccount.A1 };
      case 'keyB':
        return { role: 'AGENCY_ADMIN', agencyId: ids.Agency.B };
      case 'keyPlatform':
        return { role: 'PLATFORM_ADMIN' };
    }
  }

  /** Every row of every table (but the migrations log), to prove a refused mutation changed nothing. */
  async function snapshot(): Promise<unknown> {
    const parts = tables.map((t) => `'${t}', (SELECT coalesce(json_agg(x ORDER BY x::text), '[]') FROM "${t}" x)`);
    const [{ snapshot }] = await app.dataSource.query(`SELECT json_build_object(${parts.join(', ')}) AS snapshot`);
    return snapshot;
  }

  async function statusOf(subAccountId: string): Promise<string> {
    return ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { status } }`, { id: subAccountId })).subAccount.status;
  }

  async function restoreIfRemoved(subAccountId: string): Promise<void> {
    if ((await statusOf(subAccountId)) !== 'REMOVED') return;
    const payload = ok(
      await app.gql(`mutation($id: ID!) { restoreSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: subAccountId }),
    ).restoreSubAccount;
    expect(payload.userErrors).toEqual([]);
  }

  async function removeIfActive(subAccountId: string): Promise<void> {
    if ((await statusOf(subAccountId)) !== 'ACTIVE') return;
    ok(await app.gql(`mutation($id: ID!) { removeSubAccount(input: { id: $id }) { userErrors { code } } }`, { id: subAccountId }));
  }

  const isPrimary = (target: SubAccountTarget) => target === 'Ap' || target === 'Bp';

  beforeAll(async () => {
    app = await startTestApp();
    const a = await createAgency(app, { name: 'Agency A' });
    const b = await createAgency(app, { name: 'Agency B' });
    ids.Agency = { A: a.agencyId, B: b.agencyId };
    ids.SubAccount = {
      Ap: a.primaryId,
      A1: await addSubAccount(app, a.agencyId, { name: 'A1' }),
      A2: await addSubAccount(app, a.agencyId, { name: 'A2' }),
      Bp: b.primaryId,
      B1: await addSubAccount(app, b.agencyId, { name: 'B1' }),
    };
    for (const [target, id] of Object.entries(ids.SubAccount) as Array<[SubAccountTarget, string]>) {
      ids.Wallet[target] = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { id } } }`, { id })).subAccount.wallet.id;
    }
    const agencyAKey = await createKey(keyInputOf('keyA'));
    const clientKey = await createKey(keyInputOf('keyA1'));
    const agencyBKey = await createKey(keyInputOf('keyB'));
    const platformKey = await createKey(keyInputOf('keyPlatform'));
    const usageKey = await createKey({ role: 'USAGE_INGEST', agencyId: ids.Agency.A });
    ids.ApiKey = { keyA: agencyAKey.id, keyA1: clientKey.id, keyB: agencyBKey.id, keyPlatform: platformKey.id };
    Object.assign(tokens, {
      platform: app.platformKey,
      agencyA: agencyAKey.secret,
      clientA1: clientKey.secret,
      agencyB: agencyBKey.secret,
      usageA: usageKey.secret,
    });
    const rows: Array<{ table_name: string }> = await app.dataSource.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'migrations' ORDER BY table_name`,
    );
    tables = rows.map((r) => r.table_name);
  });
  afterAll(() => app.close());

  let counter = 0;

  const agencyWideField = (name: string, selection: string): FieldUnderTest<AgencyTarget> => ({
    name: `Agency.${name}`,
    kind: 'query',
    idType: 'Agency',
    grid: AGENCY_WIDE,
    call: (id) => ({ query: `query($id: ID!) { agency(id: $id) { id ${selection} } }`, variables: { id } }),
    answer: (data) => data?.agency,
    guarded: name,
    verify: (answer, id) => {
      sameId(answer, id);
      expect(answer).toHaveProperty(name);
    },
  });

  const FIELDS: Array<FieldUnderTest<any>> = [
    {
      name: 'node(id) of an Agency',
      kind: 'query',
      idType: 'Agency',
      grid: READ_AGENCY,
      call: (id) => ({ query: `query($id: ID!) { node(id: $id) { id ... on Agency { name } } }`, variables: { id } }),
      answer: (data) => data?.node,
      verify: sameId,
    } satisfies FieldUnderTest<AgencyTarget>,
    {
      name: 'agency(id)',
      kind: 'query',
      idType: 'Agency',
      grid: READ_AGENCY,
      call: (id) => ({ query: `query($id: ID!) { agency(id: $id) { id name plan { code } planRenewsAt } }`, variables: { id } }),
      answer: (data) => data?.agency,
      verify: (answer, id) => {
        sameId(answer, id);
        expect(answer.plan.code).toEqual(expect.any(String));
      },
    } satisfies FieldUnderTest<AgencyTarget>,
    agencyWideField('subAccounts', 'subAccounts(first: 100) { totalCount edges { node { id } } }'),
    agencyWideField('primarySubAccount', 'primarySubAccount { id }'),
    agencyWideField('subAccountSlotsRemaining', 'subAccountSlotsRemaining'),
    agencyWideField('defaultMarkup', 'defaultMarkup(tier: PREMIUM) { amount }'),
    agencyWideField('health', 'health { healthy watch atRisk }'),
    agencyWideField('subAccountsAtRisk', 'subAccountsAtRisk(first: 100, minLevel: HEALTHY) { totalCount edges { node { id health { level } } } }'),
    {
      name: 'node(id) of a SubAccount',
      kind: 'query',
      idType: 'SubAccount',
      grid: READ_SUB_ACCOUNT,
      call: (id) => ({ query: `query($id: ID!) { node(id: $id) { id ... on SubAccount { name kind } } }`, variables: { id } }),
      answer: (data) => data?.node,
      verify: sameId,
    } satisfies FieldUnderTest<SubAccountTarget>,
    {
      name: 'subAccount(id)',
      kind: 'query',
      idType: 'SubAccount',
      grid: READ_SUB_ACCOUNT,
      call: (id) => ({
        query: `query($id: ID!) { subAccount(id: $id) { id name markup(tier: BASIC) { amount } wallet { id balance { amount } } } }`,
        variables: { id },
      }),
      answer: (data) => data?.subAccount,
      verify: sameId,
    } satisfies FieldUnderTest<SubAccountTarget>,
    {
      name: 'node(id) of a Wallet',
      kind: 'query',
      idType: 'Wallet',
      grid: READ_SUB_ACCOUNT,
      prepare: async (target) => ids.Wallet[target],
      call: (id) => ({
        query: `query($id: ID!) { node(id: $id) { id ... on Wallet { balance { amount } subAccount { id } } } }`,
        variables: { id },
      }),
      answer: (data) => data?.node,
      verify: sameId,
    } satisfies FieldUnderTest<SubAccountTarget>,
    {
      name: 'node(id) of an ApiKey',
      kind: 'query',
      idType: 'ApiKey',
      grid: READ_API_KEY,
      call: (id) => ({ query: `query($id: ID!) { node(id: $id) { id ... on ApiKey { name role revokedAt } } }`, variables: { id } }),
      answer: (data) => data?.node,
      verify: sameId,
    } satisfies FieldUnderTest<KeyTarget>,
    {
      name: 'changeAgencyPlan',
      kind: 'mutation',
      idType: 'Agency',
      grid: MANAGE_AGENCY,
      call: (id) => ({
        query: `mutation($input: ChangeAgencyPlanInput!) {
          changeAgencyPlan(input: $input) { agency { id plan { code } } userErrors { code field message } }
        }`,
        // The one uncapped current plan (no agency may move onto PARTNER_LEGACY): every allowed change succeeds.
        variables: { input: { agencyId: id, planCode: 'AGENCY_UNLIMITED' } },
      }),
      answer: (data) => data?.changeAgencyPlan,
      entity: 'agency',
      verify: (payload, id) => {
        sameId(payload.agency, id);
        expect(payload.agency.plan.code).toBe('AGENCY_UNLIMITED');
      },
    } satisfies FieldUnderTest<AgencyTarget>,
    {
      name: 'setAgencyMarkup',
      kind: 'mutation',
      idType: 'Agency',
      grid: MANAGE_AGENCY,
      call: (id) => ({
        query: `mutation($input: SetAgencyMarkupInput!) {
          setAgencyMarkup(input: $input) { agency { id defaultMarkup(tier: BASIC) { amount } } userErrors { code field message } }
        }`,
        variables: { input: { agencyId: id, basic: `0.0${(++counter % 9) + 1}`, premium: '0.05' } },
      }),
      answer: (data) => data?.setAgencyMarkup,
      entity: 'agency',
      verify: (payload, id) => {
        sameId(payload.agency, id);
        expect(payload.agency.defaultMarkup.amount).toBe(`0.0${(counter % 9) + 1}`);
      },
    } satisfies FieldUnderTest<AgencyTarget>,
    {
      name: 'addSubAccount',
      kind: 'mutation',
      idType: 'Agency',
      grid: MANAGE_AGENCY,
      call: (id) => ({
        query: `mutation($input: AddSubAccountInput!) {
          addSubAccount(input: $input) { subAccount { id agency { id } } userErrors { code field message } }
        }`,
        variables: { input: { agencyId: id, name: 'Matrix client', loginEmail: uniqueEmail('matrix') } },
      }),
      answer: (data) => data?.addSubAccount,
      entity: 'subAccount',
      verify: (payload, id) => expect(payload.subAccount.agency.id).toBe(id),
    } satisfies FieldUnderTest<AgencyTarget>,
    {
      name: 'createApiKey(agencyId) of a USAGE_INGEST key',
      kind: 'mutation',
      idType: 'Agency',
      grid: MANAGE_AGENCY,
      call: (id) => ({
        query: `mutation($input: CreateApiKeyInput!) {
          createApiKey(input: $input) { secret apiKey { id agency { id } } userErrors { code field message } }
        }`,
        variables: { input: { name: 'matrix usage key', role: 'USAGE_INGEST', agencyId: id } },
      }),
      answer: (data) => data?.createApiKey,
      entity: 'apiKey',
      verify: (payload, id) => {
        expect(payload.secret).toMatch(/^vmk_/);
        expect(payload.apiKey.agency.id).toBe(id);
      },
    } satisfies FieldUnderTest<AgencyTarget>,
    {
      name: 'updateSubAccount',
      kind: 'mutation',
      idType: 'SubAccount',
      grid: MANAGE_SUB_ACCOUNT,
      call: (id) => ({
        query: `mutation($input: UpdateSubAccountInput!) {
          updateSubAccount(input: $input) { subAccount { id name } userErrors { code field message } }
        }`,
        variables: { input: { id, name: 'Renamed ' + randomBytes(3).toString('hex') } },
      }),
      answer: (data) => data?.updateSubAccount,
      entity: 'subAccount',
      verify: (payload, id) => {
        sameId(payload.subAccount, id);
        expect(payload.subAccount.name).toMatch(/^Renamed /);
      },
    } satisfies FieldUnderTest<SubAccountTarget>,
    {
      name: 'createApiKey(subAccountId) of a CLIENT_ADMIN key',
      kind: 'mutation',
      idType: 'SubAccount',
      grid: MANAGE_SUB_ACCOUNT,
      call: (id) => ({
        query: `mutation($input: CreateApiKeyInput!) {
          createApiKey(input: $input) { secret apiKey { id subAccount { id } } userErrors { code field message } }
        }`,
        variables: { input: { name: 'matrix client key', role: 'CLIENT_ADMIN', subAccountId: id } },
      }),
      answer: (data) => data?.createApiKey,
      entity: 'apiKey',
      verify: (payload, id) => {
        expect(payload.secret).toMatch(/^vmk_/);
        expect(payload.apiKey.subAccount.id).toBe(id);
      },
    } satisfies FieldUnderTest<SubAccountTarget>,
    {
      name: 'removeSubAccount',
      kind: 'mutation',
      idType: 'SubAccount',
      grid: REMOVE_SUB_ACCOUNT,
      call: (id) => ({
        query: `mutation($input: RemoveSubAccountInput!) {
          removeSubAccount(input: $input) { removedSubAccountId agency { id } userErrors { code field message } }
        }`,
        variables: { input: { id } },
      }),
      answer: (data) => data?.removeSubAccount,
      entity: 'removedSubAccountId',
      verify: (payload, id) => expect(payload.removedSubAccountId).toBe(id),
      cleanup: async (target, id) => {
        if (!isPrimary(target)) await restoreIfRemoved(id);
      },
    } satisfies FieldUnderTest<SubAccountTarget>,
    {
      name: 'restoreSubAccount',
      kind: 'mutation',
      idType: 'SubAccount',
      grid: RESTORE_SUB_ACCOUNT,
      prepare: async (target) => {
        const id = ids.SubAccount[target];
        if (!isPrimary(target)) await removeIfActive(id);
        return id;
      },
      call: (id) => ({
        query: `mutation($input: RestoreSubAccountInput!) {
          restoreSubAccount(input: $input) { subAccount { id status } userErrors { code field message } }
        }`,
        variables: { input: { id } },
      }),
      answer: (data) => data?.restoreSubAccount,
      entity: 'subAccount',
      verify: (payload, id) => expect(payload.subAccount).toEqual({ id, status: 'ACTIVE' }),
      cleanup: async (target, id) => {
        if (!isPrimary(target)) await restoreIfRemoved(id);
      },
    } satisfies FieldUnderTest<SubAccountTarget>,
    {
      name: 'revokeApiKey',
      kind: 'mutation',
      idType: 'ApiKey',
      grid: REVOKE_API_KEY,
      // A fresh key per case: the world's keys are the callers' own credentials.
      prepare: async (target) => (await createKey(keyInputOf(target))).id,
      call: (id) => ({
        query: `mutation($input: RevokeApiKeyInput!) {
          revokeApiKey(input: $input) { apiKey { id revokedAt } userErrors { code field message } }
        }`,
        variables: { input: { id } },
      }),
      answer: (data) => data?.revokeApiKey,
      entity: 'apiKey',
      verify: (payload, id) => {
        sameId(payload.apiKey, id);
        expect(payload.apiKey.revokedAt).not.toBeNull();
      },
    } satisfies FieldUnderTest<KeyTarget>,
  ];

  /** Which agency a target belongs to (undefined: a platform key, of no agency). */
  const agencyOf = (target: Target): AgencyTarget | undefined =>
    target === 'keyPlatform' ? undefined : target.startsWith('B') || target === 'keyB' ? 'B' : 'A';

  /** own / sibling / foreign, as seen by the caller. */
  function relation(caller: Caller, target: Target): string {
    const owner = agencyOf(target);
    switch (caller) {
      case 'platform':
        return 'an';
      case 'clientA1':
        if (target === 'A1' || target === 'keyA1') return 'its own';
        if (target === 'A') return 'its own agency’s';
        return owner === 'A' ? 'a sibling' : 'a foreign';
      default: {
        const own = caller === 'agencyB' ? 'B' : 'A';
        return owner === own ? 'its own' : 'a foreign';
      }
    }
  }

  const PHRASES: Record<Outcome, string> = {
    data: 'sees it',
    null: 'gets null',
    ok: 'succeeds',
    NOT_FOUND: 'gets NOT_FOUND',
    FORBIDDEN: 'is FORBIDDEN',
    PRIMARY_NOT_REMOVABLE: 'gets PRIMARY_NOT_REMOVABLE',
    NOT_REMOVED: 'gets NOT_REMOVED',
  };

  const CASES = FIELDS.flatMap((field) =>
    (Object.keys(CALLERS) as Caller[]).flatMap((caller) =>
      (Object.entries(field.grid[caller]) as Array<[Target, Outcome]>).map(([target, outcome]) => ({
        title: `${CALLERS[caller]}: ${field.name} with ${relation(caller, target)} id (${target}) ${PHRASES[outcome]}`,
        field,
        caller,
        target,
        outcome,
        relation: relation(caller, target),
      })),
    ),
  );

  async function send(operation: Operation, token: string): Promise<GraphQLResponse> {
    return app.gql(operation.query, operation.variables, token);
  }

  it.each(CASES)('$title', async ({ field, caller, target, outcome, relation: rel }) => {
    const id = field.prepare ? await field.prepare(target) : (ids as any)[field.idType][target];
    const before = field.kind === 'mutation' ? await snapshot() : undefined;
    const operation = field.call(id);
    const response = await send(operation, tokens[caller]);
    const answer = field.answer(response.data);

    switch (outcome) {
      case 'data':
        expect(response.errors).toBeUndefined();
        expect(answer).not.toBeNull();
        field.verify(answer, id);
        break;
      case 'null':
        expect(response.errors).toBeUndefined();
        expect(answer).toBeNull();
        break;
      case 'ok':
        expect(response.errors).toBeUndefined();
        expect(answer.userErrors).toEqual([]);
        field.verify(answer, id);
        break;
      case 'FORBIDDEN':
        expect(errorCode(response)).toBe('FORBIDDEN');
        expect(response.errors).toHaveLength(1);
        expect((field.guarded && answer ? answer[field.guarded] : answer) ?? null).toBeNull();
        break;
      default:
        expect(response.errors).toBeUndefined();
        expect(answer.userErrors).toEqual([{ code: outcome, field: expect.any(Array), message: expect.any(String) }]);
        expect(answer[field.entity!]).toBeNull();
    }

    if (field.kind === 'mutation' && outcome !== 'ok') {
      expect(await snapshot()).toEqual(before);
    }

    if (outcome === 'null' || outcome === 'NOT_FOUND' || rel === 'a foreign' || rel === 'a sibling') {
      // Indistinguishable from an id that never existed: same status, data and errors.
      const missingId = toGlobalId(field.idType, randomUUID());
      const missing = await send(field.call(missingId), tokens[caller]);
      // Every error carries its own request's id; everything else must be the same.
      expect(withoutRequestIds(missing)).toEqual(withoutRequestIds(response));
    }

    await field.cleanup?.(target, id);
  });

  // ---------------------------------------------------------------------------------------
  // Agency-wide fields reached without agency(id): a client admin or usage key never sees
  // them, whichever path leads to its agency.
  // ---------------------------------------------------------------------------------------

  const AGENCY_WIDE_SELECTIONS = {
    subAccounts: 'subAccounts { totalCount }',
    primarySubAccount: 'primarySubAccount { id }',
    subAccountSlotsRemaining: 'subAccountSlotsRemaining',
    defaultMarkup: 'defaultMarkup(tier: BASIC) { amount }',
    health: 'health { atRisk }',
    subAccountsAtRisk: 'subAccountsAtRisk { totalCount }',
    stripeConnectStatus: 'stripeConnectStatus',
    payouts: 'payouts { totalCount }',
  };

  type Path = 'viewer.agency' | 'subAccount(own).agency' | 'node(own agency)' | 'node(own wallet).subAccount.agency';
  const PATHS: Record<Path, (selection: string) => Operation> = {
    'viewer.agency': (s) => ({ query: `{ viewer { agency { id ${s} } } }`, variables: {} }),
    'subAccount(own).agency': (s) => ({ query: `query($id: ID!) { subAccount(id: $id) { agency { id ${s} } } }`, variables: { id: ids.SubAccount.A1 } }),
    'node(own agency)': (s) => ({ query: `query($id: ID!) { node(id: $id) { ... on Agency { id ${s} } } }`, variables: { id: ids.Agency.A } }),
    'node(own wallet).subAccount.agency': (s) => ({
      query: `query($id: ID!) { node(id: $id) { ... on Wallet { subAccount { agency { id ${s} } } } } }`,
      variables: { id: ids.Wallet.A1 },
    }),
  };

  const INDIRECT: Array<{ caller: Caller; path: Path; field: keyof typeof AGENCY_WIDE_SELECTIONS; outcome: 'data' | 'FORBIDDEN' }> = [
    ...(['viewer.agency', 'subAccount(own).agency', 'node(own agency)', 'node(own wallet).subAccount.agency'] as Path[]).flatMap((path) =>
      (Object.keys(AGENCY_WIDE_SELECTIONS) as Array<keyof typeof AGENCY_WIDE_SELECTIONS>).map((field) => ({
        caller: 'clientA1' as Caller,
        path,
        field,
        outcome: 'FORBIDDEN' as const,
      })),
    ),
    ...(Object.keys(AGENCY_WIDE_SELECTIONS) as Array<keyof typeof AGENCY_WIDE_SELECTIONS>).flatMap((field) => [
      { caller: 'usageA' as Caller, path: 'viewer.agency' as Path, field, outcome: 'FORBIDDEN' as const },
      { caller: 'agencyA' as Caller, path: 'viewer.agency' as Path, field, outcome: 'data' as const },
    ]),
  ];

  it.each(INDIRECT)('$caller reading Agency.$field through $path: $outcome', async ({ caller, path, field, outcome }) => {
    const response = await send(PATHS[path](AGENCY_WIDE_SELECTIONS[field]), tokens[caller]);
    if (outcome === 'FORBIDDEN') {
      expect(errorCode(response)).toBe('FORBIDDEN');
      // Null where the field is nullable (subAccountSlotsRemaining), else its parent is null: never a value.
      expect(JSON.stringify(response.data ?? null)).not.toMatch(new RegExp(`"${field}":(?!null)`));
    } else {
      expect(response.errors).toBeUndefined();
      expect(ok(response).viewer.agency).toHaveProperty(field);
    }
  });

  it.each(['viewer.agency', 'subAccount(own).agency', 'node(own agency)', 'node(own wallet).subAccount.agency'] as Path[])(
    'the client admin of A1 reads its agency’s name and plan through %s',
    async (path) => {
      const response = await send(PATHS[path]('name plan { code }'), tokens.clientA1);
      expect(response.errors).toBeUndefined();
      expect(JSON.stringify(response.data)).toContain('"name":"Agency A"');
    },
  );

  // ---------------------------------------------------------------------------------------
  // Fields without an id.
  // ---------------------------------------------------------------------------------------

  const NO_ID: Array<{ name: string; query: string; answer: (data: any) => any; grid: Record<Caller, 'data' | 'FORBIDDEN'> }> = [
    {
      name: 'agencies',
      query: `{ agencies(first: 100) { totalCount edges { node { id } } } }`,
      answer: (data) => data?.agencies,
      grid: { platform: 'data', agencyA: 'FORBIDDEN', clientA1: 'FORBIDDEN', agencyB: 'FORBIDDEN', usageA: 'FORBIDDEN' },
    },
    {
      name: 'plans',
      query: `{ plans { code basePrice(tier: BASIC) { amount } } }`,
      answer: (data) => data?.plans,
      grid: { platform: 'data', agencyA: 'data', clientA1: 'data', agencyB: 'data', usageA: 'data' },
    },
    {
      name: 'viewer',
      query: `{ viewer { role } }`,
      answer: (data) => data?.viewer,
      grid: { platform: 'data', agencyA: 'data', clientA1: 'data', agencyB: 'data', usageA: 'data' },
    },
    {
      name: 'createAgency',
      query: `mutation { createAgency(input: { name: "Matrix agency", planCode: "KICKSTART", primaryLoginEmail: "EMAIL" }) {
        agency { id } userErrors { code }
      } }`,
      answer: (data) => data?.createAgency?.agency,
      grid: { platform: 'data', agencyA: 'FORBIDDEN', clientA1: 'FORBIDDEN', agencyB: 'FORBIDDEN', usageA: 'FORBIDDEN' },
    },
  ];

  it.each(
    NO_ID.flatMap((f) => (Object.keys(CALLERS) as Caller[]).map((caller) => ({ ...f, caller, outcome: f.grid[caller], who: CALLERS[caller] }))),
  )('$who: $name $outcome', async ({ query, answer, caller, outcome }) => {
    const before = await snapshot();
    const response = await app.gql(query.replace('EMAIL', uniqueEmail('matrix-agency')), {}, tokens[caller]);
    if (outcome === 'data') {
      expect(response.errors).toBeUndefined();
      expect(answer(response.data)).toBeTruthy();
    } else {
      expect(errorCode(response)).toBe('FORBIDDEN');
      expect(answer(response.data) ?? null).toBeNull();
      expect(await snapshot()).toEqual(before);
    }
  });

  // ---------------------------------------------------------------------------------------
  // Ids of the wrong type or shape are ids that do not exist.
  // ---------------------------------------------------------------------------------------

  it.each([
    ['agency(id) with a sub-account id', `query($id: ID!) { r: agency(id: $id) { id } }`, () => ids.SubAccount.A1],
    ['subAccount(id) with an agency id', `query($id: ID!) { r: subAccount(id: $id) { id } }`, () => ids.Agency.A],
    ['subAccount(id) with a wallet id', `query($id: ID!) { r: subAccount(id: $id) { id } }`, () => ids.Wallet.A1],
    ['node(id) with garbage', `query($id: ID!) { r: node(id: $id) { id } }`, () => 'not-an-id'],
    ['node(id) with an unknown type', `query($id: ID!) { r: node(id: $id) { id } }`, () => toGlobalId('Transfer', randomUUID())],
    ['node(id) with a raw uuid', `query($id: ID!) { r: node(id: $id) { id } }`, () => randomUUID()],
  ])('the platform admin gets null for %s', async (_label, query, id) => {
    expect(ok(await app.gql(query, { id: id() })).r).toBeNull();
  });

  it.each([
    ['updateSubAccount with an agency id', `mutation($id: ID!) { r: updateSubAccount(input: { id: $id, name: "x" }) { userErrors { code } } }`, () => ids.Agency.A],
    ['removeSubAccount with a wallet id', `mutation($id: ID!) { r: removeSubAccount(input: { id: $id }) { userErrors { code } } }`, () => ids.Wallet.A1],
    ['setAgencyMarkup with a sub-account id', `mutation($id: ID!) { r: setAgencyMarkup(input: { agencyId: $id, basic: "0", premium: "0" }) { userErrors { code } } }`, () => ids.SubAccount.Ap],
    ['revokeApiKey with garbage', `mutation($id: ID!) { r: revokeApiKey(input: { id: $id }) { userErrors { code } } }`, () => '!!'],
  ])('the platform admin gets NOT_FOUND for %s, and nothing changes', async (_label, query, id) => {
    const before = await snapshot();
    expect(ok(await app.gql(query, { id: id() })).r.userErrors).toEqual([{ code: 'NOT_FOUND' }]);
    expect(await snapshot()).toEqual(before);
  });
});

// =========================================================================================
// Every other id-taking field, the money mutations and the subscriptions: a foreign or
// sibling id is refused exactly like an id that never existed, and changes nothing.
// =========================================================================================

/**
 * Every place of the schema that takes an id, as "Type.field(arg.path)", and the test that
 * covers it. The schema is walked in the test below: an id argument added without an entry
 * here fails it.
 */
const ID_ARGUMENTS_COVERED: Record<string, string> = {
  'Query.agency(id)': 'agency(id) in the matrix',
  'Query.node(id)': 'node(id) of every node type',
  'Query.subAccount(id)': 'subAccount(id) in the matrix',
  'Query.transferQuote(input.fromSubAccountId)': 'transferQuote from a foreign sub-account',
  'Query.transferQuote(input.toSubAccountId)': 'transferQuote to a foreign sub-account',
  'Mutation.addSubAccount(input.agencyId)': 'addSubAccount in the matrix',
  'Mutation.adjustWalletBalance(input.subAccountId)': 'adjustWalletBalance',
  'Mutation.changeAgencyPlan(input.agencyId)': 'changeAgencyPlan in the matrix',
  'Mutation.createApiKey(input.agencyId)': 'createApiKey(agencyId) in the matrix',
  'Mutation.createApiKey(input.subAccountId)': 'createApiKey(subAccountId) in the matrix',
  'Mutation.createPaymentMethodSetup(subAccountId)': 'tests/payments.spec.ts: refused like a missing id for another agency and a sibling (needs Stripe)',
  'Mutation.createScenario(input.subAccountId)': 'createScenario',
  'Mutation.createStripeConnectLink(agencyId)': 'tests/payouts.spec.ts: NOT_FOUND for another agency, FORBIDDEN for a client admin (needs Stripe)',
  'Mutation.requestPayout(agencyId)': 'tests/payouts.spec.ts: NOT_FOUND for another agency, FORBIDDEN for a client admin',
  'Mutation.recordCallUsage(input.subAccountId)': 'recordCallUsage for a foreign sub-account',
  'Mutation.recordCallUsage(input.scenarioId)': 'recordCallUsage with a foreign scenario',
  'Mutation.recordCallUsageBatch(inputs.subAccountId)': 'recordCallUsageBatch for a foreign sub-account',
  'Mutation.recordCallUsageBatch(inputs.scenarioId)': 'recordCallUsageBatch with a foreign scenario',
  'Mutation.removeSubAccount(input.id)': 'removeSubAccount in the matrix',
  'Mutation.restoreSubAccount(input.id)': 'restoreSubAccount in the matrix',
  'Mutation.revokeApiKey(input.id)': 'revokeApiKey in the matrix',
  'Mutation.setAgencyMarkup(input.agencyId)': 'setAgencyMarkup in the matrix',
  'Mutation.setLowBalanceThreshold(input.subAccountId)': 'setLowBalanceThreshold',
  'Mutation.topUpWallet(input.subAccountId)': 'topUpWallet for a foreign sub-account',
  'Mutation.setAutoRecharge(input.subAccountId)': 'setAutoRecharge for a foreign sub-account',
  'Mutation.setAutoAllocation(input.subAccountId)': 'setAutoAllocation for a foreign sub-account',
  'Mutation.transferMinutes(input.fromSubAccountId)': 'transferMinutes from a foreign sub-account',
  'Mutation.transferMinutes(input.toSubAccountId)': 'transferMinutes to a foreign sub-account',
  'Mutation.updateSubAccount(input.id)': 'updateSubAccount in the matrix',
  'SubAccount.calls(scenarioId)': 'SubAccount.calls with a foreign scenario',
  'Subscription.agencyActivity(agencyId)': 'agencyActivity of a foreign agency',
  'Subscription.usageUpdated(agencyId)': 'usageUpdated of a foreign agency',
  'Subscription.usageUpdated(subAccountId)': 'usageUpdated of a foreign sub-account',
  'Subscription.walletBalanceChanged(agencyId)': 'walletBalanceChanged of a foreign agency',
  'Subscription.walletBalanceChanged(subAccountId)': 'walletBalanceChanged of a foreign sub-account',
};

/** Node types and where `node(id:)` of each is tested. */
const NODE_TYPES_COVERED: Record<string, string> = {
  Agency: 'the matrix', SubAccount: 'the matrix', Wallet: 'the matrix', ApiKey: 'the matrix',
  Transfer: 'below', Scenario: 'below', Call: 'below',
  Payout: 'tests/payouts.spec.ts: null for another agency\'s admin and a client admin',
};

describe('the tenancy matrix, schema-wide', () => {
  type Who = 'platform' | 'agencyA' | 'clientA1' | 'usageA' | 'agencyB' | 'clientB1' | 'usageB';
  let app: TestApp;
  let tables: string[] = [];
  const tokens = {} as Record<Who, string>;
  // Objects of agency A (Ap, A1, A2) and B (Bp, B1), one of each node type per sub-account that has them.
  const w = {} as Record<
    'A' | 'B' | 'Ap' | 'A1' | 'A2' | 'Bp' | 'B1' | 'scenarioA1' | 'scenarioA2' | 'scenarioB1' | 'callA1' | 'callA2' | 'callB1'
    | 'transferA1' | 'transferA2' | 'transferB1' | 'walletA1' | 'walletB1',
    string
  >;

  const key = () => randomBytes(8).toString('hex');

  async function snapshot(): Promise<unknown> {
    const parts = tables.map((t) => `'${t}', (SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM "${t}" x)`);
    const [{ snapshot }] = await app.dataSource.query(`SELECT json_build_object(${parts.join(', ')}) AS snapshot`);
    return snapshot;
  }

  async function adjust(subAccountId: string, amount: string): Promise<string> {
    const data = ok(
      await app.gql(
        `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { transfer { id } userErrors { code message } } }`,
        { input: { subAccountId, amount, reason: 'matrix funding', idempotencyKey: key() } },
      ),
    );
    expect(data.adjustWalletBalance.userErrors).toEqual([]);
    return data.adjustWalletBalance.transfer.id;
  }

  async function scenario(subAccountId: string): Promise<string> {
    const data = ok(
      await app.gql(`mutation($input: CreateScenarioInput!) { createScenario(input: $input) { scenario { id } userErrors { code } } }`, {
        input: { subAccountId, name: 'Matrix campaign' },
      }),
    );
    return data.createScenario.scenario.id;
  }

  async function call(subAccountId: string, scenarioId?: string): Promise<string> {
    const data = ok(await app.gql(RECORD_CALL, { input: callInput(subAccountId, scenarioId) }));
    expect(data.recordCallUsage.userErrors).toEqual([]);
    return data.recordCallUsage.call.id;
  }

  const RECORD_CALL = `mutation($input: RecordCallUsageInput!) {
    recordCallUsage(input: $input) { call { id } userErrors { code field message } }
  }`;
  const callInput = (subAccountId: string, scenarioId?: string | null, externalCallId = `matrix-${key()}`) => ({
    subAccountId, externalCallId, tier: 'PREMIUM', status: 'COMPLETED', startedAt: new Date(Date.now() - 3_600_000).toISOString(),
    durationSeconds: 30, ...(scenarioId ? { scenarioId } : {}),
  });

  beforeAll(async () => {
    app = await startTestApp();
    const a = await createAgency(app, { name: 'Agency A' });
    const b = await createAgency(app, { name: 'Agency B' });
    Object.assign(w, { A: a.agencyId, B: b.agencyId, Ap: a.primaryId, Bp: b.primaryId });
    w.A1 = await addSubAccount(app, a.agencyId, { name: 'A1' });
    w.A2 = await addSubAccount(app, a.agencyId, { name: 'A2' });
    w.B1 = await addSubAccount(app, b.agencyId, { name: 'B1' });
    w.transferA1 = await adjust(w.A1, '100');
    w.transferA2 = await adjust(w.A2, '100');
    w.transferB1 = await adjust(w.B1, '100');
    await adjust(w.Ap, '100');
    await adjust(w.Bp, '100');
    w.scenarioA1 = await scenario(w.A1);
    w.scenarioA2 = await scenario(w.A2);
    w.scenarioB1 = await scenario(w.B1);
    w.callA1 = await call(w.A1, w.scenarioA1);
    w.callA2 = await call(w.A2, w.scenarioA2);
    w.callB1 = await call(w.B1, w.scenarioB1);
    for (const target of ['A1', 'B1'] as const) {
      w[`wallet${target}`] = ok(await app.gql(`query($id: ID!) { subAccount(id: $id) { wallet { id } } }`, { id: w[target] })).subAccount.wallet.id;
    }
    const keyOf = async (input: Record<string, unknown>) => {
      const data = ok(await app.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }`, {
        input: { name: 'matrix key', ...input },
      }));
      return data.createApiKey.secret as string;
    };
    Object.assign(tokens, {
      platform: app.platformKey,
      agencyA: await keyOf({ role: 'AGENCY_ADMIN', agencyId: w.A }),
      clientA1: await keyOf({ role: 'CLIENT_ADMIN', subAccountId: w.A1 }),
      usageA: await keyOf({ role: 'USAGE_INGEST', agencyId: w.A }),
      agencyB: await keyOf({ role: 'AGENCY_ADMIN', agencyId: w.B }),
      clientB1: await keyOf({ role: 'CLIENT_ADMIN', subAccountId: w.B1 }),
      usageB: await keyOf({ role: 'USAGE_INGEST', agencyId: w.B }),
    });
    tables = await domainTables(app.dataSource);
  });
  afterAll(() => app.close());

  it('should have a matrix entry for every id argument of the schema and node(id:) of every node type', async () => {
    const schema = await createSchema();
    const found = new Set<string>();
    const walkInput = (type: GraphQLInputType, path: string, coordinate: string, seen: Set<string>) => {
      const named = getNamedType(type);
      if (named.name === 'ID') found.add(`${coordinate}(${path})`);
      if (isInputObjectType(named) && !seen.has(named.name)) {
        for (const field of Object.values(named.getFields())) walkInput(field.type, `${path}.${field.name}`, coordinate, new Set([...seen, named.name]));
      }
    };
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        for (const arg of field.args) walkInput(arg.type, arg.name, `${type.name}.${field.name}`, new Set());
      }
    }
    expect([...found].filter((c) => !(c in ID_ARGUMENTS_COVERED)).sort()).toEqual([]);
    expect(Object.keys(ID_ARGUMENTS_COVERED).filter((c) => !found.has(c)).sort()).toEqual([]);
    const nodeTypes = schema.getPossibleTypes(schema.getType('Node') as GraphQLInterfaceType).map((t) => t.name);
    expect(nodeTypes.filter((t) => !(t in NODE_TYPES_COVERED)).sort()).toEqual([]);
  });

  // ---------------------------------------------------------------------------------------
  // node(id:) of the types the matrix above does not cover.
  // ---------------------------------------------------------------------------------------

  const NODE_READS: Array<{ type: NodeType; target: keyof typeof w; sees: Who[]; blind: Who[] }> = [
    { type: 'Transfer', target: 'transferA1', sees: ['platform', 'agencyA', 'clientA1'], blind: ['agencyB', 'clientB1'] },
    { type: 'Transfer', target: 'transferA2', sees: ['platform', 'agencyA'], blind: ['clientA1', 'agencyB', 'clientB1'] },
    { type: 'Scenario', target: 'scenarioA1', sees: ['platform', 'agencyA', 'clientA1'], blind: ['agencyB', 'clientB1'] },
    { type: 'Scenario', target: 'scenarioA2', sees: ['platform', 'agencyA'], blind: ['clientA1', 'agencyB', 'clientB1'] },
    { type: 'Call', target: 'callA1', sees: ['platform', 'agencyA', 'clientA1'], blind: ['agencyB', 'clientB1'] },
    { type: 'Call', target: 'callA2', sees: ['platform', 'agencyA'], blind: ['clientA1', 'agencyB', 'clientB1'] },
  ];
  const NODE_QUERY = `query($id: ID!) { node(id: $id) { id __typename } }`;

  it.each(NODE_READS.flatMap((r) => r.sees.map((who) => ({ ...r, who }))))('$who reads node(id) of $type $target', async ({ target, who }) => {
    expect(ok(await app.gql(NODE_QUERY, { id: w[target] }, tokens[who])).node).toEqual({ id: w[target], __typename: expect.any(String) });
  });

  it.each(NODE_READS.flatMap((r) => r.blind.map((who) => ({ ...r, who }))))(
    '$who gets null for node(id) of $type $target, exactly as for a missing id',
    async ({ type, target, who }) => {
      const response = await app.gql(NODE_QUERY, { id: w[target] }, tokens[who]);
      expect(response).toEqual({ status: 200, data: { node: null }, errors: undefined });
      expect(await app.gql(NODE_QUERY, { id: toGlobalId(type, randomUUID()) }, tokens[who])).toEqual(response);
    },
  );

  it.each(['usageA', 'usageB'] as Who[])('the usage key %s reads no node at all', async (who) => {
    for (const target of ['transferA1', 'scenarioA1', 'callA1', 'transferB1'] as const) {
      const response = await app.gql(NODE_QUERY, { id: w[target] }, tokens[who]);
      expect(errorCode(response)).toBe('FORBIDDEN');
      expect(response.data?.node ?? null).toBeNull();
    }
  });

  it('a client admin reading its own transfer sees no wallet of a sibling or another tenant on the other side', async () => {
    // A1 → A2: the client admin of A1 sees its own side only.
    const moved = ok(
      await app.gql(
        `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code message } } }`,
        { input: { fromSubAccountId: w.A1, toSubAccountId: w.A2, minutes: '1', tier: 'PREMIUM', idempotencyKey: key() } },
        tokens.agencyA,
      ),
    ).transferMinutes;
    expect(moved.userErrors).toEqual([]);
    const seen = ok(
      await app.gql(
        `query($id: ID!) { node(id: $id) { ... on Transfer { fromWallet { id } toWallet { id } } } }`,
        { id: moved.transfer.id },
        tokens.clientA1,
      ),
    ).node;
    expect(seen).toEqual({ fromWallet: { id: w.walletA1 }, toWallet: null });
  });

  // ---------------------------------------------------------------------------------------
  // Id-taking operations: each as a call with the id under test; the foreign or sibling id
  // must get what a missing id gets, never a success, and change nothing.
  // ---------------------------------------------------------------------------------------

  interface IdCase {
    coordinate: string;
    idType: NodeType;
    kind: 'query' | 'mutation';
    /** `other`: the other side of a transfer, the caller's own sub-account (A1 unless given). */
    call(id: string, other?: string): Operation;
    /** Did the answer succeed (the object came back, or the change was made)? */
    succeeded(response: GraphQLResponse): boolean;
    /** Who owns the id (a control: the owner succeeds with it) and who must be refused. */
    owner: Who;
    target: keyof typeof w;
    refused: Who[];
  }

  const payloadOk = (field: string) => (r: GraphQLResponse) => !r.errors && r.data?.[field] && r.data[field].userErrors.length === 0;
  const transferInput = (from: string, to: string) => ({ fromSubAccountId: from, toSubAccountId: to, minutes: '1', tier: 'PREMIUM', idempotencyKey: key() });
  const TRANSFER = `mutation($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id amount { amount } } userErrors { code field message } } }`;
  const QUOTE = `query($input: TransferMinutesInput!) { transferQuote(input: $input) { amount { amount } minutesReceived } }`;

  // Foreign: B's objects for A's callers; sibling: A2's objects for the client admin of A1.
  const ID_CASES: IdCase[] = [
    ...(['B1', 'A2'] as const).flatMap((target): IdCase[] => {
      const owner: Who = target === 'B1' ? 'agencyB' : 'agencyA';
      const refused: Who[] = target === 'B1' ? ['agencyA', 'clientA1', 'usageA'] : ['clientA1'];
      return [
        {
          coordinate: 'Query.transferQuote(input.fromSubAccountId)', idType: 'SubAccount', kind: 'query', owner, target, refused,
          call: (id, other = w.A1) => ({ query: QUOTE, variables: { input: transferInput(id, other) } }),
          succeeded: (r) => !!r.data?.transferQuote,
        },
        {
          coordinate: 'Query.transferQuote(input.toSubAccountId)', idType: 'SubAccount', kind: 'query', owner, target, refused,
          call: (id, other = w.A1) => ({ query: QUOTE, variables: { input: transferInput(other, id) } }),
          succeeded: (r) => !!r.data?.transferQuote,
        },
        {
          coordinate: 'Mutation.transferMinutes(input.fromSubAccountId)', idType: 'SubAccount', kind: 'mutation', owner, target, refused,
          call: (id, other = w.A1) => ({ query: TRANSFER, variables: { input: { ...transferInput(id, other), idempotencyKey: 'same-key-' + target } } }),
          succeeded: payloadOk('transferMinutes'),
        },
        {
          coordinate: 'Mutation.transferMinutes(input.toSubAccountId)', idType: 'SubAccount', kind: 'mutation', owner, target, refused,
          call: (id, other = w.A1) => ({ query: TRANSFER, variables: { input: { ...transferInput(other, id), idempotencyKey: 'same-key-to-' + target } } }),
          succeeded: payloadOk('transferMinutes'),
        },
        {
          coordinate: 'Mutation.adjustWalletBalance(input.subAccountId)', idType: 'SubAccount', kind: 'mutation', owner: 'platform', target,
          refused: [...refused, ...(target === 'B1' ? (['agencyB', 'clientB1', 'usageB'] as Who[]) : (['agencyA'] as Who[]))],
          call: (id) => ({
            query: `mutation($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { transfer { id } userErrors { code field message } } }`,
            variables: { input: { subAccountId: id, amount: '1000', reason: 'matrix', idempotencyKey: 'adjust-' + target } },
          }),
          succeeded: payloadOk('adjustWalletBalance'),
        },
        {
          coordinate: 'Mutation.setLowBalanceThreshold(input.subAccountId)', idType: 'SubAccount', kind: 'mutation', owner, target, refused,
          call: (id) => ({
            query: `mutation($input: SetLowBalanceThresholdInput!) { setLowBalanceThreshold(input: $input) { wallet { id } userErrors { code field message } } }`,
            variables: { input: { subAccountId: id, threshold: '7' } },
          }),
          succeeded: payloadOk('setLowBalanceThreshold'),
        },
        {
          // Sandbox mode (the test app's default): the owner's top-up is booked without a card.
          coordinate: 'Mutation.topUpWallet(input.subAccountId)', idType: 'SubAccount', kind: 'mutation', owner, target, refused,
          call: (id) => ({
            query: `mutation($input: TopUpWalletInput!) { topUpWallet(input: $input) { transfer { id } clientSecret userErrors { code field message } } }`,
            variables: { input: { subAccountId: id, amount: '5', idempotencyKey: 'same-topup-' + target } },
          }),
          succeeded: payloadOk('topUpWallet'),
        },
        {
          // Threshold 0: saving recharges nothing (no balance of the world is below 0).
          coordinate: 'Mutation.setAutoRecharge(input.subAccountId)', idType: 'SubAccount', kind: 'mutation', owner, target, refused,
          call: (id) => ({
            query: `mutation($input: SetAutoRechargeInput!) { setAutoRecharge(input: $input) { subAccount { id autoRecharge { enabled } } userErrors { code field message } } }`,
            variables: { input: { subAccountId: id, enabled: true, threshold: '0', rechargeAmount: '10' } },
          }),
          succeeded: payloadOk('setAutoRecharge'),
        },
        {
          // The first purchase is the next cycle start: saving charges nothing now.
          coordinate: 'Mutation.setAutoAllocation(input.subAccountId)', idType: 'SubAccount', kind: 'mutation', owner, target, refused,
          call: (id) => ({
            query: `mutation($input: SetAutoAllocationInput!) { setAutoAllocation(input: $input) { subAccount { id autoAllocation { enabled } } userErrors { code field message } } }`,
            variables: { input: { subAccountId: id, enabled: true, basicMinutes: '1', premiumMinutes: '0' } },
          }),
          succeeded: payloadOk('setAutoAllocation'),
        },
        {
          coordinate: 'Mutation.createScenario(input.subAccountId)', idType: 'SubAccount', kind: 'mutation', owner, target, refused,
          call: (id) => ({
            query: `mutation($input: CreateScenarioInput!) { createScenario(input: $input) { scenario { id } userErrors { code field message } } }`,
            variables: { input: { subAccountId: id, name: 'Matrix intrusion' } },
          }),
          succeeded: payloadOk('createScenario'),
        },
        {
          coordinate: 'Mutation.recordCallUsage(input.subAccountId)', idType: 'SubAccount', kind: 'mutation',
          owner: target === 'B1' ? 'usageB' : 'usageA', target, refused: target === 'B1' ? ['agencyA', 'usageA', 'clientA1'] : ['clientA1'],
          call: (id) => ({ query: RECORD_CALL, variables: { input: callInput(id, null, 'same-call-' + target) } }),
          succeeded: payloadOk('recordCallUsage'),
        },
        {
          coordinate: 'Mutation.recordCallUsageBatch(inputs.subAccountId)', idType: 'SubAccount', kind: 'mutation',
          owner: target === 'B1' ? 'usageB' : 'usageA', target, refused: target === 'B1' ? ['agencyA', 'usageA', 'clientA1'] : ['clientA1'],
          call: (id) => ({
            query: `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { calls { id } userErrors { code field message } } }`,
            variables: { inputs: [callInput(id, null, 'same-batch-' + target)] },
          }),
          succeeded: (r) => !r.errors && r.data?.recordCallUsageBatch?.calls.length === 1,
        },
      ];
    }),
    // A scenario of B1 (or of the sibling A2) with a call of A1: never attached, never recorded.
    ...(['scenarioB1', 'scenarioA2'] as const).flatMap((target): IdCase[] => ([
      {
        coordinate: 'Mutation.recordCallUsage(input.scenarioId)', idType: 'Scenario', kind: 'mutation', owner: 'agencyA', target: 'scenarioA1',
        refused: ['agencyA', 'usageA'],
        call: (id) => ({ query: RECORD_CALL, variables: { input: callInput(w.A1, id, 'same-scenario-call-' + target) } }),
        succeeded: payloadOk('recordCallUsage'),
      },
      {
        coordinate: 'Mutation.recordCallUsageBatch(inputs.scenarioId)', idType: 'Scenario', kind: 'mutation', owner: 'agencyA', target: 'scenarioA1',
        refused: ['agencyA', 'usageA'],
        call: (id) => ({
          query: `mutation($inputs: [RecordCallUsageInput!]!) { recordCallUsageBatch(inputs: $inputs) { calls { id } userErrors { code field message } } }`,
          variables: { inputs: [callInput(w.A1, id, 'same-scenario-batch-' + target)] },
        }),
        succeeded: (r) => !r.errors && r.data?.recordCallUsageBatch?.calls.length === 1,
      },
      {
        coordinate: 'SubAccount.calls(scenarioId)', idType: 'Scenario', kind: 'query', owner: 'agencyA', target: 'scenarioA1',
        refused: ['agencyA', 'clientA1'],
        call: (id) => ({ query: `query($sub: ID!, $id: ID) { subAccount(id: $sub) { calls(scenarioId: $id) { totalCount edges { node { id } } } } }`, variables: { sub: w.A1, id } }),
        succeeded: (r) => (r.data?.subAccount?.calls?.totalCount ?? 0) > 0,
      },
    ] as IdCase[]).map((c) => ({ ...c, refusedTarget: target }) as IdCase & { refusedTarget: keyof typeof w })),
  ];

  const REFUSALS = ID_CASES.flatMap((c) =>
    c.refused.map((who) => ({ ...c, who, refusedTarget: ((c as any).refusedTarget ?? c.target) as keyof typeof w })),
  ).map((c) => ({ ...c, title: `${c.who}: ${c.coordinate} with ${c.refusedTarget} is refused like a missing id, changing nothing` }));

  it.each(REFUSALS)('$title', async ({ call: operation, succeeded, kind, idType, who, refusedTarget }) => {
    const before = kind === 'mutation' ? await snapshot() : undefined;
    const { query, variables } = operation(w[refusedTarget]);
    const response = await app.gql(query, variables, tokens[who]);
    expect(response.status).toBeLessThan(500);
    expect(succeeded(response)).toBeFalsy();
    if (kind === 'mutation') expect(await snapshot()).toEqual(before);
    const missing = operation(toGlobalId(idType, randomUUID()));
    expect(withoutRequestIds(await app.gql(missing.query, missing.variables, tokens[who]))).toEqual(withoutRequestIds(response));
  });

  it.each(ID_CASES.filter((c, i, all) => all.findIndex((o) => o.coordinate === c.coordinate && o.target === c.target) === i))(
    'the owner ($owner) succeeds with $coordinate on $target (the refusals are about tenancy, not the id)',
    async ({ call: operation, succeeded, owner, target }) => {
      const { query, variables } = operation(w[target], target === 'B1' ? w.Bp : w.Ap);
      // Fresh idempotency keys and call ids, so the control never replays a refused request.
      const fresh = JSON.parse(JSON.stringify(variables).replace(/"(same-[a-z-]+|adjust-)[A-Za-z0-9]*"/g, () => `"${key()}"`));
      const response = await app.gql(query, fresh, tokens[owner]);
      expect(response.errors).toBeUndefined();
      expect(succeeded(response)).toBeTruthy();
    },
  );

  // ---------------------------------------------------------------------------------------
  // Subscriptions: a foreign scope is refused like a missing one, and no event of another
  // tenant (or, for a client admin, of a sibling) ever arrives.
  // ---------------------------------------------------------------------------------------

  const SUBSCRIPTIONS = {
    'Subscription.walletBalanceChanged(subAccountId)': (id: string) => ({
      query: `subscription($id: ID) { walletBalanceChanged(subAccountId: $id) { sequence subAccount { id } } }`, variables: { id },
    }),
    'Subscription.walletBalanceChanged(agencyId)': (id: string) => ({
      query: `subscription($id: ID) { walletBalanceChanged(agencyId: $id) { sequence subAccount { id } } }`, variables: { id },
    }),
    'Subscription.usageUpdated(subAccountId)': (id: string) => ({
      query: `subscription($id: ID) { usageUpdated(subAccountId: $id) { sequence subAccount { id } } }`, variables: { id },
    }),
    'Subscription.usageUpdated(agencyId)': (id: string) => ({
      query: `subscription($id: ID) { usageUpdated(agencyId: $id) { sequence subAccount { id } } }`, variables: { id },
    }),
    'Subscription.agencyActivity(agencyId)': (id: string) => ({
      query: `subscription($id: ID!) { agencyActivity(agencyId: $id) { sequence type subAccount { id } } }`, variables: { id },
    }),
  };
  const SUBSCRIPTION_REFUSALS = (Object.keys(SUBSCRIPTIONS) as Array<keyof typeof SUBSCRIPTIONS>).flatMap((coordinate) => {
    const byAgency = coordinate.endsWith('(agencyId)');
    const cases: Array<{ coordinate: typeof coordinate; who: Who; target: keyof typeof w; idType: NodeType }> = [
      { coordinate, who: 'agencyA', target: byAgency ? 'B' : 'B1', idType: byAgency ? 'Agency' : 'SubAccount' },
      { coordinate, who: 'clientB1', target: byAgency ? 'A' : 'A1', idType: byAgency ? 'Agency' : 'SubAccount' },
    ];
    if (!byAgency) cases.push({ coordinate, who: 'clientA1', target: 'A2', idType: 'SubAccount' });
    return cases;
  });

  function settle(received: ReturnType<typeof subscribe>, ms = 1500) {
    return Promise.race([received.done, sleep(ms)]);
  }

  it.each(SUBSCRIPTION_REFUSALS)('$who: $coordinate of $target is refused like a missing id, and nothing arrives', async ({ coordinate, who, target, idType }) => {
    const client = wsClient(app.wsUrl, tokens[who]);
    try {
      const foreign = subscribe(client, SUBSCRIPTIONS[coordinate](w[target]).query, SUBSCRIPTIONS[coordinate](w[target]).variables);
      const missingId = toGlobalId(idType, randomUUID());
      const missing = subscribe(client, SUBSCRIPTIONS[coordinate](missingId).query, SUBSCRIPTIONS[coordinate](missingId).variables);
      await adjust(target === 'B' || target === 'B1' ? w.B1 : target === 'A2' ? w.A2 : w.A1, '1');
      await Promise.all([settle(foreign), settle(missing)]);
      expect(foreign.events).toEqual([]);
      expect(foreign.errors.length).toBeGreaterThan(0);
      expect(foreign.errors.map((e) => e.extensions?.code)).not.toContain('INTERNAL_SERVER_ERROR');
      expect(foreign.errors.map((e) => [e.message, e.extensions?.code])).toEqual(missing.errors.map((e) => [e.message, e.extensions?.code]));
    } finally {
      await client.dispose();
    }
  });

  it('no event of another agency, or of a sibling sub-account, reaches any subscriber', async () => {
    const agencyB = wsClient(app.wsUrl, tokens.agencyB);
    const clientA1 = wsClient(app.wsUrl, tokens.clientA1);
    const clientB1 = wsClient(app.wsUrl, tokens.clientB1);
    const bSubAccounts = new Set([w.Bp, w.B1]);
    try {
      const streams = {
        agencyBWallets: subscribe(agencyB, `subscription { walletBalanceChanged { sequence subAccount { id } } }`),
        agencyBUsage: subscribe(agencyB, `subscription { usageUpdated { sequence subAccount { id } } }`),
        agencyBActivity: subscribe(agencyB, `subscription($id: ID!) { agencyActivity(agencyId: $id) { type subAccount { id } agency { id } } }`, { id: w.B }),
        clientA1Wallet: subscribe(clientA1, `subscription { walletBalanceChanged { subAccount { id } } }`),
        clientA1Usage: subscribe(clientA1, `subscription { usageUpdated { subAccount { id } } }`),
        clientB1Wallet: subscribe(clientB1, `subscription { walletBalanceChanged { subAccount { id } } }`),
      };
      await sleep(300);
      // Noise in A (its sub-accounts, a transfer between them, usage) and in B's primary; then one marker per stream.
      await adjust(w.A2, '2');
      await adjust(w.Ap, '2');
      await app.gql(TRANSFER, { input: transferInput(w.A2, w.Ap) }, tokens.agencyA);
      await app.gql(RECORD_CALL, { input: callInput(w.A2) }, tokens.usageA);
      await adjust(w.Bp, '2');
      await adjust(w.B1, '3');
      await app.gql(RECORD_CALL, { input: callInput(w.B1) }, tokens.usageB);
      await adjust(w.A1, '3');
      await app.gql(RECORD_CALL, { input: callInput(w.A1) }, tokens.usageA);
      await streams.agencyBWallets.waitFor(2);
      await streams.agencyBUsage.waitFor(1);
      await streams.clientA1Wallet.waitFor(2);
      await streams.clientA1Usage.waitFor(1);
      await streams.clientB1Wallet.waitFor(2);
      await sleep(300);
      for (const [name, stream] of Object.entries(streams)) {
        expect([name, stream.errors]).toEqual([name, []]);
      }
      const subAccountOf = (event: any) => (Object.values(event)[0] as any).subAccount?.id;
      for (const name of ['agencyBWallets', 'agencyBUsage', 'agencyBActivity'] as const) {
        expect(streams[name].events.length).toBeGreaterThan(0);
        for (const event of streams[name].events) {
          if (subAccountOf(event)) expect(bSubAccounts).toContain(subAccountOf(event));
          if ((event as any).agencyActivity) expect((event as any).agencyActivity.agency.id).toBe(w.B);
        }
      }
      expect(new Set(streams.clientA1Wallet.events.map(subAccountOf))).toEqual(new Set([w.A1]));
      expect(new Set(streams.clientA1Usage.events.map(subAccountOf))).toEqual(new Set([w.A1]));
      expect(new Set(streams.clientB1Wallet.events.map(subAccountOf))).toEqual(new Set([w.B1]));
    } finally {
      await Promise.all([agencyB.dispose(), clientA1.dispose(), clientB1.dispose()]);
    }
  });
});
