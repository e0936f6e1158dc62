import { forbidden } from '../../shared/refusal';
import { canReadSubAccount, READER_ROLES, requireRole } from '../auth/access';
import type { Viewer } from '../auth/role';

/**
 * A sub-account's calls, scenarios and figures are read by whoever may read the
 * sub-account: its agency's admins, the platform, and its own client admin. Usage-ingest
 * keys record calls and read nothing. Resolvers only ever hand out readable sub-accounts,
 * so this is the second line, checked again on every usage field.
 */
export function assertCanReadUsage(viewer: Viewer, sub: { id: string; agencyId: string }): void {
  requireRole(viewer, READER_ROLES);
  if (!canReadSubAccount(viewer, sub)) throw forbidden('You may not read this sub-account');
}
