import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { validName } from '../../shared/validation';
import { forbidden } from '../../shared/refusal';
import { findAgency } from '../agency/agency.repository';
import { findSubAccount } from '../sub-account/sub-account.repository';
import { canManageAgency, MANAGER_ROLES, requireRole } from './access';
import type { ApiKeyEntity } from './api-key.entity';
import { findApiKey, insertApiKey, lockApiKey, lockBootstrapAndCheckPlatformKey, saveApiKey } from './api-key.repository';
import { generateSecret, hashSecret } from './api-key-secret';
import type { Role, Viewer } from './role';
import { EventType, writeOutboxEvent } from '../outbox/outbox-writer';
import type { ApiKeyRevocations } from './api-key-revocations';

export interface CreateApiKeyCommand {
  name: string;
  role: Role;
  agencyId?: string | null;
  subAccountId?: string | null;
}

/**
 * API keys. The secret is returned once by `create` and only its SHA-256 is stored.
 * Platform admins create any key; agency admins create agency-scoped keys of their own
 * agency (never a platform key).
 */
export class ApiKeyService {
  /** @param revocations told of a revocation once it committed, so this replica's sockets refuse the key at once. */
  constructor(private readonly dataSource: DataSource, private readonly revocations?: ApiKeyRevocations) {}

  async create(viewer: Viewer, input: CreateApiKeyCommand): Promise<{ apiKey: ApiKeyEntity; secret: string }> {
    requireRole(viewer, MANAGER_ROLES);
    if (input.role === 'PLATFORM_ADMIN' && viewer.role !== 'PLATFORM_ADMIN') {
      throw forbidden('Only platform admins create platform admin keys');
    }
    const name = validName(input.name, ['name']);
    return this.dataSource.transaction(async (em) => {
      const scope = await this.resolveScope(em, viewer, input);
      const secret = generateSecret();
      const apiKey = await insertApiKey(em, {
        name,
        role: input.role,
        agencyId: scope.agencyId,
        subAccountId: scope.subAccountId,
        secretSha256: hashSecret(secret),
      });
      return { apiKey, secret };
    });
  }

  /**
   * Revocation applies to the very next request (keys are looked up on every request) and to
   * the next operation of every socket opened with the key; its sockets are closed on every
   * replica through the API_KEY_REVOKED event.
   */
  async revoke(viewer: Viewer, input: { id: string }): Promise<ApiKeyEntity> {
    requireRole(viewer, MANAGER_ROLES);
    const revoked = await this.dataSource.transaction(async (em) => {
      const id = decodeId(input.id, 'ApiKey');
      const key = id ? await lockApiKey(em, id) : null;
      const visible = key && (viewer.role === 'PLATFORM_ADMIN' || (key.agencyId !== null && canManageAgency(viewer, key.agencyId)));
      if (!key || !visible) throw notFound('API key', ['id']);
      if (key.revokedAt) throw new DomainError(ErrorCode.ALREADY_REVOKED, 'The API key is already revoked', ['id']);
      key.revokedAt = new Date();
      // Ends the subscriptions opened with this key, on every replica (never delivered to clients).
      await writeOutboxEvent(em, { type: EventType.API_KEY_REVOKED, agencyId: key.agencyId, refId: key.id });
      return saveApiKey(em, key);
    });
    this.revocations?.markRevoked(revoked.id);
    return revoked;
  }

  async find(viewer: Viewer, id: string): Promise<ApiKeyEntity | null> {
    const key = await findApiKey(this.dataSource, id);
    if (!key) return null;
    if (viewer.role === 'PLATFORM_ADMIN') return key;
    return key.agencyId !== null && canManageAgency(viewer, key.agencyId) ? key : null;
  }

  private async resolveScope(
    em: EntityManager,
    viewer: Viewer,
    input: CreateApiKeyCommand,
  ): Promise<{ agencyId: string | null; subAccountId: string | null }> {
    const scopeError = (message: string, field: string) => new DomainError(ErrorCode.INVALID_ROLE_SCOPE, message, [field]);
    if (input.role === 'PLATFORM_ADMIN') {
      if (input.agencyId || input.subAccountId) throw scopeError('A platform admin key belongs to no agency', 'agencyId');
      return { agencyId: null, subAccountId: null };
    }
    if (input.role === 'CLIENT_ADMIN') {
      if (!input.subAccountId) throw scopeError('A client admin key needs subAccountId', 'subAccountId');
      const id = decodeId(input.subAccountId, 'SubAccount');
      const sub = id ? await findSubAccount(em, id) : null;
      if (!sub || !canManageAgency(viewer, sub.agencyId)) throw notFound('Sub-account', ['subAccountId']);
      if (input.agencyId && decodeId(input.agencyId, 'Agency') !== sub.agencyId) {
        throw scopeError('The sub-account does not belong to that agency', 'agencyId');
      }
      return { agencyId: sub.agencyId, subAccountId: sub.id };
    }
    if (input.subAccountId) throw scopeError(`A ${input.role} key is scoped to an agency, not a sub-account`, 'subAccountId');
    if (!input.agencyId) throw scopeError(`A ${input.role} key needs agencyId`, 'agencyId');
    const agencyId = decodeId(input.agencyId, 'Agency');
    const agency = agencyId ? await findAgency(em, agencyId) : null;
    if (!agency || !canManageAgency(viewer, agency.id)) throw notFound('Agency', ['agencyId']);
    return { agencyId: agency.id, subAccountId: null };
  }
}

/**
 * On first start without PLATFORM_ADMIN_KEY and without any platform key in the database,
 * creates one and returns its secret (the caller prints it once). Serialized with an
 * advisory lock so two replicas starting together create one key.
 */
export async function ensureBootstrapPlatformKey(dataSource: DataSource): Promise<string | undefined> {
  return dataSource.transaction(async (em) => {
    if (await lockBootstrapAndCheckPlatformKey(em)) return undefined;
    const secret = generateSecret();
    await insertApiKey(em, {
      name: 'bootstrap platform admin',
      role: 'PLATFORM_ADMIN',
      agencyId: null,
      subAccountId: null,
      secretSha256: hashSecret(secret),
    });
    return secret;
  });
}
