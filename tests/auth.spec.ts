import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { startTestApp, ok, errorCode, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency } from './helpers/fixtures';
import { decodeId, toGlobalId } from '../src/shared/global-id';

/**
 * Authentication: the Authorization header, API keys (created once, stored as a hash,
 * revoked from the next request on), role scopes, and identity-provider JWTs.
 * One app with JWT verification configured: API keys and the platform key keep working
 * next to it, anything that is not a `vmk_` key is tried as a JWT.
 */
const JWT_SECRET = 'jwt-test-secret-' + randomBytes(24).toString('hex');
const JWT_ISSUER = 'https://idp.example.test/';
const JWT_AUDIENCE = 'voice-minutes-api';

type Role = 'PLATFORM_ADMIN' | 'AGENCY_ADMIN' | 'CLIENT_ADMIN' | 'USAGE_INGEST';

const CREATE_KEY = `mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id name role revokedAt agency { id } subAccount { id } } userErrors { code field message } }
}`;
const REVOKE_KEY = `mutation($id: ID!) {
  revokeApiKey(input: { id: $id }) { apiKey { id revokedAt } userErrors { code field message } }
}`;
const VIEWER = `{ viewer { role agency { id } subAccount { id } } }`;

describe('authentication and API keys', () => {
  let app: TestApp;
  let agencyA: string;
  let primaryA: string;
  let subA1: string;
  let agencyB: string;
  let subB1: string;
  let agencyAdminA: string;

  /** POSTs `{ viewer { role } }` with exactly the given headers (no default Authorization). */
  async function rawViewer(headers: Record<string, string>): Promise<GraphQLResponse> {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    const body = (await response.json()) as GraphQLResponse;
    return { status: response.status, data: body.data, errors: body.errors };
  }

  function expectUnauthenticated(response: GraphQLResponse): void {
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
    expect(response.data ?? null).toBeNull();
  }

  async function createKeyAs(token: string, input: Record<string, unknown>) {
    return app.gql(CREATE_KEY, { input: { name: 'test key', ...input } }, token);
  }

  async function newKey(input: { role: Role; agencyId?: string; subAccountId?: string }, token = app.platformKey) {
    const payload = ok(await createKeyAs(token, input)).createApiKey;
    expect(payload.userErrors).toEqual([]);
    return { id: payload.apiKey.id as string, secret: payload.secret as string };
  }

  async function apiKeyCount(): Promise<number> {
    const [{ count }] = await app.dataSource.query('SELECT count(*)::int AS count FROM api_keys');
    return count;
  }

  function jwt(
    claims: Record<string, unknown>,
    options: { secret?: string; expiresIn?: string | number | null; issuer?: string; audience?: string; issuedAt?: number | null } = {},
  ) {
    const token = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
    if (options.issuedAt !== null) token.setIssuedAt(options.issuedAt);
    token
      .setIssuer(options.issuer ?? JWT_ISSUER)
      .setAudience(options.audience ?? JWT_AUDIENCE);
    if (options.expiresIn !== null) token.setExpirationTime(options.expiresIn ?? '5m');
    return token.sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
  }

  beforeAll(async () => {
    app = await startTestApp({ jwtSecret: JWT_SECRET, jwtIssuer: JWT_ISSUER, jwtAudience: JWT_AUDIENCE });
    ({ agencyId: agencyA, primaryId: primaryA } = await createAgency(app));
    subA1 = await addSubAccount(app, agencyA);
    ({ agencyId: agencyB } = await createAgency(app));
    subB1 = await addSubAccount(app, agencyB);
    agencyAdminA = (await newKey({ role: 'AGENCY_ADMIN', agencyId: agencyA })).secret;
  });
  afterAll(() => app.close());

  describe('the Authorization header', () => {
    it('should refuse a request without an Authorization header with UNAUTHENTICATED and HTTP 401', async () => {
      expectUnauthenticated(await rawViewer({}));
    });

    it.each([
      ['an empty value', ''],
      ['a Basic scheme', 'Basic ' + Buffer.from('user:password').toString('base64')],
      ['the bare secret without a scheme', 'vmk_' + randomBytes(32).toString('base64url')],
      ['the scheme without a secret', 'Bearer'],
      ['the scheme and blanks only', 'Bearer    '],
      ['two tokens', 'Bearer one two'],
      ['a secret over 4,096 characters', 'Bearer vmk_' + 'a'.repeat(5000)],
    ])('should refuse a malformed header (%s) with UNAUTHENTICATED and HTTP 401', async (_label, value) => {
      expectUnauthenticated(await rawViewer({ authorization: value }));
    });

    it('should refuse an unknown API key with UNAUTHENTICATED and HTTP 401', async () => {
      expectUnauthenticated(await app.gql(VIEWER, {}, 'vmk_' + randomBytes(32).toString('base64url')));
    });

    it('should refuse an unknown secret that is neither an API key nor a JWT with UNAUTHENTICATED', async () => {
      expectUnauthenticated(await app.gql(VIEWER, {}, 'not-a-key-' + randomBytes(8).toString('hex')));
    });

    it('should refuse a near miss of the platform key with UNAUTHENTICATED', async () => {
      expectUnauthenticated(await app.gql(VIEWER, {}, app.platformKey.slice(0, -1)));
      expectUnauthenticated(await app.gql(VIEWER, {}, app.platformKey + 'x'));
    });

    it('should accept the scheme case-insensitively', async () => {
      const response = await rawViewer({ authorization: `bearer ${app.platformKey}` });
      expect(ok(response).viewer.role).toBe('PLATFORM_ADMIN');
    });

    it('should refuse a mutation without credentials and change nothing', async () => {
      const before = await apiKeyCount();
      const response = await app.gql(CREATE_KEY, { input: { name: 'sneaky', role: 'PLATFORM_ADMIN' } }, null);
      expectUnauthenticated(response);
      expect(await apiKeyCount()).toBe(before);
    });
  });

  describe('createApiKey', () => {
    it('should return the secret once and store only its SHA-256', async () => {
      const payload = ok(await createKeyAs(app.platformKey, { name: 'ingest bot', role: 'USAGE_INGEST', agencyId: agencyA })).createApiKey;
      expect(payload.userErrors).toEqual([]);
      expect(payload.secret).toMatch(/^vmk_[A-Za-z0-9_-]{43}$/);
      expect(payload.apiKey).toMatchObject({ name: 'ingest bot', role: 'USAGE_INGEST', revokedAt: null, agency: { id: agencyA }, subAccount: null });

      const rows = await app.dataSource.query('SELECT * FROM api_keys WHERE id = $1', [decodeId(payload.apiKey.id, 'ApiKey')]);
      expect(rows).toHaveLength(1);
      const row = rows[0];
      expect(Object.keys(row).sort()).toEqual(['agency_id', 'created_at', 'id', 'name', 'revoked_at', 'role', 'secret_sha256', 'sub_account_id']);
      expect(Buffer.compare(row.secret_sha256, createHash('sha256').update(payload.secret).digest())).toBe(0);
      const secretBody = payload.secret.slice('vmk_'.length);
      for (const value of Object.values(row)) {
        const text = Buffer.isBuffer(value) ? value.toString('latin1') + value.toString('hex') + value.toString('base64') : String(value);
        expect(text).not.toContain(secretBody);
      }
      // No other column of the table holds it either.
      const [{ hits }] = await app.dataSource.query(
        `SELECT count(*)::int AS hits FROM api_keys k WHERE position($1 in k::text) > 0`,
        [secretBody],
      );
      expect(hits).toBe(0);
    });

    it('should never show the secret again: the ApiKey type has no secret field', async () => {
      const { id } = await newKey({ role: 'USAGE_INGEST', agencyId: agencyA });
      const response = await app.gql(`query($id: ID!) { node(id: $id) { ... on ApiKey { secret } } }`, { id });
      expect(errorCode(response)).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(ok(await app.gql(`query($id: ID!) { node(id: $id) { id ... on ApiKey { name role } } }`, { id })).node).toEqual({
        id,
        name: 'test key',
        role: 'USAGE_INGEST',
      });
    });

    it('should give a different secret to every key', async () => {
      const secrets = await Promise.all([1, 2, 3].map(() => newKey({ role: 'USAGE_INGEST', agencyId: agencyA })));
      expect(new Set(secrets.map((s) => s.secret)).size).toBe(3);
    });

    it('should let an agency admin create agency admin, client admin and usage keys of its own agency', async () => {
      const agencyKey = await newKey({ role: 'AGENCY_ADMIN', agencyId: agencyA }, agencyAdminA);
      const clientKey = await newKey({ role: 'CLIENT_ADMIN', subAccountId: subA1 }, agencyAdminA);
      const usageKey = await newKey({ role: 'USAGE_INGEST', agencyId: agencyA }, agencyAdminA);
      expect(ok(await app.gql(VIEWER, {}, agencyKey.secret)).viewer).toEqual({ role: 'AGENCY_ADMIN', agency: { id: agencyA }, subAccount: null });
      expect(ok(await app.gql(VIEWER, {}, clientKey.secret)).viewer).toEqual({ role: 'CLIENT_ADMIN', agency: { id: agencyA }, subAccount: { id: subA1 } });
      expect(ok(await app.gql(VIEWER, {}, usageKey.secret)).viewer).toEqual({ role: 'USAGE_INGEST', agency: { id: agencyA }, subAccount: null });
    });

    it('should take a client admin key agency from its sub-account when agencyId is omitted or matches', async () => {
      const payload = ok(await createKeyAs(app.platformKey, { role: 'CLIENT_ADMIN', subAccountId: subA1, agencyId: agencyA })).createApiKey;
      expect(payload.userErrors).toEqual([]);
      expect(payload.apiKey).toMatchObject({ role: 'CLIENT_ADMIN', agency: { id: agencyA }, subAccount: { id: subA1 } });
    });

    it.each([
      ['a client admin key without subAccountId', () => ({ role: 'CLIENT_ADMIN', agencyId: agencyA }), ['subAccountId']],
      ['an agency admin key without agencyId', () => ({ role: 'AGENCY_ADMIN' }), ['agencyId']],
      ['a usage key without agencyId', () => ({ role: 'USAGE_INGEST' }), ['agencyId']],
      ['an agency admin key with a subAccountId', () => ({ role: 'AGENCY_ADMIN', agencyId: agencyA, subAccountId: subA1 }), ['subAccountId']],
      ['a platform admin key with an agencyId', () => ({ role: 'PLATFORM_ADMIN', agencyId: agencyA }), ['agencyId']],
      ['a platform admin key with a subAccountId', () => ({ role: 'PLATFORM_ADMIN', subAccountId: subA1 }), ['agencyId']],
      ['a client admin key whose sub-account is in another agency', () => ({ role: 'CLIENT_ADMIN', subAccountId: subB1, agencyId: agencyA }), ['agencyId']],
    ])('should refuse %s with INVALID_ROLE_SCOPE and create nothing', async (_label, input, field) => {
      const before = await apiKeyCount();
      const payload = ok(await createKeyAs(app.platformKey, input())).createApiKey;
      expect(payload).toMatchObject({ secret: null, apiKey: null, userErrors: [{ code: 'INVALID_ROLE_SCOPE', field }] });
      expect(await apiKeyCount()).toBe(before);
    });

    it('should refuse an agency admin a platform admin key with FORBIDDEN and create nothing', async () => {
      const before = await apiKeyCount();
      const response = await createKeyAs(agencyAdminA, { role: 'PLATFORM_ADMIN' });
      expect(errorCode(response)).toBe('FORBIDDEN');
      expect(response.data?.createApiKey ?? null).toBeNull();
      expect(await apiKeyCount()).toBe(before);
    });

    it.each([
      ['an agency admin key', () => ({ role: 'AGENCY_ADMIN', agencyId: agencyB }), ['agencyId']],
      ['a usage key', () => ({ role: 'USAGE_INGEST', agencyId: agencyB }), ['agencyId']],
      ['a client admin key', () => ({ role: 'CLIENT_ADMIN', subAccountId: subB1 }), ['subAccountId']],
    ])('should answer NOT_FOUND when an agency admin asks for %s of another agency, exactly as for a nonexistent id', async (_label, input, field) => {
      const before = await apiKeyCount();
      const foreign = ok(await createKeyAs(agencyAdminA, input())).createApiKey;
      expect(foreign).toMatchObject({ secret: null, apiKey: null, userErrors: [{ code: 'NOT_FOUND', field }] });
      const missingInput = { ...input() } as Record<string, unknown>;
      if (missingInput.agencyId) missingInput.agencyId = toGlobalId('Agency', randomUUID());
      if (missingInput.subAccountId) missingInput.subAccountId = toGlobalId('SubAccount', randomUUID());
      expect(ok(await createKeyAs(agencyAdminA, missingInput)).createApiKey).toEqual(foreign);
      expect(await apiKeyCount()).toBe(before);
    });

    it.each([
      ['a client admin', 'CLIENT_ADMIN'],
      ['a usage key', 'USAGE_INGEST'],
    ])('should refuse %s any createApiKey with FORBIDDEN', async (_label, role) => {
      const caller = await newKey(role === 'CLIENT_ADMIN' ? { role: 'CLIENT_ADMIN', subAccountId: subA1 } : { role: 'USAGE_INGEST', agencyId: agencyA });
      const before = await apiKeyCount();
      const response = await createKeyAs(caller.secret, { role: 'CLIENT_ADMIN', subAccountId: subA1 });
      expect(errorCode(response)).toBe('FORBIDDEN');
      expect(await apiKeyCount()).toBe(before);
    });

    it('should refuse a non-platform caller createAgency with FORBIDDEN', async () => {
      const response = await app.gql(
        `mutation { createAgency(input: { name: "Nope", planCode: "KICKSTART", primaryLoginEmail: "nope@example.com" }) { agency { id } } }`,
        {},
        agencyAdminA,
      );
      expect(errorCode(response)).toBe('FORBIDDEN');
    });
  });

  describe('revokeApiKey', () => {
    it('should stop a key from working on the very next request', async () => {
      const { id, secret } = await newKey({ role: 'AGENCY_ADMIN', agencyId: agencyA });
      expect(ok(await app.gql(VIEWER, {}, secret)).viewer.role).toBe('AGENCY_ADMIN');
      const payload = ok(await app.gql(REVOKE_KEY, { id })).revokeApiKey;
      expect(payload.userErrors).toEqual([]);
      expect(payload.apiKey.id).toBe(id);
      expect(new Date(payload.apiKey.revokedAt).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expectUnauthenticated(await app.gql(VIEWER, {}, secret));
    });

    it('should let an agency admin revoke the very key it is calling with', async () => {
      const { id, secret } = await newKey({ role: 'AGENCY_ADMIN', agencyId: agencyA });
      expect(ok(await app.gql(REVOKE_KEY, { id }, secret)).revokeApiKey.userErrors).toEqual([]);
      expectUnauthenticated(await app.gql(VIEWER, {}, secret));
    });

    it('should let an agency admin revoke a client admin key of its agency', async () => {
      const { id, secret } = await newKey({ role: 'CLIENT_ADMIN', subAccountId: subA1 });
      expect(ok(await app.gql(REVOKE_KEY, { id }, agencyAdminA)).revokeApiKey.userErrors).toEqual([]);
      expectUnauthenticated(await app.gql(VIEWER, {}, secret));
    });

    it('should refuse a revoked key with UNAUTHENTICATED on every later request', async () => {
      const { id, secret } = await newKey({ role: 'USAGE_INGEST', agencyId: agencyA });
      ok(await app.gql(REVOKE_KEY, { id }));
      for (const query of [VIEWER, '{ plans { code } }', CREATE_KEY]) {
        expectUnauthenticated(await app.gql(query, { input: { name: 'x', role: 'USAGE_INGEST', agencyId: agencyA } }, secret));
      }
    });

    it('should answer ALREADY_REVOKED for a key revoked before and keep its first revocation time', async () => {
      const { id } = await newKey({ role: 'USAGE_INGEST', agencyId: agencyA });
      const first = ok(await app.gql(REVOKE_KEY, { id })).revokeApiKey.apiKey.revokedAt;
      const again = ok(await app.gql(REVOKE_KEY, { id })).revokeApiKey;
      expect(again).toEqual({ apiKey: null, userErrors: [{ code: 'ALREADY_REVOKED', field: ['id'], message: expect.any(String) }] });
      const [row] = await app.dataSource.query('SELECT revoked_at FROM api_keys WHERE id = $1', [decodeId(id, 'ApiKey')]);
      expect(row.revoked_at.toISOString()).toBe(first);
    });

    it('should answer NOT_FOUND for an id that is not an API key', async () => {
      for (const id of [toGlobalId('ApiKey', randomUUID()), agencyA, 'garbage']) {
        expect(ok(await app.gql(REVOKE_KEY, { id })).revokeApiKey).toEqual({
          apiKey: null,
          userErrors: [{ code: 'NOT_FOUND', field: ['id'], message: expect.any(String) }],
        });
      }
    });

    it("should answer NOT_FOUND when an agency admin revokes another agency's key, exactly as for a nonexistent id, and the key keeps working", async () => {
      const foreignKey = await newKey({ role: 'AGENCY_ADMIN', agencyId: agencyB });
      const foreign = ok(await app.gql(REVOKE_KEY, { id: foreignKey.id }, agencyAdminA)).revokeApiKey;
      expect(foreign).toMatchObject({ apiKey: null, userErrors: [{ code: 'NOT_FOUND', field: ['id'] }] });
      const missing = ok(await app.gql(REVOKE_KEY, { id: toGlobalId('ApiKey', randomUUID()) }, agencyAdminA)).revokeApiKey;
      expect(missing).toEqual(foreign);
      expect(ok(await app.gql(VIEWER, {}, foreignKey.secret)).viewer).toEqual({ role: 'AGENCY_ADMIN', agency: { id: agencyB }, subAccount: null });
    });

    it('should answer NOT_FOUND when an agency admin revokes a platform key, and the key keeps working', async () => {
      const platformKey = await newKey({ role: 'PLATFORM_ADMIN' });
      expect(ok(await app.gql(REVOKE_KEY, { id: platformKey.id }, agencyAdminA)).revokeApiKey.userErrors).toMatchObject([{ code: 'NOT_FOUND' }]);
      expect(ok(await app.gql(VIEWER, {}, platformKey.secret)).viewer.role).toBe('PLATFORM_ADMIN');
    });

    it('should refuse a client admin any revokeApiKey with FORBIDDEN, even of its own key', async () => {
      const { id, secret } = await newKey({ role: 'CLIENT_ADMIN', subAccountId: subA1 });
      expect(errorCode(await app.gql(REVOKE_KEY, { id }, secret))).toBe('FORBIDDEN');
      expect(ok(await app.gql(VIEWER, {}, secret)).viewer.role).toBe('CLIENT_ADMIN');
    });
  });

  describe('the viewer of an API key', () => {
    it.each([
      ['PLATFORM_ADMIN', () => ({}), () => ({ agency: null, subAccount: null })],
      ['AGENCY_ADMIN', () => ({ agencyId: agencyA }), () => ({ agency: { id: agencyA }, subAccount: null })],
      ['CLIENT_ADMIN', () => ({ subAccountId: subA1 }), () => ({ agency: { id: agencyA }, subAccount: { id: subA1 } })],
      ['USAGE_INGEST', () => ({ agencyId: agencyB }), () => ({ agency: { id: agencyB }, subAccount: null })],
    ] as const)('should show role, agency and sub-account of a %s key', async (role, scope, expected) => {
      const { secret } = await newKey({ role, ...scope() });
      expect(ok(await app.gql(VIEWER, {}, secret)).viewer).toEqual({ role, ...expected() });
    });

    it('should show the platform key as a platform admin without agency', async () => {
      expect(ok(await app.gql(VIEWER)).viewer).toEqual({ role: 'PLATFORM_ADMIN', agency: null, subAccount: null });
    });
  });

  describe('JWTs from the identity provider', () => {
    it.each([
      ['PLATFORM_ADMIN', () => ({}), () => ({ agency: null, subAccount: null })],
      ['AGENCY_ADMIN', () => ({ agency_id: agencyA }), () => ({ agency: { id: agencyA }, subAccount: null })],
      ['CLIENT_ADMIN', () => ({ sub_account_id: subA1 }), () => ({ agency: { id: agencyA }, subAccount: { id: subA1 } })],
      ['USAGE_INGEST', () => ({ agency_id: agencyB }), () => ({ agency: { id: agencyB }, subAccount: null })],
    ] as const)('should authenticate a %s token and show its scope in viewer', async (role, claims, expected) => {
      const token = await jwt({ role, ...claims() });
      expect(ok(await app.gql(VIEWER, {}, token)).viewer).toEqual({ role, ...expected() });
    });

    it('should apply the same tenancy to a token as to a key: an agency admin token sees its agency, not another', async () => {
      const token = await jwt({ role: 'AGENCY_ADMIN', agency_id: agencyA });
      const query = `query($a: ID!, $b: ID!) { a: agency(id: $a) { id } b: agency(id: $b) { id } }`;
      expect(ok(await app.gql(query, { a: agencyA, b: agencyB }, token))).toEqual({ a: { id: agencyA }, b: null });
    });

    it('should refuse a client admin token any mutation with FORBIDDEN', async () => {
      const token = await jwt({ role: 'CLIENT_ADMIN', sub_account_id: subA1 });
      const response = await app.gql(
        `mutation($id: ID!) { updateSubAccount(input: { id: $id, name: "Renamed" }) { subAccount { id } } }`,
        { id: subA1 },
        token,
      );
      expect(errorCode(response)).toBe('FORBIDDEN');
    });

    it.each([
      ['an expired token', () => jwt({ role: 'PLATFORM_ADMIN' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
      ['a token without exp', () => jwt({ role: 'PLATFORM_ADMIN' }, { expiresIn: null })],
      ['a token without iat', () => jwt({ role: 'PLATFORM_ADMIN' }, { issuedAt: null })],
      ['a token living longer than JWT_MAX_LIFETIME_SECONDS (24 h)', () => jwt({ role: 'PLATFORM_ADMIN' }, { expiresIn: '25h' })],
      ['a token issued in the future', () => {
        const inAnHour = Math.floor(Date.now() / 1000) + 3600;
        return jwt({ role: 'PLATFORM_ADMIN' }, { issuedAt: inAnHour, expiresIn: inAnHour + 300 });
      }],
      ['a token signed with another secret', () => jwt({ role: 'PLATFORM_ADMIN' }, { secret: 'another-secret-of-enough-length-' + randomUUID() })],
      ['a token of another issuer', () => jwt({ role: 'PLATFORM_ADMIN' }, { issuer: 'https://evil.example.test/' })],
      ['a token for another audience', () => jwt({ role: 'PLATFORM_ADMIN' }, { audience: 'another-api' })],
      ['an unsigned token (alg none)', async () => {
        const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const exp = Math.floor(Date.now() / 1000) + 300;
        return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ role: 'PLATFORM_ADMIN', exp, iss: JWT_ISSUER, aud: JWT_AUDIENCE })}.`;
      }],
      ['a token with its payload altered after signing', async () => {
        const [header, , signature] = (await jwt({ role: 'USAGE_INGEST', agency_id: agencyA })).split('.');
        const exp = Math.floor(Date.now() / 1000) + 300;
        const payload = Buffer.from(JSON.stringify({ role: 'PLATFORM_ADMIN', exp, iss: JWT_ISSUER, aud: JWT_AUDIENCE })).toString('base64url');
        return `${header}.${payload}.${signature}`;
      }],
      ['a token without a role', () => jwt({ agency_id: agencyA })],
      ['a token with an unknown role', () => jwt({ role: 'SUPER_ADMIN' })],
      ['a token with a lower-case role', () => jwt({ role: 'platform_admin' })],
      ['an agency admin token without agency_id', () => jwt({ role: 'AGENCY_ADMIN' })],
      ['an agency admin token with a malformed agency_id', () => jwt({ role: 'AGENCY_ADMIN', agency_id: 'not-an-id' })],
      ['an agency admin token with a raw uuid as agency_id', () => jwt({ role: 'AGENCY_ADMIN', agency_id: decodeId(agencyA, 'Agency') })],
      ['an agency admin token whose agency_id is a sub-account id', () => jwt({ role: 'AGENCY_ADMIN', agency_id: primaryA })],
      ['an agency admin token whose agency does not exist', () => jwt({ role: 'AGENCY_ADMIN', agency_id: toGlobalId('Agency', randomUUID()) })],
      ['a usage token whose agency does not exist', () => jwt({ role: 'USAGE_INGEST', agency_id: toGlobalId('Agency', randomUUID()) })],
      ['an agency admin token with a numeric agency_id', () => jwt({ role: 'AGENCY_ADMIN', agency_id: 42 })],
      ['a client admin token without sub_account_id', () => jwt({ role: 'CLIENT_ADMIN', agency_id: agencyA })],
      ['a client admin token whose sub-account does not exist', () => jwt({ role: 'CLIENT_ADMIN', sub_account_id: toGlobalId('SubAccount', randomUUID()) })],
      ['a client admin token whose agency_id contradicts its sub-account', () => jwt({ role: 'CLIENT_ADMIN', sub_account_id: subA1, agency_id: agencyB })],
    ])('should refuse %s with UNAUTHENTICATED and HTTP 401', async (_label, token) => {
      expectUnauthenticated(await app.gql(VIEWER, {}, await token()));
    });

    it('should accept a client admin token whose agency_id matches its sub-account', async () => {
      const token = await jwt({ role: 'CLIENT_ADMIN', sub_account_id: subA1, agency_id: agencyA });
      expect(ok(await app.gql(VIEWER, {}, token)).viewer).toEqual({ role: 'CLIENT_ADMIN', agency: { id: agencyA }, subAccount: { id: subA1 } });
    });

    it('should keep accepting API keys and the platform key while JWTs are configured', async () => {
      expect(ok(await app.gql(VIEWER, {}, agencyAdminA)).viewer.role).toBe('AGENCY_ADMIN');
      expect(ok(await app.gql(VIEWER)).viewer.role).toBe('PLATFORM_ADMIN');
    });
  });
});
