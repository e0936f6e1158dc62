import type { DataSource } from 'typeorm';
import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AppConfig } from '../../config/config';
import { unauthenticated } from '../../shared/refusal';
import { decodeId } from '../../shared/global-id';
import { API_KEY_PREFIX, hashSecret, secretsEqual } from './api-key-secret';
import { ROLES, type Role, type Viewer } from './role';
import type { ApiKeyRevocations } from './api-key-revocations';
import { tokenLifetimeProblem } from './token-lifetime';
import { AgencyRepository } from '../agency/agency.repository';
import { findSubAccount } from '../sub-account/sub-account.repository';
import { activeKeyByHash } from './api-key.repository';

/**
 * Turns an `Authorization: Bearer …` value into a Viewer, or throws UNAUTHENTICATED.
 * Secrets starting with `vmk_` are API keys (looked up by hash on every request, so a
 * revocation applies to the next request); anything else is tried as a JWT when JWT
 * verification is configured.
 */
export class AuthService {
  private readonly jwks: JWTVerifyGetKey | undefined;
  private readonly jwtSecret: Uint8Array | undefined;

  private readonly agencies: AgencyRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: Pick<
      AppConfig,
      'platformAdminKey' | 'jwtSecret' | 'jwksUrl' | 'jwtIssuer' | 'jwtAudience' | 'jwtAlgorithms' | 'jwtMaxLifetimeSeconds'
    >,
    private readonly revocations?: ApiKeyRevocations,
  ) {
    this.agencies = new AgencyRepository(dataSource);
    // loadConfig refuses this already; a config built by hand (tests, tools) must not slip past it.
    if (config.jwksUrl && !config.jwtSecret && (!config.jwtIssuer || !config.jwtAudience)) {
      throw new Error('JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE');
    }
    this.jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined;
    this.jwtSecret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  }

  async authenticate(authorization: string | undefined): Promise<Viewer> {
    if (!authorization) throw unauthenticated();
    const match = /^Bearer\s+(\S{1,4096})$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <secret>"');
    const secret = match[1];
    if (this.config.platformAdminKey && secretsEqual(secret, this.config.platformAdminKey)) {
      return { role: 'PLATFORM_ADMIN', via: 'platform-key' };
    }
    if (secret.startsWith(API_KEY_PREFIX)) return this.fromApiKey(secret);
    if (this.jwtSecret || this.jwks) return this.fromJwt(secret);
    throw unauthenticated('Invalid credentials');
  }

  /**
   * Whether a viewer authenticated earlier (a WebSocket's connection_init) may still act: its
   * API key not revoked (through the revocation-aware cache, not a query per operation), its
   * JWT not past `exp`. Throws UNAUTHENTICATED otherwise. The platform key of the
   * configuration has nothing to re-check.
   */
  async recheck(viewer: Viewer, nowMs = Date.now()): Promise<void> {
    if (viewer.expiresAt && viewer.expiresAt.getTime() <= nowMs) throw unauthenticated('The token has expired');
    if (viewer.apiKeyId && this.revocations && !(await this.revocations.isActive(viewer.apiKeyId, nowMs))) {
      throw unauthenticated('The API key was revoked');
    }
  }

  private async fromApiKey(secret: string): Promise<Viewer> {
    const startedAtMs = Date.now();
    const key = await activeKeyByHash(this.dataSource, hashSecret(secret));
    if (!key) throw unauthenticated('Invalid or revoked API key');
    this.revocations?.noteActive(key.id, startedAtMs);
    return {
      role: key.role,
      agencyId: key.agencyId ?? undefined,
      subAccountId: key.subAccountId ?? undefined,
      apiKeyId: key.id,
      via: 'api-key',
    };
  }

  /**
   * JWT claims: `role` (one of Role), `agency_id` (Agency global id of an existing agency;
   * AGENCY_ADMIN and USAGE_INGEST), `sub_account_id` (SubAccount global id; CLIENT_ADMIN,
   * whose agency is read from the sub-account; an `agency_id` sent along must match it).
   * `exp` and `iat` are required, `exp - iat` at most JWT_MAX_LIFETIME_SECONDS. HS256 with
   * JWT_SECRET; with JWKS_URL only the asymmetric algorithms of JWT_ALGORITHMS (jose also
   * refuses a JWK whose type does not fit the token's `alg`), and `iss` and `aud` always.
   */
  private async fromJwt(token: string): Promise<Viewer> {
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        requiredClaims: ['exp', 'iat'],
      };
      payload = this.jwtSecret
        ? (await jwtVerify(token, this.jwtSecret, { ...options, algorithms: ['HS256'] })).payload
        : (await jwtVerify(token, this.jwks!, { ...options, algorithms: this.config.jwtAlgorithms })).payload;
    } catch {
      throw unauthenticated('Invalid or expired token');
    }
    const lifetimeProblem = tokenLifetimeProblem(payload, Math.floor(Date.now() / 1000), this.config.jwtMaxLifetimeSeconds);
    if (lifetimeProblem) throw unauthenticated(lifetimeProblem);
    const role = payload.role as Role;
    if (!ROLES.includes(role)) throw unauthenticated('The token has no valid `role` claim');
    const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    // `exp` is a required claim, checked by jwtVerify: a number of seconds.
    const expiresAt = new Date((payload.exp as number) * 1000);
    if (role === 'PLATFORM_ADMIN') return { role, subject, via: 'jwt', expiresAt };
    const agencyId = typeof payload.agency_id === 'string' ? decodeId(payload.agency_id, 'Agency') : undefined;
    if (role === 'CLIENT_ADMIN') {
      const subAccountId = typeof payload.sub_account_id === 'string' ? decodeId(payload.sub_account_id, 'SubAccount') : undefined;
      const sub = subAccountId ? await findSubAccount(this.dataSource.manager, subAccountId) : null;
      if (!sub) throw unauthenticated('The token has no valid `sub_account_id` claim');
      // An optional agency_id must agree with the sub-account: contradictory claims are a bad token, not a hint.
      if (payload.agency_id !== undefined && agencyId !== sub.agencyId) {
        throw unauthenticated('The token has no valid `agency_id` claim');
      }
      return { role, agencyId: sub.agencyId, subAccountId: sub.id, subject, via: 'jwt', expiresAt };
    }
    // Like sub_account_id above (and like API keys, whose agency is a foreign key), the agency must exist.
    const agencyExists = agencyId ? await this.agencies.exists(agencyId) : false;
    if (!agencyId || !agencyExists) throw unauthenticated('The token has no valid `agency_id` claim');
    return { role, agencyId, subject, via: 'jwt', expiresAt };
  }
}
