import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from 'pg';
import { OperationLabels } from './operation-labels';

/** How an operation reached the API. */
export type Transport = 'http' | 'ws';
/** query, mutation, subscription; `unknown` when the document did not parse or validate. */
export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

/** What the collected gauges read at scrape time (set by the server once it holds them). */
export interface MetricSources {
  /** WebSockets open on this replica, authenticated or not yet. */
  openSockets(): number;
  /** Subscriptions this replica's event hub is feeding. */
  activeSubscriptions(): number;
  /** The pg pools of this process by name (`api`, `events`, …). */
  pools(): Record<string, Pool>;
}

const CODE = /^[A-Z][A-Z0-9_]{0,47}$/;

/**
 * prom-client's process metrics, collected once per process however many servers it runs
 * (tests run several): each collection starts an event-loop monitor and a GC observer.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
const PREFIX = 'voice_minutes_';

/**
 * This process's Prometheus metrics (prom-client, one Registry per process so that tests
 * running several servers in one process do not mix theirs). Every label takes values from
 * a bounded set: operation names through OperationLabels, error codes (the server's own),
 * pool and queue names, a batcher's name. No label ever holds an id, a key, an email or
 * anything else a tenant chose, besides the capped operation names.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly operationLabels: OperationLabels;
  private sources: MetricSources | undefined;

  private readonly operations: Counter<'operation' | 'type' | 'transport' | 'outcome'>;
  private readonly operationSeconds: Histogram<'operation' | 'type' | 'transport'>;
  private readonly errors: Counter<'code'>;
  private readonly eventLagSeconds: Histogram<never>;
  private readonly jobs: Counter<'queue' | 'outcome'>;
  private readonly jobSeconds: Histogram<'queue'>;
  private readonly batchSizes: Histogram<'batcher'>;

  /** The registry a scrape reads: this one's metrics and the process's. */
  private readonly exposed: Registry;

  /** @param options.operationLabelCap distinct operation names kept as labels. @default 100 */
  constructor(options: { operationLabelCap?: number } = {}) {
    const registers = [this.registry];
    this.operationLabels = new OperationLabels(options.operationLabelCap);

    this.operations = new Counter({
      name: `${PREFIX}graphql_operations_total`,
      help: 'GraphQL operations by operation name (bounded: see OperationLabels), type, transport and outcome (error: at least one error in the result)',
      labelNames: ['operation', 'type', 'transport', 'outcome'],
      registers,
    });
    this.operationSeconds = new Histogram({
      name: `${PREFIX}graphql_operation_duration_seconds`,
      help: 'Time from receiving a query or mutation to its result (subscriptions are not timed: they last as long as the client wants)',
      labelNames: ['operation', 'type', 'transport'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.errors = new Counter({
      name: `${PREFIX}graphql_errors_total`,
      help: 'GraphQL errors sent to clients, by extensions.code (HTTP and WebSocket; INTERNAL_SERVER_ERROR is a bug or an outage)',
      labelNames: ['code'],
      registers,
    });
    const sourceOf = () => this.sources;
    new Gauge({
      name: `${PREFIX}websocket_open_sockets`,
      help: 'WebSockets open on this replica',
      registers,
      collect() {
        this.set(sourceOf()?.openSockets() ?? 0);
      },
    });
    new Gauge({
      name: `${PREFIX}subscriptions_active`,
      help: 'Subscriptions this replica is delivering events to',
      registers,
      collect() {
        this.set(sourceOf()?.activeSubscriptions() ?? 0);
      },
    });
    this.eventLagSeconds = new Histogram({
      name: `${PREFIX}event_delivery_lag_seconds`,
      help: 'From an event\'s transaction (outbox occurred_at) to its fan-out to this replica\'s subscribers',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    new Gauge({
      name: `${PREFIX}db_pool_connections`,
      help: 'Connections of each pg pool by state (in_use, idle) and its size (max)',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [name, pool] of Object.entries(sourceOf()?.pools() ?? {})) {
          this.set({ pool: name, state: 'in_use' }, pool.totalCount - pool.idleCount);
          this.set({ pool: name, state: 'idle' }, pool.idleCount);
          this.set({ pool: name, state: 'max' }, (pool as unknown as { options: { max?: number } }).options.max ?? 10);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}db_pool_waiting_clients`,
      help: 'Queries waiting for a connection of each pg pool (above 0 for long: the pool is too small or the database too slow)',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const [name, pool] of Object.entries(sourceOf()?.pools() ?? {})) this.set({ pool: name }, pool.waitingCount);
      },
    });
    this.jobs = new Counter({
      name: `${PREFIX}jobs_total`,
      help: 'pg-boss jobs run by this process, by queue and outcome (completed, failed: pg-boss retries it)',
      labelNames: ['queue', 'outcome'],
      registers,
    });
    this.jobSeconds = new Histogram({
      name: `${PREFIX}job_duration_seconds`,
      help: 'Run time of pg-boss jobs by queue',
      labelNames: ['queue'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    });
    this.batchSizes = new Histogram({
      name: `${PREFIX}group_commit_batch_size`,
      help: 'Items written per group-commit statement (transfer: minute transfers per ledger_post_batch call)',
      labelNames: ['batcher'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
    // Last: merge takes the metrics registered so far. Process CPU, memory, event loop delay,
    // GC, handles: what tells an overloaded replica.
    this.exposed = Registry.merge([processMetrics(), this.registry]);
  }

  /** Where the collected gauges read from (the server, once it is built). */
  watch(sources: MetricSources): void {
    this.sources = sources;
  }

  /** One operation, as it finished (or was refused); `seconds` for queries and mutations only. */
  operation(labels: { name: string | null | undefined; type: OperationType; transport: Transport; failed: boolean }, seconds?: number): void {
    const operation = this.operationLabels.label(labels.name);
    this.operations.inc({ operation, type: labels.type, transport: labels.transport, outcome: labels.failed ? 'error' : 'success' });
    if (seconds !== undefined) this.operationSeconds.observe({ operation, type: labels.type, transport: labels.transport }, seconds);
  }

  /** One error sent to a client. */
  error(code: string | undefined): void {
    this.errors.inc({ code: code && CODE.test(code) ? code : 'OTHER' });
  }

  /** Events fanned out at `readAtMs` (epoch ms), with their transaction times. */
  eventsDelivered(occurredAt: readonly Date[], readAtMs: number): void {
    for (const at of occurredAt) this.eventLagSeconds.observe(Math.max(0, readAtMs - at.getTime()) / 1000);
  }

  job(queue: string, failed: boolean, seconds: number): void {
    this.jobs.inc({ queue, outcome: failed ? 'failed' : 'completed' });
    this.jobSeconds.observe({ queue }, seconds);
  }

  /** One group-commit statement of `size` items. */
  batch(batcher: string, size: number): void {
    this.batchSizes.observe({ batcher }, size);
  }

  /** The text a scrape answers. */
  text(): Promise<string> {
    return this.exposed.metrics();
  }

  get contentType(): string {
    return this.exposed.contentType;
  }
}
