import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { validEmail, validName, isUniqueViolation } from '../../shared/validation';
import { canManageAgency, canReadAgency, MANAGER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import { canChangeToPlan, findPlanOrThrow, fitsPlan, planNotAvailable } from '../plan/plan.service';
import { countActiveSubAccounts, insertSubAccount } from '../sub-account/sub-account.repository';
import { openWallet } from '../wallet/open-wallet';
import { openAgencyProfitAccount } from '../ledger/ledger.repository';
import type { PlanEntity } from '../plan/plan.entity';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import type { WalletEntity } from '../wallet/wallet.entity';
import type { AgencyEntity } from './agency.entity';
import { AgencyRepository, insertAgency, lockAgency, saveAgency } from './agency.repository';
import { decodeCursor, pageSize, toPage, type Page } from '../../shared/pagination';
import { systemClock, type Clock } from '../../shared/clock';
import { validMarkupMicros } from '../pricing/pricing';

export interface CreateAgencyCommand {
  name: string;
  planCode: string;
  primaryLoginEmail: string;
  planStartedAt?: Date | null;
}

/** The email index of migration InitialSchema: unique among active sub-accounts, case-insensitive. */
export const ACTIVE_EMAIL_INDEX = 'sub_accounts_active_email_idx';

export const emailTaken = (field: string[]) =>
  new DomainError(ErrorCode.EMAIL_TAKEN, 'An active sub-account already uses this login email', field);

/** Locks the agency row for the rest of the transaction: adds, restores and plan changes serialize on it. */
export async function lockManagedAgencyOrThrow(
  em: EntityManager,
  viewer: Viewer,
  agencyId: string | undefined,
  field: string[],
): Promise<AgencyEntity> {
  const agency = agencyId ? await lockAgency(em, agencyId) : null;
  if (!agency || !canManageAgency(viewer, agency.id)) throw notFound('Agency', field);
  return agency;
}

/**
 * What creating an agency asks of the plan allocation module, in the creation's transaction:
 * the plan's included minutes to the new primary (`grantIncludedMinutes`). Passed in by the
 * composition root (graphql/services.ts), so that agency/ does not import the module above it.
 */
export type GrantIncludedMinutes = (
  em: EntityManager,
  input: { agency: AgencyEntity; plan: PlanEntity; primary: SubAccountEntity; wallet: WalletEntity; at: Date },
) => Promise<void>;

export class AgencyService {
  private readonly repository: AgencyRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly grantIncludedMinutes: GrantIncludedMinutes,
    private readonly clock: Clock = systemClock,
  ) {
    this.repository = new AgencyRepository(dataSource);
  }

  /**
   * Creates the agency with its PRIMARY sub-account and that sub-account's wallet, all or nothing.
   * Platform admins only, and the one way onto a legacy plan (partners migrated onto PARTNER_LEGACY).
   */
  async create(viewer: Viewer, input: CreateAgencyCommand): Promise<AgencyEntity> {
    requireRole(viewer, ['PLATFORM_ADMIN']);
    const name = validName(input.name, ['name']);
    const loginEmail = validEmail(input.primaryLoginEmail, ['primaryLoginEmail']);
    const now = this.clock.now();
    const planStartedAt = input.planStartedAt ?? now;
    try {
      return await this.dataSource.transaction(async (em) => {
        const plan = await findPlanOrThrow(em, input.planCode, ['planCode']);
        const agency = await insertAgency(em, {
          name,
          planCode: plan.code,
          planStartedAt,
          defaultMarkupBasicMicros: 0n,
          defaultMarkupPremiumMicros: 0n,
        });
        const primary = await insertSubAccount(em, {
          agencyId: agency.id,
          kind: 'PRIMARY',
          status: 'ACTIVE',
          name,
          loginEmail,
          markupBasicMicros: null,
          markupPremiumMicros: null,
          applyBasePrice: true,
          subscriptionStartedAt: planStartedAt,
          removedAt: null,
          activeSince: now,
        });
        const wallet = await openWallet(em, agency.id, primary.id);
        await openAgencyProfitAccount(em, agency.id);
        await this.grantIncludedMinutes(em, { agency, plan, primary, wallet, at: now });
        return agency;
      });
    } catch (error) {
      if (isUniqueViolation(error, ACTIVE_EMAIL_INDEX)) throw emailTaken(['primaryLoginEmail']);
      throw error;
    }
  }

  /**
   * Moves the agency to another current plan; refused onto a legacy plan (PLAN_NOT_AVAILABLE,
   * for platform admins too) and when its active sub-accounts would not fit.
   */
  async changePlan(viewer: Viewer, input: { agencyId: string; planCode: string }): Promise<AgencyEntity> {
    requireRole(viewer, MANAGER_ROLES);
    return this.dataSource.transaction(async (em) => {
      const agency = await lockManagedAgencyOrThrow(em, viewer, decodeId(input.agencyId, 'Agency'), ['agencyId']);
      const plan = await findPlanOrThrow(em, input.planCode, ['planCode']);
      if (!canChangeToPlan(plan, agency.planCode)) throw planNotAvailable(plan, ['planCode']);
      const active = await countActiveSubAccounts(em, agency.id);
      if (!fitsPlan(plan, active)) {
        throw new DomainError(
          ErrorCode.PLAN_TOO_SMALL,
          `${plan.name} allows ${plan.subAccountLimit} sub-accounts and the agency has ${active} active; remove some first`,
          ['planCode'],
        );
      }
      agency.planCode = plan.code;
      return saveAgency(em, agency);
    });
  }

  /** Sets the default markup; every sub-account without its own override pays it from now on. */
  async setMarkup(viewer: Viewer, input: { agencyId: string; basic: string; premium: string }): Promise<AgencyEntity> {
    requireRole(viewer, MANAGER_ROLES);
    const basic = validMarkupMicros(input.basic, ['basic']);
    const premium = validMarkupMicros(input.premium, ['premium']);
    return this.dataSource.transaction(async (em) => {
      const agency = await lockManagedAgencyOrThrow(em, viewer, decodeId(input.agencyId, 'Agency'), ['agencyId']);
      agency.defaultMarkupBasicMicros = basic;
      agency.defaultMarkupPremiumMicros = premium;
      return saveAgency(em, agency);
    });
  }

  /** The agency if it exists and the viewer may read it; null otherwise (no difference shown). */
  async find(viewer: Viewer, globalId: string, load: (id: string) => Promise<AgencyEntity | undefined>): Promise<AgencyEntity | null> {
    const id = decodeId(globalId, 'Agency');
    const agency = id ? await load(id) : undefined;
    return agency && canReadAgency(viewer, agency.id) ? agency : null;
  }

  async list(viewer: Viewer, args: { first?: number | null; after?: string | null }): Promise<Page<AgencyEntity>> {
    requireRole(viewer, ['PLATFORM_ADMIN']);
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const { rows, totalCount } = await this.repository.page(after, limit + 1);
    return toPage(rows, limit, totalCount, after !== undefined);
  }
}
