import type { DataSource } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

/**
 * How long a successful "is this key still active?" answer is trusted without asking the
 * database again. A revocation made on another replica reaches this one through the outbox
 * (usually within a poll, ~250 ms) and, should that be held up (the outbox frontier waits for
 * every older transaction of the cluster), through this re-check: either way an operation is
 * refused within a second of the revocation.
 */
export const ACTIVE_KEY_TRUSTED_MS = 500;
/** Revoked ids remembered; a forgotten one is simply asked for again (it stays revoked in the table). */
const MAX_REMEMBERED_REVOCATIONS = 10_000;

/**
 * The revocation-aware cache behind the per-operation re-check of long-lived connections
 * (WebSockets). A revocation is learnt at once on the replica that commits it (`markRevoked`
 * from ApiKeyService, before its answer leaves) and from the outbox on the others (the event
 * hub calls `markRevoked`); a key whose last check is older than ACTIVE_KEY_TRUSTED_MS is
 * asked for again, one query per key however many sockets ask at once.
 */
export class ApiKeyRevocations {
  private readonly revoked = new Set<string>();
  private readonly activeCheckedAt = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(private readonly dataSource: DataSource) {}

  markRevoked(apiKeyId: string): void {
    if (this.revoked.size >= MAX_REMEMBERED_REVOCATIONS) this.revoked.clear();
    this.revoked.add(apiKeyId);
    this.activeCheckedAt.delete(apiKeyId);
  }

  /**
   * The key was found active by a lookup that started at `checkedAtMs` (authentication): a
   * socket's first operation right after connection_init needs no query of its own. A
   * revocation already learnt keeps precedence.
   */
  noteActive(apiKeyId: string, checkedAtMs: number): void {
    if (this.revoked.has(apiKeyId)) return;
    if (this.activeCheckedAt.size >= MAX_REMEMBERED_REVOCATIONS) this.activeCheckedAt.clear();
    this.activeCheckedAt.set(apiKeyId, Math.max(checkedAtMs, this.activeCheckedAt.get(apiKeyId) ?? 0));
  }

  /** Whether the key is still active, from memory when a recent answer allows it. */
  async isActive(apiKeyId: string, nowMs = Date.now()): Promise<boolean> {
    if (this.revoked.has(apiKeyId)) return false;
    const checkedAt = this.activeCheckedAt.get(apiKeyId);
    if (checkedAt !== undefined && nowMs - checkedAt < ACTIVE_KEY_TRUSTED_MS) return true;
    let pending = this.inFlight.get(apiKeyId);
    if (!pending) {
      pending = this.lookUp(apiKeyId, nowMs).finally(() => this.inFlight.delete(apiKeyId));
      this.inFlight.set(apiKeyId, pending);
    }
    return pending;
  }

  private async lookUp(apiKeyId: string, startedAtMs: number): Promise<boolean> {
    const active = await this.dataSource
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('k')
      .where('k.id = :id AND k.revoked_at IS NULL', { id: apiKeyId })
      .getExists();
    // A revocation learnt while the query ran wins over its (older) answer.
    if (this.revoked.has(apiKeyId)) return false;
    if (!active) {
      this.markRevoked(apiKeyId);
      return false;
    }
    this.noteActive(apiKeyId, startedAtMs);
    return true;
  }
}
