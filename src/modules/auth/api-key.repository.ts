import type { DataSource, EntityManager } from 'typeorm';
import { queryPrepared } from '../../db/prepared-statements';
import { ApiKeyEntity } from './api-key.entity';
import type { Role } from './role';

/** What authenticating a request needs of its key. */
export interface ActiveKey {
  id: string;
  role: Role;
  agencyId: string | null;
  subAccountId: string | null;
}

/**
 * The unrevoked key with this secret hash. Every request runs it: a named prepared statement
 * reading only what a viewer needs (the query builder and entity hydration cost more CPU
 * than the lookup itself).
 */
export async function activeKeyByHash(dataSource: DataSource, secretSha256: Buffer): Promise<ActiveKey | undefined> {
  const [key] = await queryPrepared<{ id: string; role: Role; agency_id: string | null; sub_account_id: string | null }>(
    dataSource,
    'SELECT id, role, agency_id, sub_account_id FROM api_keys WHERE secret_sha256 = $1 AND revoked_at IS NULL',
    [secretSha256],
  );
  return key && { id: key.id, role: key.role, agencyId: key.agency_id, subAccountId: key.sub_account_id };
}

export function insertApiKey(
  em: EntityManager,
  fields: Pick<ApiKeyEntity, 'name' | 'role' | 'agencyId' | 'subAccountId' | 'secretSha256'>,
): Promise<ApiKeyEntity> {
  return em.save(em.create(ApiKeyEntity, { ...fields, revokedAt: null }));
}

/** The key locked (FOR UPDATE) until the transaction ends: two revocations of one key serialize. */
export function lockApiKey(em: EntityManager, id: string): Promise<ApiKeyEntity | null> {
  return em.createQueryBuilder(ApiKeyEntity, 'k').setLock('pessimistic_write').where('k.id = :id', { id }).getOne();
}

export function saveApiKey(em: EntityManager, key: ApiKeyEntity): Promise<ApiKeyEntity> {
  return em.save(key);
}

export function findApiKey(dataSource: DataSource, id: string): Promise<ApiKeyEntity | null> {
  return dataSource.getRepository(ApiKeyEntity).findOneBy({ id });
}

/**
 * Whether any platform admin key exists, with the bootstrap's advisory lock held until the
 * transaction ends: two replicas starting together create one bootstrap key.
 */
export async function lockBootstrapAndCheckPlatformKey(em: EntityManager): Promise<boolean> {
  await em.query(`SELECT pg_advisory_xact_lock(hashtext('bootstrap-platform-key'))`);
  return em.getRepository(ApiKeyEntity).existsBy({ role: 'PLATFORM_ADMIN' });
}
