import { createHash } from 'node:crypto';
import type { Viewer } from '../auth/role';
import type { ApiKeyRevocations } from '../auth/api-key-revocations';
import { UnauthenticatedError } from '../../graphql/errors';
import type { RevocationListener } from './event-hub';
import type { SocketSession } from './socket-session';
import { WsCloseCode } from './socket-close';

/**
 * What the per-credential socket cap counts: the API key, or the JWT itself (one token, one
 * budget: a token refreshed at the identity provider is another credential). The platform key
 * of the configuration is the operator's own and not capped (the live bench holds 10,000
 * sockets with it).
 */
export function credentialKeyOf(viewer: Viewer, authorization: string): string | undefined {
  if (viewer.apiKeyId) return `key:${viewer.apiKeyId}`;
  if (viewer.via === 'jwt') return `jwt:${createHash('sha256').update(authorization).digest('base64url')}`;
  return undefined;
}

/**
 * This replica's authenticated WebSockets by credential: caps the sockets per credential
 * (per replica, not shared), and closes every socket of a revoked API key (4401), with or
 * without subscriptions, when the event hub reads the key's API_KEY_REVOKED row.
 */
export class SocketRegistry implements RevocationListener {
  private readonly byCredential = new Map<string, Set<SocketSession>>();
  private apiKeySockets = 0;

  constructor(private readonly maxSocketsPerKey: number, private readonly revocations: ApiKeyRevocations) {}

  /** Whether the event hub must read revocations: some socket here was opened with an API key. */
  get watching(): boolean {
    return this.apiKeySockets > 0;
  }

  /** Registers an authenticated session; false (and not registered) when its credential has all its sockets already. */
  add(session: SocketSession): boolean {
    const key = session.credentialKey;
    if (key === undefined) return true;
    let sessions = this.byCredential.get(key);
    if (!sessions) this.byCredential.set(key, (sessions = new Set()));
    if (sessions.size >= this.maxSocketsPerKey) return false;
    sessions.add(session);
    if (session.viewer?.apiKeyId) this.apiKeySockets += 1;
    return true;
  }

  remove(session: SocketSession): void {
    const key = session.credentialKey;
    const sessions = key === undefined ? undefined : this.byCredential.get(key);
    if (!sessions?.delete(session)) return;
    if (session.viewer?.apiKeyId) this.apiKeySockets -= 1;
    if (sessions.size === 0) this.byCredential.delete(key!);
  }

  keyRevoked(apiKeyId: string): void {
    // Operations arriving from now on are refused, also on sockets of this key opened meanwhile.
    this.revocations.markRevoked(apiKeyId);
    const sessions = this.byCredential.get(`key:${apiKeyId}`);
    if (!sessions) return;
    // After the replies under way: the key's streams were just ended with UNAUTHENTICATED by the hub.
    for (const session of sessions) {
      session.closeAfterReplies(WsCloseCode.UNAUTHORIZED, 'API key revoked', new UnauthenticatedError('The API key was revoked'));
    }
  }

  /** Sockets held by one credential (tests and metrics). */
  socketsOf(credentialKey: string): number {
    return this.byCredential.get(credentialKey)?.size ?? 0;
  }
}
