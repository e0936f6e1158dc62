import type { BatchedRead, PrimedRead } from '../../shared/batched-read';
import { pageSize, type Page } from '../../shared/pagination';
import { badUserInput } from '../../shared/refusal';
import { requireAgencyWideAccess } from '../auth/access';
import type { Viewer } from '../auth/role';
import type { AgencyEntity } from '../agency/agency.entity';
import type { SubAccountEntity } from '../sub-account/sub-account.entity';
import { assertCanReadUsage } from '../usage/usage-access';
import { atLeast, HEALTH_LEVEL_RANK, type Health, type HealthLevel } from './health-rules';

export interface AgencyHealthCounts {
  healthy: number;
  watch: number;
  atRisk: number;
}

/** Sort key of the at-risk list: worst level first, then oldest first, then id (a total, stable order). */
interface AtRiskKey {
  rank: number;
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeAtRiskCursor(key: AtRiskKey): string {
  return Buffer.from(JSON.stringify([key.rank, key.createdAt.toISOString(), key.id]), 'utf8').toString('base64url');
}

export function decodeAtRiskCursor(cursor: string | null | undefined): AtRiskKey | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  try {
    const [rank, createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [number, string, string];
    const date = new Date(createdAt);
    if (![0, 1, 2].includes(rank) || typeof createdAt !== 'string' || typeof id !== 'string' || !UUID.test(id) || Number.isNaN(date.getTime())) {
      throw new Error();
    }
    return { rank, createdAt: date, id };
  } catch {
    throw badUserInput('`after` is not a cursor returned by this API', 'after');
  }
}

/** Negative when `a` comes first: higher rank, then older, then smaller id. */
function compareAtRisk(a: AtRiskKey, b: AtRiskKey): number {
  if (a.rank !== b.rank) return b.rank - a.rank;
  const t = a.createdAt.getTime() - b.createdAt.getTime();
  if (t !== 0) return t;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The request's batched reads health needs (the request's loaders satisfy it). */
export interface HealthReads {
  subAccountHealth: BatchedRead<string, Health>;
  activeSubAccountsOfAgency: BatchedRead<string, SubAccountEntity[]>;
  subAccount: PrimedRead<string, SubAccountEntity | undefined>;
}

/**
 * Account health (rules in health-rules.ts). Always computed when read, from the rollups and
 * the ledger, so it can never be stale; the request's reads batch every sub-account of a request.
 */
export class HealthService {
  async subAccountHealth(viewer: Viewer, reads: HealthReads, sub: SubAccountEntity): Promise<Health> {
    assertCanReadUsage(viewer, sub);
    return reads.subAccountHealth.load(sub.id);
  }

  /** Active sub-accounts (the primary included) per level; removed ones are not counted. */
  async agencyHealth(viewer: Viewer, reads: HealthReads, agency: AgencyEntity): Promise<AgencyHealthCounts> {
    requireAgencyWideAccess(viewer, agency.id);
    const counts: AgencyHealthCounts = { healthy: 0, watch: 0, atRisk: 0 };
    for (const { health } of await this.activeWithHealth(reads, agency)) {
      if (health.level === 'AT_RISK') counts.atRisk += 1;
      else if (health.level === 'WATCH') counts.watch += 1;
      else counts.healthy += 1;
    }
    return counts;
  }

  /**
   * Active sub-accounts at `minLevel` (WATCH by default) or worse, worst first, then oldest
   * first. Levels are computed at read time, so a cursor is the last row's sort key (level,
   * created, id): a page after it starts strictly after that key, and a sub-account whose
   * level changed between two pages moves to where its new level sorts.
   */
  async subAccountsAtRisk(
    viewer: Viewer,
    reads: HealthReads,
    agency: AgencyEntity,
    args: { first?: number | null; after?: string | null; minLevel?: HealthLevel | null },
  ): Promise<Page<SubAccountEntity>> {
    requireAgencyWideAccess(viewer, agency.id);
    const limit = pageSize(args.first);
    const after = decodeAtRiskCursor(args.after);
    const minLevel = args.minLevel ?? 'WATCH';
    const rows = (await this.activeWithHealth(reads, agency))
      .filter(({ health }) => atLeast(health.level, minLevel))
      .map(({ sub, health }) => ({ sub, key: { rank: HEALTH_LEVEL_RANK[health.level], createdAt: sub.createdAt, id: sub.id } }))
      .sort((a, b) => compareAtRisk(a.key, b.key));
    const rest = after ? rows.filter((row) => compareAtRisk(row.key, after) > 0) : rows;
    const nodes = rest.slice(0, limit);
    const edges = nodes.map((row) => ({ cursor: encodeAtRiskCursor(row.key), node: row.sub }));
    return {
      edges,
      totalCount: rows.length,
      pageInfo: {
        hasNextPage: rest.length > limit,
        hasPreviousPage: after !== undefined,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges[edges.length - 1]?.cursor ?? null,
      },
    };
  }

  private async activeWithHealth(reads: HealthReads, agency: AgencyEntity): Promise<Array<{ sub: SubAccountEntity; health: Health }>> {
    const subs = await reads.activeSubAccountsOfAgency.load(agency.id);
    const healths = await Promise.all(subs.map((sub) => {
      reads.subAccount.prime(sub.id, sub);
      return reads.subAccountHealth.load(sub.id);
    }));
    return subs.map((sub, i) => ({ sub, health: healths[i] }));
  }
}
