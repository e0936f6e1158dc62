import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { startTestApp, ok, errorCode, type GraphQLResponse, type TestApp } from './helpers/test-app';
import { createAgency } from './helpers/fixtures';
import { CLOCK_TOLERANCE_SECONDS } from '../src/modules/auth/token-lifetime';

/**
 * JWTs verified against an identity provider's JWKS, served here by a local HTTP server:
 * only the allowed asymmetric algorithms, `iss` and `aud` always, `iat` required and a
 * lifetime of at most JWT_MAX_LIFETIME_SECONDS.
 */
const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'voice-minutes-api';
const MAX_LIFETIME = 3600;
const VIEWER = `{ viewer { role agency { id } } }`;

type Alg = 'RS256' | 'ES256' | 'EdDSA' | 'PS256' | 'ES384';

interface SigningKey {
  alg: Alg;
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function signingKey(alg: Alg, kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } };
}

describe('JWTs verified with a JWKS', () => {
  let app: TestApp;
  let jwksServer: http.Server;
  const keys = {} as Record<Alg, SigningKey>;
  let agencyId: string;

  const now = () => Math.floor(Date.now() / 1000);

  interface TokenOptions {
    key?: SigningKey;
    /** The `alg` written in the header (default: the key's). */
    alg?: string;
    issuer?: string | null;
    audience?: string | null;
    iat?: number | null;
    exp?: number;
  }

  function token(claims: Record<string, unknown>, options: TokenOptions = {}): Promise<string> {
    const key = options.key ?? keys.RS256;
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? key.alg, kid: key.kid });
    if (options.issuer !== null) jwt.setIssuer(options.issuer ?? ISSUER);
    if (options.audience !== null) jwt.setAudience(options.audience ?? AUDIENCE);
    if (options.iat !== null) jwt.setIssuedAt(options.iat ?? now());
    jwt.setExpirationTime(options.exp ?? now() + 300);
    return jwt.sign(key.privateKey);
  }

  function expectUnauthenticated(response: GraphQLResponse): void {
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
    expect(response.data ?? null).toBeNull();
  }

  beforeAll(async () => {
    for (const [alg, kid] of [['RS256', 'rsa'], ['ES256', 'ec'], ['EdDSA', 'ed'], ['PS256', 'rsa-pss'], ['ES384', 'ec384']] as const) {
      keys[alg] = await signingKey(alg, kid);
    }
    // The provider publishes every key, the not-allowed ones too: the allow-list alone must refuse them.
    const body = JSON.stringify({ keys: Object.values(keys).map((k) => k.jwk) });
    jwksServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    app = await startTestApp({
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      jwtIssuer: ISSUER,
      jwtAudience: AUDIENCE,
      jwtAlgorithms: ['RS256', 'ES256', 'EdDSA'],
      jwtMaxLifetimeSeconds: MAX_LIFETIME,
    });
    ({ agencyId } = await createAgency(app));
  });
  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)('should accept a good %s token', async (alg) => {
    const response = await app.gql(VIEWER, {}, await token({ role: 'AGENCY_ADMIN', agency_id: agencyId }, { key: keys[alg] }));
    expect(ok(response).viewer).toEqual({ role: 'AGENCY_ADMIN', agency: { id: agencyId } });
  });

  it('should accept a token of exactly the maximum lifetime, and one issued within the clock tolerance ahead', async () => {
    const iat = now() - 10;
    expect(ok(await app.gql(VIEWER, {}, await token({ role: 'PLATFORM_ADMIN' }, { iat, exp: iat + MAX_LIFETIME }))).viewer.role).toBe(
      'PLATFORM_ADMIN',
    );
    const ahead = now() + CLOCK_TOLERANCE_SECONDS - 5;
    expect(ok(await app.gql(VIEWER, {}, await token({ role: 'PLATFORM_ADMIN' }, { iat: ahead, exp: ahead + 300 }))).viewer.role).toBe(
      'PLATFORM_ADMIN',
    );
  });

  it.each([
    ['a PS256 token (a published key, but not an allowed algorithm)', () => token({ role: 'PLATFORM_ADMIN' }, { key: keys.PS256 })],
    ['an ES384 token (a published key, but not an allowed algorithm)', () => token({ role: 'PLATFORM_ADMIN' }, { key: keys.ES384 })],
    ['an HS256 token keyed with the public RSA key (algorithm confusion)', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(keys.RS256.jwk));
      return new SignJWT({ role: 'PLATFORM_ADMIN' })
        .setProtectedHeader({ alg: 'HS256', kid: keys.RS256.kid })
        .setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('5m')
        .sign(secret);
    }],
    ['an unsigned token (alg none)', async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${encode({ alg: 'none', kid: keys.RS256.kid })}.${encode({ role: 'PLATFORM_ADMIN', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 300 })}.`;
    }],
    ['a token whose kid names a key of another type', () => token({ role: 'PLATFORM_ADMIN' }, { key: { ...keys.ES256, kid: keys.RS256.kid } })],
    ['a token signed by a key the provider does not publish', async () => token({ role: 'PLATFORM_ADMIN' }, { key: await signingKey('RS256', 'rsa') })],
    ['a token without iss', () => token({ role: 'PLATFORM_ADMIN' }, { issuer: null })],
    ['a token without aud', () => token({ role: 'PLATFORM_ADMIN' }, { audience: null })],
    ['a token of another issuer', () => token({ role: 'PLATFORM_ADMIN' }, { issuer: 'https://evil.example.test/' })],
    ['a token for another audience', () => token({ role: 'PLATFORM_ADMIN' }, { audience: 'another-api' })],
    ['a token without iat', () => token({ role: 'PLATFORM_ADMIN' }, { iat: null })],
    ['a token living longer than the maximum', () => token({ role: 'PLATFORM_ADMIN' }, { iat: now(), exp: now() + MAX_LIFETIME + 1 })],
    ['a token living a year, issued long ago', () => token({ role: 'PLATFORM_ADMIN' }, { iat: now() - 86_400, exp: now() + 365 * 86_400 })],
    ['a token issued in the future', () => token({ role: 'PLATFORM_ADMIN' }, { iat: now() + CLOCK_TOLERANCE_SECONDS + 120, exp: now() + 600 })],
    ['an expired token', () => token({ role: 'PLATFORM_ADMIN' }, { iat: now() - 600, exp: now() - 60 })],
  ])('should refuse %s with UNAUTHENTICATED and HTTP 401', async (_label, make) => {
    expectUnauthenticated(await app.gql(VIEWER, {}, await make()));
  });

  it('should keep accepting API keys and the platform key next to the JWKS', async () => {
    expect(ok(await app.gql(VIEWER)).viewer.role).toBe('PLATFORM_ADMIN');
  });
});
