import { createHash } from 'node:crypto';
import type { Viewer } from '../auth/role';

/** The store's keys are at most 255 characters (PostgreSQL varchar(255)): a long `sub` is kept as its hash. */
const MAX_SUBJECT_LENGTH = 64;
const subjectPart = (subject: string) =>
  subject.length <= MAX_SUBJECT_LENGTH ? subject : `sha256:${createHash('sha256').update(subject).digest('hex')}`;

/**
 * Whose budget a request spends: one per credential, so one tenant's traffic never spends
 * another's, and a tenant's keys do not share one budget.
 * - an API key: its id (rotating the secret of one key keeps its budget; another key has its own);
 * - a JWT: its agency and its subject (`sub`), so every user of a dashboard has their own;
 *   a token without `sub` spends the budget of its agency, role and sub-account;
 * - the platform key (PLATFORM_ADMIN_KEY): one budget for the whole deployment's operator.
 */
export function rateLimitKey(viewer: Viewer): string {
  switch (viewer.via) {
    case 'api-key':
      return `key:${viewer.apiKeyId}`;
    case 'jwt':
      return `jwt:${viewer.agencyId ?? 'platform'}:${viewer.subject !== undefined ? `sub:${subjectPart(viewer.subject)}` : `${viewer.role}:${viewer.subAccountId ?? ''}`}`;
    case 'platform-key':
      return 'platform';
  }
}
