import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { validName } from '../../shared/validation';
import { requireRole } from '../auth/access';
import type { Role, Viewer } from '../auth/role';
import type { ScenarioEntity } from './scenario.entity';
import { countScenarios, insertScenario, scenarioNamed } from './scenario.repository';
import { lockSubAccount } from '../sub-account/sub-account.repository';

/** `SubAccount.scenarios` is a plain list: a sub-account has at most this many. */
export const MAX_SCENARIOS_PER_SUB_ACCOUNT = 1_000;

/**
 * Who may create a scenario: the agency (its admins and its voice platform's ingest keys,
 * which register campaigns before pushing their calls), the platform, and a client admin
 * for its own sub-account (its campaigns are its own).
 */
const SCENARIO_ROLES: readonly Role[] = ['PLATFORM_ADMIN', 'AGENCY_ADMIN', 'CLIENT_ADMIN', 'USAGE_INGEST'];

function canCreateScenario(viewer: Viewer, sub: { id: string; agencyId: string }): boolean {
  switch (viewer.role) {
    case 'PLATFORM_ADMIN':
      return true;
    case 'AGENCY_ADMIN':
    case 'USAGE_INGEST':
      return viewer.agencyId === sub.agencyId;
    case 'CLIENT_ADMIN':
      return viewer.subAccountId === sub.id;
    default:
      return false;
  }
}

export class ScenarioService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Creates a scenario, or returns the sub-account's scenario of that name (compared
   * case-insensitively): a retried create never makes a second one. The sub-account row is
   * locked (NO KEY UPDATE, which usage ingestion's KEY SHARE does not wait for) so
   * concurrent creates count and compare names one after another.
   */
  async create(viewer: Viewer, input: { subAccountId: string; name: string }): Promise<ScenarioEntity> {
    requireRole(viewer, SCENARIO_ROLES);
    const name = validName(input.name, ['name']);
    return this.dataSource.transaction(async (em) => {
      const id = decodeId(input.subAccountId, 'SubAccount');
      const sub = await lockSubAccount(em, id, 'no-key-update');
      if (!sub || !canCreateScenario(viewer, sub)) throw notFound('Sub-account', ['subAccountId']);
      if (sub.status === 'REMOVED') {
        throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'Restore the sub-account before adding scenarios', ['subAccountId']);
      }
      const existing = await scenarioNamed(em, sub.id, name);
      if (existing) return existing;
      const count = await countScenarios(em, sub.id);
      if (count >= MAX_SCENARIOS_PER_SUB_ACCOUNT) {
        throw new DomainError(
          ErrorCode.SCENARIO_LIMIT_REACHED,
          `A sub-account has at most ${MAX_SCENARIOS_PER_SUB_ACCOUNT} scenarios`,
          ['subAccountId'],
        );
      }
      return insertScenario(em, sub.id, name);
    });
  }
}
