import { randomBytes } from 'node:crypto';
import { startTestApp, ok, errorCode, type TestApp } from './helpers/test-app';
import { addSubAccount, createAgency, rawId } from './helpers/fixtures';
import { subscribe, wsClient } from './helpers/ws';
import { parsePrometheus, sampleValue, type Sample } from './helpers/prometheus';
import { until } from './helpers/until';
import { JobScheduler, JOBS } from '../src/modules/jobs/job-scheduler';
import { Logger } from '../src/shared/logger';

/** GET /metrics after real traffic: HTTP and WebSocket operations, errors, a transfer, an event, a job. */
let app: TestApp;
let base: string;
const P = 'voice_minutes_';

const scrape = async (target = base, token?: string): Promise<{ status: number; text: string; contentType: string | null }> => {
  const response = await fetch(`${target}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
};
const samples = async (): Promise<Sample[]> => parsePrometheus((await scrape()).text);

beforeAll(async () => {
  app = await startTestApp();
  base = app.url.replace(/\/graphql$/, '');
});

afterAll(async () => {
  await app.close();
});

describe('GET /metrics', () => {
  it('should count operations by name, type, transport and outcome, errors by code, and time queries', async () => {
    for (let i = 0; i < 2; i++) ok(await app.gql('query DashboardViewer { viewer { role } }'));
    expect(errorCode(await app.gql('query BrokenOne { nope }'))).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(errorCode(await app.gql('query NoKey { viewer { role } }', {}, null))).toBe('UNAUTHENTICATED');
    const longName = 'A'.repeat(70);
    ok(await app.gql(`query ${longName} { viewer { role } }`));

    const scraped = await scrape();
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const all = parsePrometheus(scraped.text);
    const operations = `${P}graphql_operations_total`;
    expect(sampleValue(all, operations, { operation: 'DashboardViewer', type: 'query', transport: 'http', outcome: 'success' })).toBe(2);
    expect(sampleValue(all, `${P}graphql_operation_duration_seconds_count`, { operation: 'DashboardViewer', type: 'query', transport: 'http' })).toBe(2);
    expect(sampleValue(all, `${P}graphql_operation_duration_seconds_sum`, { operation: 'DashboardViewer' })).toBeGreaterThan(0);
    expect(sampleValue(all, operations, { operation: 'BrokenOne', type: 'unknown', transport: 'http', outcome: 'error' })).toBe(1);
    expect(sampleValue(all, `${P}graphql_errors_total`, { code: 'GRAPHQL_VALIDATION_FAILED' })).toBe(1);
    expect(sampleValue(all, `${P}graphql_errors_total`, { code: 'UNAUTHENTICATED' })).toBe(1);
    // A name past the label rules is counted under `other`, never as itself.
    expect(sampleValue(all, operations, { operation: 'other', type: 'query', transport: 'http', outcome: 'success' })).toBe(1);
    expect(scraped.text).not.toContain(longName);
    // The process's own figures come along.
    expect(sampleValue(all, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(all, 'nodejs_eventloop_lag_seconds')).toBeDefined();
  });

  it('should show open sockets, active subscriptions, event delivery lag, group-commit batch sizes and pool usage, without tenant data', async () => {
    const { agencyId, primaryId } = await createAgency(app);
    const secondaryId = await addSubAccount(app, agencyId);
    const client = wsClient(app.wsUrl, app.platformKey);
    try {
      const activity = subscribe(client, `subscription Activity($agencyId: ID!) { agencyActivity(agencyId: $agencyId) { sequence type } }`, { agencyId });
      const live = await until(samples, (s) => sampleValue(s, `${P}subscriptions_active`) === 1);
      expect(sampleValue(live, `${P}websocket_open_sockets`)).toBe(1);
      expect(sampleValue(live, `${P}graphql_operations_total`, { operation: 'Activity', type: 'subscription', transport: 'ws', outcome: 'success' })).toBe(1);

      ok(await app.gql(
        `mutation Fund($input: AdjustWalletBalanceInput!) { adjustWalletBalance(input: $input) { userErrors { code } } }`,
        { input: { subAccountId: primaryId, amount: '50', reason: 'metrics test', idempotencyKey: randomBytes(6).toString('hex') } },
      ));
      const moved = ok(await app.gql(
        `mutation Move($input: TransferMinutesInput!) { transferMinutes(input: $input) { transfer { id } userErrors { code } } }`,
        { input: { fromSubAccountId: primaryId, toSubAccountId: secondaryId, minutes: '10', tier: 'BASIC', idempotencyKey: randomBytes(6).toString('hex') } },
      ));
      expect(moved.transferMinutes.userErrors).toEqual([]);
      await activity.waitFor(1);

      const after = await until(samples, (s) => (sampleValue(s, `${P}event_delivery_lag_seconds_count`) ?? 0) >= 1);
      expect(sampleValue(after, `${P}group_commit_batch_size_count`, { batcher: 'transfer' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(after, `${P}group_commit_batch_size_sum`, { batcher: 'transfer' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(after, `${P}db_pool_connections`, { pool: 'api', state: 'max' })).toBe(20);
      expect(sampleValue(after, `${P}db_pool_connections`, { pool: 'api', state: 'idle' })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(after, `${P}db_pool_connections`, { pool: 'events', state: 'max' })).toBe(3);
      expect(sampleValue(after, `${P}db_pool_waiting_clients`, { pool: 'api' })).toBe(0);

      const text = (await scrape()).text;
      for (const secret of [agencyId, rawId(agencyId), primaryId, rawId(primaryId), app.platformKey, 'metrics test']) {
        expect(text).not.toContain(secret);
      }
      activity.stop();
    } finally {
      await client.dispose();
    }
    const closed = await until(samples, (s) => sampleValue(s, `${P}websocket_open_sockets`) === 0);
    expect(sampleValue(closed, `${P}subscriptions_active`)).toBe(0);
  });

  it('should size the event hub\'s pools from the configuration (DB_EVENTS_POOL_SIZE, DB_REPLAY_POOL_SIZE)', async () => {
    const sized = await startTestApp({ dbPools: { events: 4, replay: 5, jobs: 4, rateLimits: 1 } });
    try {
      const all = parsePrometheus((await scrape(sized.url.replace(/\/graphql$/, ''))).text);
      expect(sampleValue(all, `${P}db_pool_connections`, { pool: 'events', state: 'max' })).toBe(4);
      expect(sampleValue(all, `${P}db_pool_connections`, { pool: 'replay', state: 'max' })).toBe(5);
    } finally {
      await sized.close();
    }
  });

  it('should count job outcomes by queue', async () => {
    const scheduler = await JobScheduler.start({
      databaseUrl: (app.dataSource.options as { url: string }).url, dataSource: app.dataSource, logger: new Logger('silent'), metrics: app.server.metrics,
    });
    try {
      // The retention job is queued at start and run by this scheduler's worker.
      const done = await until(samples, (s) => sampleValue(s, `${P}jobs_total`, { queue: JOBS.OUTBOX_RETENTION, outcome: 'completed' }) === 1, 60_000, 250);
      expect(sampleValue(done, `${P}job_duration_seconds_count`, { queue: JOBS.OUTBOX_RETENTION })).toBe(1);
      expect(sampleValue(done, `${P}jobs_total`, { queue: JOBS.OUTBOX_RETENTION, outcome: 'failed' })).toBeUndefined();
    } finally {
      await scheduler.dispose();
    }
  });
});

describe('who may scrape /metrics', () => {
  const token = 'metrics-token-' + randomBytes(12).toString('hex');
  let guarded: TestApp;
  let closed: TestApp;

  beforeAll(async () => {
    guarded = await startTestApp({ production: true, metricsToken: token });
    closed = await startTestApp({ production: true });
  });

  afterAll(async () => {
    await guarded.close();
    await closed.close();
  });

  it('should require the METRICS_TOKEN bearer when one is set', async () => {
    const target = guarded.url.replace(/\/graphql$/, '');
    const none = await scrape(target);
    expect(none.status).toBe(401);
    expect(none.text).not.toContain(P);
    expect((await scrape(target, 'wrong-' + token)).status).toBe(401);
    expect((await scrape(target, guarded.platformKey)).status).toBe(401);
    const right = await scrape(target, token);
    expect(right.status).toBe(200);
    expect(right.text).toContain(`${P}graphql_operations_total`);
  });

  it('should be off in production without METRICS_TOKEN', async () => {
    const answer = await scrape(closed.url.replace(/\/graphql$/, ''));
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text).error).toMatch(/METRICS_TOKEN/);
  });
});
