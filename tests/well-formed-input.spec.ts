import { randomBytes } from 'node:crypto';
import { startTestApp, ok, errorCode, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId, uniqueEmail } from './helpers/fixtures';
import { RECORD_BATCH, callInput } from './helpers/usage';
import { subscribe, wsClient } from './helpers/ws';

/**
 * Text input is well-formed Unicode without NUL (src/graphql/well-formed-input.ts): a lone
 * surrogate or a NUL anywhere in an operation's strings is BAD_USER_INPUT, naming where it
 * is, and changes nothing; well-formed text of any kind reaches the field validators.
 */

const HIGH = '\ud800';
const LOW = '\udc00';
const NUL = '\u0000';

const TRANSFER = `mutation($input: TransferMinutesInput!) {
  transferMinutes(input: $input) { transfer { id memo } userErrors { code field message } }
}`;
const CREATE_AGENCY = `mutation($input: CreateAgencyInput!) {
  createAgency(input: $input) { agency { id name } userErrors { code field } }
}`;
const ADD_SUB = `mutation($input: AddSubAccountInput!) {
  addSubAccount(input: $input) { subAccount { id name loginEmail } userErrors { code field } }
}`;
const key = (label = 't') => `${label}-${randomBytes(8).toString('hex')}`;

let app: TestApp;
let agencyId: string;
let primaryId: string;
let clientId: string;

beforeAll(async () => {
  app = await startTestApp();
  ({ agencyId, primaryId } = await createAgency(app));
  clientId = await addSubAccount(app, agencyId);
});
afterAll(() => app.close());

/** A digest of every business table: equal before and after means the request changed nothing. */
async function digest(): Promise<Record<string, string>> {
  const tables: Array<{ name: string }> = await app.dataSource.query(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename !~ '(migrations|rate|limit)' ORDER BY 1`,
  );
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await app.dataSource.query(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM "${name}" t`,
    );
    result[name] = `${row.n}:${row.h}`;
  }
  return result;
}

/** Runs `send`, expects a BAD_USER_INPUT refusal matching `message`, and the database unchanged. */
async function expectRefused(send: () => Promise<GraphQLResponse>, message: RegExp, field?: string): Promise<GraphQLResponse> {
  const before = await digest();
  const response = await send();
  expect(response.errors?.[0]?.message).toMatch(message);
  expect(errorCode(response)).toBe('BAD_USER_INPUT');
  expect(response.status).toBe(400);
  expect(response.data).toBeUndefined();
  if (field !== undefined) expect(response.errors![0].extensions?.field).toBe(field);
  expect(JSON.stringify(response)).not.toMatch(/stacktrace|node_modules|\.ts:\d+/);
  expect(await digest()).toEqual(before);
  return response;
}

const transferInput = (extra: Record<string, unknown> = {}) => ({
  fromSubAccountId: primaryId, toSubAccountId: clientId, tier: 'PREMIUM', minutes: '1', idempotencyKey: key(), ...extra,
});

