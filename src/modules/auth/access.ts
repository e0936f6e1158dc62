import { forbidden } from '../../shared/refusal';
import type { Role, Viewer } from './role';

/**
 * Tenancy rules, in one place. Two kinds of answers:
 * - a role that may never do something gets FORBIDDEN (`requireRole`);
 * - a role that may, but not on this tenant's object, sees the object as missing
 *   (the `can…` predicates return false and callers answer NOT_FOUND / null), so a
 *   foreign id is indistinguishable from one that does not exist.
 */
export function requireRole(viewer: Viewer, roles: readonly Role[]): void {
  if (!roles.includes(viewer.role)) throw forbidden(`The ${viewer.role} role may not perform this operation`);
}

/**
 * Roles that read data. USAGE_INGEST is not one: a key that sits on the voice platform
 * records calls and reads only what recording needs (docs/security.md, "What a
 * USAGE_INGEST key reads"): `viewer { role agency { id name } subAccount }`, `plans` (the platform's
 * catalog, the same for every tenant), and in the payloads of `recordCallUsage(Batch)` and
 * `createScenario` the ids and the terms it sent itself (`Call.id externalCallId tier
 * status startedAt durationSeconds recordedAt`, `Scenario.id name createdAt`). Never a
 * price, cost, markup, balance, profit, report, transfer, key or sub-account.
 */
export const READER_ROLES: readonly Role[] = ['PLATFORM_ADMIN', 'AGENCY_ADMIN', 'CLIENT_ADMIN'];
export const MANAGER_ROLES: readonly Role[] = ['PLATFORM_ADMIN', 'AGENCY_ADMIN'];

export function canReadAgency(viewer: Viewer, agencyId: string): boolean {
  if (viewer.role === 'PLATFORM_ADMIN') return true;
  return (viewer.role === 'AGENCY_ADMIN' || viewer.role === 'CLIENT_ADMIN') && viewer.agencyId === agencyId;
}

export function canManageAgency(viewer: Viewer, agencyId: string): boolean {
  return viewer.role === 'PLATFORM_ADMIN' || (viewer.role === 'AGENCY_ADMIN' && viewer.agencyId === agencyId);
}

export function canReadSubAccount(viewer: Viewer, sub: { id: string; agencyId: string }): boolean {
  if (canManageAgency(viewer, sub.agencyId)) return true;
  return viewer.role === 'CLIENT_ADMIN' && viewer.subAccountId === sub.id;
}

/** Agency-wide figures and lists a client admin (one sub-account's view) may not read. */
export function requireAgencyWideAccess(viewer: Viewer, agencyId: string): void {
  if (!canManageAgency(viewer, agencyId)) {
    throw forbidden('Only the agency admin sees agency-wide data');
  }
}

/**
 * Money of an object the viewer already holds: prices, costs, markups, balances, profit.
 * Whoever holds the object may read them, except a usage-ingest key, which may hold a call
 * it recorded but must not learn the client's price from it (cost / duration is the price,
 * minus the public base price the markup).
 */
export function canReadMoney(viewer: Viewer): boolean {
  return READER_ROLES.includes(viewer.role);
}

export function requireMoneyAccess(viewer: Viewer): void {
  if (!canReadMoney(viewer)) throw forbidden(`The ${viewer.role} role may not read prices, costs or balances`);
}

/**
 * An agency's details beyond its id and name (plan, renewal date, creation date): for the
 * readers of the agency. A usage-ingest key sees its own agency's id and name in `viewer`,
 * to check which agency it records for, and nothing of its business.
 */
export function requireAgencyDetailsAccess(viewer: Viewer, agencyId: string): void {
  if (!canReadAgency(viewer, agencyId)) throw forbidden(`The ${viewer.role} role may not read this agency's details`);
}
