import type { DataSource, EntityManager } from 'typeorm';
import { DomainError, ErrorCode, notFound } from '../../shared/domain-error';
import { decodeId } from '../../shared/global-id';
import { isUniqueViolation, validEmail, validName } from '../../shared/validation';
import { canManageAgency, canReadSubAccount, MANAGER_ROLES, requireAgencyWideAccess, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';
import { findPlanOrThrow, fitsPlan } from '../plan/plan.service';
import { openWallet } from '../wallet/open-wallet';
import { sweepToPrimary } from '../wallet/sweep-to-primary';
import { ACTIVE_EMAIL_INDEX, emailTaken, lockManagedAgencyOrThrow } from '../agency/agency.service';
import type { AgencyEntity } from '../agency/agency.entity';
import { SubAccountEntity, type SubAccountStatus } from './sub-account.entity';
import { decodeCursor, pageSize, toPage, type Page } from '../../shared/pagination';
import {
  activeLoginEmailTaken, countActiveSubAccounts, findSubAccount, insertSubAccount, lockSubAccount, saveSubAccount, SubAccountRepository,
  type AgencyWithPage, type SubAccountPageQuery, type SubAccountPageRows,
} from './sub-account.repository';
import type { WalletEntity } from '../wallet/wallet.entity';
import type { LedgerAccountEntity } from '../ledger/ledger.entities';
import { EventType, writeOutboxEvent } from '../outbox/outbox-writer';
import { systemClock, type Clock } from '../../shared/clock';
import { badUserInput } from '../../shared/refusal';
import { validMarkupMicros } from '../pricing/pricing';

export interface AddSubAccountCommand {
  agencyId: string;
  name: string;
  loginEmail: string;
  markupBasic?: string | null;
  markupPremium?: string | null;
  applyBasePrice?: boolean | null;
  subscriptionStartedAt?: Date | null;
}

/** `undefined` leaves a field as it is; `null` markups go back to following the agency default. */
export interface UpdateSubAccountCommand {
  id: string;
  name?: string | null;
  loginEmail?: string | null;
  markupBasic?: string | null;
  markupPremium?: string | null;
  applyBasePrice?: boolean | null;
}

export interface SubAccountListArgs {
  first?: number | null;
  after?: string | null;
  status?: SubAccountStatus | null;
  search?: string | null;
}

const planLimitReached = (limit: number | null) =>
  new DomainError(
    ErrorCode.PLAN_LIMIT_REACHED,
    `The plan allows ${limit} sub-accounts (the primary included); remove one or change the plan`,
  );

async function assertEmailFree(em: EntityManager, loginEmail: string, exceptId: string | undefined, field: string[]) {
  if (await activeLoginEmailTaken(em, loginEmail, exceptId)) throw emailTaken(field);
}

/** A page of sub-accounts and, read with it, their wallets and the wallets' ledger accounts. */
export type SubAccountPage = Page<SubAccountEntity> & { wallets: WalletEntity[]; ledgerAccounts: LedgerAccountEntity[] };

/** Escapes LIKE wildcards so a search for "50%" means the characters. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => '\\' + c)}%`;

export class SubAccountService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock = systemClock,
    private readonly repository = new SubAccountRepository(dataSource),
  ) {}

  /**
   * Adds a SECONDARY sub-account. The agency row is locked first, so concurrent adds
   * count active sub-accounts one after another and never overshoot the plan's cap.
   */
  async add(viewer: Viewer, input: AddSubAccountCommand): Promise<SubAccountEntity> {
    requireRole(viewer, MANAGER_ROLES);
    const name = validName(input.name, ['name']);
    const loginEmail = validEmail(input.loginEmail, ['loginEmail']);
    const markupBasic = input.markupBasic == null ? null : validMarkupMicros(input.markupBasic, ['markupBasic']);
    const markupPremium = input.markupPremium == null ? null : validMarkupMicros(input.markupPremium, ['markupPremium']);
    return this.withEmailIndex(['loginEmail'], () =>
      this.dataSource.transaction(async (em) => {
        const agency = await lockManagedAgencyOrThrow(em, viewer, decodeId(input.agencyId, 'Agency'), ['agencyId']);
        await this.assertSlotFree(em, agency);
        await assertEmailFree(em, loginEmail, undefined, ['loginEmail']);
        const now = this.clock.now();
        const sub = await insertSubAccount(em, {
          agencyId: agency.id,
          kind: 'SECONDARY',
          status: 'ACTIVE',
          name,
          loginEmail,
          markupBasicMicros: markupBasic,
          markupPremiumMicros: markupPremium,
          applyBasePrice: input.applyBasePrice ?? false,
          subscriptionStartedAt: input.subscriptionStartedAt ?? now,
          removedAt: null,
          // Not subscriptionStartedAt: the client chooses that one, and the grant rule must not be steerable.
          activeSince: now,
        });
        await openWallet(em, agency.id, sub.id);
        await writeOutboxEvent(em, { type: EventType.SUB_ACCOUNT_ADDED, agencyId: agency.id, subAccountId: sub.id });
        return sub;
      }),
    );
  }

  async update(viewer: Viewer, input: UpdateSubAccountCommand): Promise<SubAccountEntity> {
    requireRole(viewer, MANAGER_ROLES);
    const name = input.name == null ? undefined : validName(input.name, ['name']);
    const loginEmail = input.loginEmail == null ? undefined : validEmail(input.loginEmail, ['loginEmail']);
    const markupBasic = input.markupBasic == null ? input.markupBasic : validMarkupMicros(input.markupBasic, ['markupBasic']);
    const markupPremium =
      input.markupPremium == null ? input.markupPremium : validMarkupMicros(input.markupPremium, ['markupPremium']);
    return this.withEmailIndex(['loginEmail'], () =>
      this.dataSource.transaction(async (em) => {
        const sub = await this.lockManagedOrThrow(em, viewer, input.id);
        if (sub.status === 'REMOVED') {
          throw new DomainError(ErrorCode.SUB_ACCOUNT_REMOVED, 'Restore the sub-account before editing it', ['id']);
        }
        const changesPricing = markupBasic !== undefined || markupPremium !== undefined || input.applyBasePrice === false;
        if (sub.kind === 'PRIMARY' && changesPricing) {
          throw new DomainError(ErrorCode.PRIMARY_PAYS_BASE_PRICE, 'The primary sub-account always pays the base price', [
            markupBasic !== undefined ? 'markupBasic' : markupPremium !== undefined ? 'markupPremium' : 'applyBasePrice',
          ]);
        }
        if (loginEmail !== undefined && loginEmail.toLowerCase() !== sub.loginEmail.toLowerCase()) {
          await assertEmailFree(em, loginEmail, sub.id, ['loginEmail']);
        }
        if (name !== undefined) sub.name = name;
        if (loginEmail !== undefined) sub.loginEmail = loginEmail;
        if (markupBasic !== undefined) sub.markupBasicMicros = markupBasic;
        if (markupPremium !== undefined) sub.markupPremiumMicros = markupPremium;
        if (input.applyBasePrice != null) sub.applyBasePrice = input.applyBasePrice;
        await writeOutboxEvent(em, { type: EventType.SUB_ACCOUNT_UPDATED, agencyId: sub.agencyId, subAccountId: sub.id });
        return saveSubAccount(em, sub);
      }),
    );
  }

  /** Soft removal: frees a plan slot and keeps the row and its history. */
  async remove(viewer: Viewer, input: { id: string }): Promise<SubAccountEntity> {
    requireRole(viewer, MANAGER_ROLES);
    return this.dataSource.transaction(async (em) => {
      const sub = await this.lockManagedOrThrow(em, viewer, input.id);
      if (sub.kind === 'PRIMARY') {
        throw new DomainError(ErrorCode.PRIMARY_NOT_REMOVABLE, 'The primary sub-account cannot be removed', ['id']);
      }
      if (sub.status === 'REMOVED') throw new DomainError(ErrorCode.ALREADY_REMOVED, 'The sub-account is already removed', ['id']);
      sub.status = 'REMOVED';
      sub.removedAt = this.clock.now();
      await saveSubAccount(em, sub);
      await sweepToPrimary(em, sub);
      await writeOutboxEvent(em, { type: EventType.SUB_ACCOUNT_REMOVED, agencyId: sub.agencyId, subAccountId: sub.id });
      return sub;
    });
  }

  /**
   * Brings a removed sub-account back while the plan has a free slot and its email is still free.
   * A new active period starts: the monthly secondary grant of a cycle that began before it is not given again.
   */
  async restore(viewer: Viewer, input: { id: string }): Promise<SubAccountEntity> {
    requireRole(viewer, MANAGER_ROLES);
    return this.withEmailIndex(['id'], () =>
      this.dataSource.transaction(async (em) => {
        const found = await this.findManagedOrThrow(em, viewer, input.id);
        // Same lock order as add(): agency first, then the sub-account.
        const agency = await lockManagedAgencyOrThrow(em, viewer, found.agencyId, ['id']);
        const sub = await this.lockManagedOrThrow(em, viewer, input.id);
        if (sub.status === 'ACTIVE') throw new DomainError(ErrorCode.NOT_REMOVED, 'The sub-account is not removed', ['id']);
        await this.assertSlotFree(em, agency);
        await assertEmailFree(em, sub.loginEmail, sub.id, ['id']);
        sub.status = 'ACTIVE';
        sub.removedAt = null;
        sub.activeSince = this.clock.now();
        await writeOutboxEvent(em, { type: EventType.SUB_ACCOUNT_RESTORED, agencyId: sub.agencyId, subAccountId: sub.id });
        return saveSubAccount(em, sub);
      }),
    );
  }

  /** The sub-account if it exists and the viewer may read it; null otherwise (no difference shown). */
  async find(
    viewer: Viewer,
    globalId: string,
    load: (id: string) => Promise<SubAccountEntity | undefined>,
  ): Promise<SubAccountEntity | null> {
    const id = decodeId(globalId, 'SubAccount');
    const sub = id ? await load(id) : undefined;
    return sub && canReadSubAccount(viewer, sub) ? sub : null;
  }

  /**
   * The page a `subAccounts(…)` selection asks for, validated: the one place its arguments
   * become a query, for the field itself and for a parent that reads ahead.
   */
  pageQuery(viewer: Viewer, agencyId: string, args: SubAccountListArgs): SubAccountPageQuery {
    requireAgencyWideAccess(viewer, agencyId);
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const search = args.search?.trim();
    if (search && search.length > 100) throw badUserInput('`search` is at most 100 characters', 'search');
    // PostgreSQL text cannot hold NUL: left in, it fails the query as a server error.
    if (search?.includes('\u0000')) throw badUserInput('`search` may not contain NUL characters', 'search');
    return { agencyId, status: args.status ?? null, pattern: search ? likePattern(search) : null, after, take: limit + 1 };
  }

  /**
   * A page of the agency's sub-accounts with their wallets and balances, read in one
   * statement (the dashboard's hottest read) by `loadPage`, the request's memo of pages
   * (a parent that read ahead primed it): the caller primes its loaders with them.
   */
  async list(
    viewer: Viewer,
    agency: AgencyEntity,
    args: SubAccountListArgs,
    loadPage: (query: SubAccountPageQuery) => Promise<SubAccountPageRows> = (query) => this.repository.page(query),
  ): Promise<SubAccountPage> {
    const query = this.pageQuery(viewer, agency.id, args);
    const rows = await loadPage(query);
    return {
      ...toPage(rows.subAccounts, query.take - 1, rows.totalCount, query.after !== undefined),
      wallets: rows.wallets,
      ledgerAccounts: rows.ledgerAccounts,
    };
  }

  /** The agency with the page `query` names, in one statement (see `pageQuery`); undefined when it does not exist. */
  agencyWithPage(query: SubAccountPageQuery, options: { activeCount: boolean }): Promise<AgencyWithPage | undefined> {
    return this.repository.agencyWithPage(query, options);
  }

  private async assertSlotFree(em: EntityManager, agency: AgencyEntity): Promise<void> {
    const plan = await findPlanOrThrow(em, agency.planCode, ['agencyId']);
    const active = await countActiveSubAccounts(em, agency.id);
    if (!fitsPlan(plan, active + 1)) throw planLimitReached(plan.subAccountLimit);
  }

  private async findManagedOrThrow(em: EntityManager, viewer: Viewer, globalId: string): Promise<SubAccountEntity> {
    const id = decodeId(globalId, 'SubAccount');
    const sub = id ? await findSubAccount(em, id) : null;
    if (!sub || !canManageAgency(viewer, sub.agencyId)) throw notFound('Sub-account', ['id']);
    return sub;
  }

  private async lockManagedOrThrow(em: EntityManager, viewer: Viewer, globalId: string): Promise<SubAccountEntity> {
    const id = decodeId(globalId, 'SubAccount');
    const sub = await lockSubAccount(em, id, 'update');
    if (!sub || !canManageAgency(viewer, sub.agencyId)) throw notFound('Sub-account', ['id']);
    return sub;
  }

  /** Two requests can race past the email check; the unique index decides, and the loser gets EMAIL_TAKEN. */
  private async withEmailIndex<T>(field: string[], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isUniqueViolation(error, ACTIVE_EMAIL_INDEX)) throw emailTaken(field);
      throw error;
    }
  }
}
