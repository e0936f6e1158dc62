import { ForbiddenError } from '../../graphql/errors';
import type { Role, Viewer } from './role';

/**
 * Tenancy rules, in one place. Two kinds of answers:
 * - a role that may never do something gets FORBIDDEN (`requireRole`);
 * - a role that may, but not on this tenant's object, sees the object as missing
 *   (the `can…` predicates return false and callers answer NOT_FOUND / null), so a
 *   foreign id is indistinguishable from one that does not exist.
 */
export function requireRole(viewer: Viewer, roles: readonly Role[]): void {
  if (!roles.includes(viewer.role)) throw new ForbiddenError(`The ${viewer.role} role may not perform this operation`);
}

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
    throw new ForbiddenError('Only the agency admin sees agency-wide data');
  }
}
