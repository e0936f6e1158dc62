export const ROLES = ['PLATFORM_ADMIN', 'AGENCY_ADMIN', 'CLIENT_ADMIN', 'USAGE_INGEST'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, resolved once per request (or per WebSocket connection). */
export interface Viewer {
  role: Role;
  /** Set for AGENCY_ADMIN, CLIENT_ADMIN and USAGE_INGEST. */
  agencyId?: string;
  /** Set for CLIENT_ADMIN. */
  subAccountId?: string;
  /** The API key behind the request, when it came from the database. */
  apiKeyId?: string;
  /** The JWT's `sub` claim, when it has one (the rate-limit key of a token user). */
  subject?: string;
  /** When the credentials stop being valid: a JWT's `exp` (API keys last until revoked). */
  expiresAt?: Date;
  /** How the viewer authenticated. */
  via: 'platform-key' | 'api-key' | 'jwt';
}
