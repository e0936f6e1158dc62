import { Pool } from 'pg';
import type { Logger } from '../../shared/logger';

/** What /readyz answers. */
export interface ReadinessReport {
  ready: boolean;
  checks: {
    /** `ok`, `unreachable` (refused, reset, authentication) or `timeout`. */
    database: 'ok' | 'unreachable' | 'timeout';
    /** `ok` when every migration this build ships has run; `unknown` while the database cannot be read. */
    migrations: 'ok' | 'pending' | 'unknown';
    /** The event hub's LISTEN connection (other replicas' events arrive late without it). */
    eventListener: 'connected' | 'disconnected';
  };
  /** Why not ready, for the operator reading the probe (never a connection string or a raw driver message). */
  reason?: string;
}

export interface ReadinessOptions {
  databaseUrl: string;
  /** Names of the migrations this build ships (TypeORM's `migrations.name`). */
  expectedMigrations: readonly string[];
  /** Whether the event hub's listening connection is up. */
  listenerConnected(): boolean;
  logger: Logger;
  /** Longest a probe waits for the database (connect and query). @default 2000 */
  timeoutMs?: number;
  /** How long one result answers every probe: probes are unauthenticated and must not become database load. @default 1000 */
  cacheMs?: number;
}

/**
 * Readiness of this replica to take traffic: the database answers within a short timeout,
 * every migration of this build has run, and the event listener is connected. On a pool of
 * its own (one connection): a probe never waits behind request traffic for a connection,
 * and never adds connections whatever the probe rate (one result is shared for `cacheMs`,
 * concurrent probes share one check).
 */
export class ReadinessCheck {
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private last: { at: number; report: ReadinessReport } | undefined;
  private inFlight: Promise<ReadinessReport> | undefined;
  private wasReady: boolean | undefined;

  constructor(private readonly options: ReadinessOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.cacheMs = options.cacheMs ?? 1000;
    this.pool = new Pool({
      connectionString: options.databaseUrl,
      max: 1,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'voice-minutes-api-health',
    });
    // An idle connection cut by the server: the next probe reports it and connects again.
    this.pool.on('error', () => undefined);
  }

  check(): Promise<ReadinessReport> {
    if (this.last && Date.now() - this.last.at < this.cacheMs) return Promise.resolve(this.last.report);
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async run(): Promise<ReadinessReport> {
    const eventListener = this.options.listenerConnected() ? 'connected' : 'disconnected';
    let database: ReadinessReport['checks']['database'] = 'ok';
    let migrations: ReadinessReport['checks']['migrations'] = 'unknown';
    let missing: string[] = [];
    let detail: string | undefined;
    try {
      const applied = new Set(await this.appliedMigrations());
      missing = this.options.expectedMigrations.filter((name) => !applied.has(name));
      migrations = missing.length === 0 ? 'ok' : 'pending';
    } catch (error) {
      detail = (error as Error).message;
      database = /timeout/i.test(detail) ? 'timeout' : 'unreachable';
    }
    const reasons: string[] = [];
    if (database !== 'ok') reasons.push(`database ${database === 'timeout' ? `did not answer within ${this.timeoutMs} ms` : 'unreachable'}`);
    if (migrations === 'pending') {
      reasons.push(`${missing.length} of ${this.options.expectedMigrations.length} migrations not applied (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''})`);
    }
    if (eventListener === 'disconnected') reasons.push('event listener disconnected (reconnecting)');
    const report: ReadinessReport = {
      ready: reasons.length === 0,
      checks: { database, migrations, eventListener },
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
    };
    if (report.ready !== this.wasReady) {
      if (report.ready) this.options.logger.info('ready');
      else this.options.logger.warn('not ready', { reason: report.reason, detail });
      this.wasReady = report.ready;
    }
    this.last = { at: Date.now(), report };
    return report;
  }

  private async appliedMigrations(): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ name: string }>('SELECT name FROM migrations');
      client.release();
      return rows.map((row) => row.name);
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') {
        client.release(); // no migrations table yet: the database answers, nothing has run
        return [];
      }
      // A timed-out or broken connection is not reused.
      client.release(error as Error);
      throw error;
    }
  }

  async dispose(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
    await this.pool.end();
  }
}