describe('text input over HTTP', () => {
  it.each([
    ['a lone high surrogate', `refund ${HIGH} x`, /lone UTF-16 surrogate \(U\+D800\) at position 7/],
    ['a lone low surrogate', `${LOW}refund`, /lone UTF-16 surrogate \(U\+DC00\) at position 0/],
    ['a high surrogate at the end', `refund \ud83d`, /lone UTF-16 surrogate \(U\+D83D\)/],
    ['a reversed pair', `\ude00\ud83d`, /lone UTF-16 surrogate \(U\+DE00\)/],
    ['a NUL', `refund${NUL}`, /NUL character \(U\+0000\)/],
  ])('should refuse a transfer memo with %s as BAD_USER_INPUT and move nothing', async (_case, memo, message) => {
    const response = await expectRefused(() => app.gql(TRANSFER, { input: transferInput({ memo }) }), message, 'input.memo');
    expect(response.errors![0].message).toMatch(/variable \$input\.memo/);
  });

  it('should refuse an idempotency key with a lone surrogate as BAD_USER_INPUT', async () => {
    await expectRefused(() => app.gql(TRANSFER, { input: transferInput({ idempotencyKey: `k-${HIGH}` }) }), /\$input\.idempotencyKey/);
  });

  it.each([
    ['name', { name: `Acme ${LOW}` }, 'input.name'],
    ['name', { name: `Acme${NUL}` }, 'input.name'],
    ['primaryLoginEmail', { primaryLoginEmail: `ops${HIGH}@acme.example` }, 'input.primaryLoginEmail'],
  ])('should refuse createAgency with a malformed %s and create nothing', async (_field, extra, field) => {
    const input = { name: 'Acme', planCode: 'AGENCY_LITE', primaryLoginEmail: uniqueEmail('ops'), ...extra };
    await expectRefused(() => app.gql(CREATE_AGENCY, { input }), /lone UTF-16 surrogate|NUL character/, field);
  });

  it('should refuse addSubAccount with a lone surrogate in the login email and add nothing', async () => {
    const input = { agencyId, name: 'Client', loginEmail: `c${LOW}@example.com` };
    await expectRefused(() => app.gql(ADD_SUB, { input }), /lone UTF-16 surrogate/, 'input.loginEmail');
  });

  it('should refuse a usage batch whose third call has a malformed externalCallId, and record none of them', async () => {
    const inputs = [0, 1, 2].map((i) => callInput({ subAccountId: clientId, externalCallId: i === 2 ? `call-${HIGH}` : undefined }));
    await expectRefused(() => app.gql(RECORD_BATCH, { inputs }), /variable \$inputs\[2\]\.externalCallId/, 'inputs[2].externalCallId');
  });

  it('should refuse malformed text deep inside a variable the operation does not even use', async () => {
    const junk = { a: [{ b: [[{ c: `x${LOW}` }]] }] };
    await expectRefused(() => app.gql(TRANSFER, { input: transferInput(), junk }), /\$junk\.a\[0\]\.b\[0\]\[0\]\.c/, 'junk.a[0].b[0][0].c');
  });

  it('should refuse a variable object key with a lone surrogate, showing it escaped', async () => {
    const response = await expectRefused(
      () => app.gql(TRANSFER, { input: transferInput(), junk: { nested: { [`k${HIGH}`]: 1 } } }),
      /a key of variable \$junk\.nested \("k\\\\ud800"\)/,
      'junk.nested',
    );
    expect(response.errors![0].message).not.toContain(HIGH);
  });

  it('should refuse a variable name with a NUL', async () => {
    await expectRefused(() => app.gql(TRANSFER, { input: transferInput(), [`v${NUL}`]: 1 }), /a variable name/);
  });

  it('should refuse a NUL written as an escape in an inline string literal, naming the argument', async () => {
    const document = `mutation {
      transferMinutes(input: { fromSubAccountId: "${primaryId}", toSubAccountId: "${clientId}", tier: PREMIUM, minutes: "1",
                               idempotencyKey: "${key()}", memo: "a\\u0000b" }) { transfer { id } userErrors { code } }
    }`;
    const response = await expectRefused(() => app.gql(document), /line 3, column \d+ \(argument input\.memo of field transferMinutes\)/, 'input.memo');
    expect(response.errors![0]).toHaveProperty('locations', [expect.objectContaining({ line: 3 })]);
  });

  it('should refuse a NUL in a variable default value', async () => {
    await expectRefused(
      () => app.gql(`mutation($memo: String = "\\u{0}") { transferMinutes(input: { fromSubAccountId: "${primaryId}",
        toSubAccountId: "${clientId}", tier: PREMIUM, minutes: "1", idempotencyKey: "${key()}", memo: $memo }) { userErrors { code } } }`),
      /the default value of \$memo/,
    );
  });

  it('should leave a lone surrogate written raw in the document to the parser: GRAPHQL_PARSE_FAILED, nothing changed', async () => {
    const before = await digest();
    const response = await app.gql(`mutation { transferMinutes(input: { memo: "${HIGH}" }) { userErrors { code } } }`);
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe('GRAPHQL_PARSE_FAILED');
    expect(await digest()).toEqual(before);
  });

  it('should refuse a body that is not valid UTF-8 instead of storing replacement characters', async () => {
    const json = Buffer.from(JSON.stringify({ query: TRANSFER, variables: { input: transferInput({ memo: 'MEMO' }) } }));
    const at = json.indexOf('MEMO');
    json[at] = 0xff; // never valid in UTF-8
    json[at + 1] = 0xfe;
    const before = await digest();
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${app.platformKey}` },
      body: json,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as GraphQLResponse;
    expect(body.errors?.[0]?.message).toMatch(/not valid UTF-8/);
    expect(await digest()).toEqual(before);
  });

  it('should refuse malformed text in the variables of a GET query', async () => {
    const query = 'query($id: ID!) { subAccount(id: $id) { id } }';
    const url = `${app.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent('{"id":"\\ud800"}')}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${app.platformKey}`, 'apollo-require-preflight': 'true' } });
    const body = (await response.json()) as GraphQLResponse;
    expect(response.status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toMatch(/variable \$id: it contains a lone UTF-16 surrogate/);
  });

  it('should let emoji, RTL marks and other well-formed text through where the fields allow them', async () => {
    const memo = 'Refund 😀👩🏽‍💻 \u200f\u202bשלום\u202c \u0627\u0644\u0633\u0644\u0627\u0645 ﷺ 𝄞';
    const transfer = ok(await app.gql(TRANSFER, { input: transferInput({ memo }) })).transferMinutes;
    expect(transfer.userErrors).toEqual([]);
    expect(transfer.transfer.memo).toBe(memo);
    const [row] = await app.dataSource.query(`SELECT memo FROM ledger_transfers WHERE id = $1`, [rawId(transfer.transfer.id)]);
    expect(row.memo).toBe(memo);

    const name = '\u200fמרפאה 🦷 Dental';
    const added = ok(await app.gql(ADD_SUB, { input: { agencyId, name, loginEmail: uniqueEmail('rtl') } })).addSubAccount;
    expect(added.userErrors).toEqual([]);
    expect(added.subAccount.name).toBe(name);
  });
});

describe('text input over WebSocket', () => {
  it('should refuse a mutation whose memo has a lone surrogate with BAD_USER_INPUT, and move nothing', async () => {
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const before = await digest();
      const received = subscribe(client, TRANSFER, { input: transferInput({ memo: `ws ${HIGH}` }) });
      await received.done;
      expect(received.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(received.errors[0]?.message).toMatch(/variable \$input\.memo: it contains a lone UTF-16 surrogate \(U\+D800\)/);
      expect(received.events).toEqual([]);
      expect(await digest()).toEqual(before);
    } finally {
      await client.dispose();
    }
  });

  it('should refuse a subscription with a NUL in its variables or literals', async () => {
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const byVariable = subscribe(client, `subscription($id: ID!) { agencyActivity(agencyId: $id) { __typename } }`, { id: `x${NUL}` });
      await byVariable.done;
      expect(byVariable.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const byLiteral = subscribe(client, `subscription { agencyActivity(agencyId: "\\u0000") { __typename } }`);
      await byLiteral.done;
      expect(byLiteral.errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(byLiteral.errors[0]?.message).toMatch(/argument agencyId of field agencyActivity/);
    } finally {
      await client.dispose();
    }
  });

  it('should still run a well-formed transfer with an emoji memo over the socket', async () => {
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const received = subscribe(client, TRANSFER, { input: transferInput({ memo: 'over ws 🚀 \u200f' }) });
      await received.done;
      expect(received.errors).toEqual([]);
      expect(received.events[0].transferMinutes.transfer.memo).toBe('over ws 🚀 \u200f');
    } finally {
      await client.dispose();
    }
  });
});
