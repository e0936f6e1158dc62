/**
 * A token bucket of client messages for one WebSocket: `burstMessages` at once, refilled at
 * `maxMessagesPerSecond`. Over it the socket is closed (4429), never queued: a flood costs
 * the server a parse per message, whatever the message says.
 */
export class MessageBudget {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly maxMessagesPerSecond: number,
    private readonly burstMessages: number,
    nowMs = Date.now(),
  ) {
    this.tokens = burstMessages;
    this.refilledAtMs = nowMs;
  }

  /** Takes one message's token; false when none is left. */
  take(nowMs = Date.now()): boolean {
    const elapsedMs = Math.max(0, nowMs - this.refilledAtMs);
    this.tokens = Math.min(this.burstMessages, this.tokens + (elapsedMs * this.maxMessagesPerSecond) / 1000);
    this.refilledAtMs = Math.max(this.refilledAtMs, nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
