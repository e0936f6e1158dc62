import { Client } from 'pg';
import type { Logger } from '../../shared/logger';

/** The channel every replica's after-commit signal notifies (`SELECT pg_notify(…)`). */
export const OUTBOX_CHANNEL = 'outbox_events';

/** Backoff of the LISTEN connection's reconnects. */
const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * The process's one LISTEN connection on OUTBOX_CHANNEL: each notification (another replica
 * committed outbox rows) and each reconnect wakes the hub's poll. Lost (a restart,
 * pg_terminate_backend, a network cut), it is reconnected with backoff (250 ms doubling to
 * 5 s) for as long as it runs: a failed attempt during an outage schedules the next one (the
 * first version tried once, and a database down for more than a second left the process
 * without notifications for good). The hub's safety-net poll delivers meanwhile, and every
 * reconnect wakes it once, so nothing committed while not listening waits for the safety net.
 */
export class OutboxListener {
  private client: Client | undefined;
  private retryMs = RETRY_FIRST_MS;
  private stopped = false;
  /** Connections opened, the first included (tests and metrics). */
  connects = 0;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly wake: () => void,
  ) {}

  /** Whether the connection is up (readiness: without it other replicas' events wait for the safety-net poll). */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** The first connection: its failure is the caller's (the process cannot start without the database). */
  start(): Promise<void> {
    return this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.url, application_name: 'voice-minutes-api-listener', connectionTimeoutMillis: 10_000 });
    client.on('notification', () => this.wake());
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.logger.warn('outbox listener lost; reconnecting (polling meanwhile)', { message: error?.message ?? 'connection ended' });
      this.scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      lost = true;
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      lost = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RETRY_FIRST_MS;
    this.connects += 1;
    this.wake(); // whatever committed while not listening
  }

  private scheduleReconnect(): void {
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    const timer = setTimeout(() => {
      void this.connect().catch((error: Error) => {
        if (this.stopped) return;
        this.logger.warn('outbox listener reconnect failed; retrying', { message: error.message, inMs: this.retryMs });
        this.scheduleReconnect();
      });
    }, wait);
    timer.unref();
  }
}
