import http from 'node:http';
import { pgPoolOf } from './db/prepared-statements';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { AppConfig } from './config/config';
import type { Logger } from './shared/logger';
import type { Clock } from './shared/clock';
import { AuthService } from './modules/auth/auth.service';
import { ApiKeyRevocations } from './modules/auth/api-key-revocations';
import { createLoaders } from './graphql/loaders';
import { createServices, type Services } from './graphql/services';
import { createErrorFormatter, toGraphQLError } from './graphql/errors';
import { serviceUnavailable } from './shared/refusal';
import { isTransientConnectionError } from './db/connect-retry';
import { costLimitPlugin, PARSE_OPTIONS, validationRules } from './graphql/limits';
import { noHttpSubscriptionsPlugin } from './graphql/no-http-subscriptions';
import { createGraphQLHttpHandler, sendJson } from './graphql/http-handler';
import { wellFormedInputPlugin } from './graphql/well-formed-input';
import { applySecurityHeaders, securityHeaders } from './graphql/security-headers';
import type { RequestContext } from './graphql/context';
import { EventHub } from './modules/events/event-hub';
import { attachSubscriptionServer } from './modules/events/ws-server';
import { RateLimitService } from './modules/rate-limit/rate-limit.service';
import { clientIp } from './modules/rate-limit/client-ip';
import { authenticateWithinBudget, rateLimitPlugin } from './graphql/rate-limit';
import type { SocketRegistry } from './modules/events/socket-registry';
import { createCorsStep } from './graphql/cors';
import { createPlaygroundRoute } from './modules/playground/playground-route';
import { createStatementsCsvRoute, STATEMENTS_CSV_PATH } from './modules/statement/statement-csv.route';
import { createMonitorRoute } from './modules/monitor/monitor-route';
import type { PaymentGateway } from './modules/billing/payment-gateway';
import { createStripeWebhookRoute, STRIPE_WEBHOOK_PATH } from './modules/billing/stripe-webhook.route';
import { ApiMetrics } from './modules/observability/api-metrics';
import { ReadinessCheck } from './modules/observability/readiness';
import { createOpsRoutes } from './modules/observability/ops-routes';
import { REQUEST_ID_HEADER, requestIdOf } from './modules/observability/request-id';
import { observabilityPlugin } from './graphql/observability-plugin';
import { tagErrors } from './graphql/errors';

/** Connections the kernel queues before accept (capped by net.core.somaxconn). */
const ACCEPT_BACKLOG = 4096;

export interface ApiServer {
  httpServer: http.Server;
  /** This process's outbox reader and fan-out (one per server). */
  events: EventHub;
  /** The services every request shares. */
  services: Services;
  /** This process's view of the shared rate limits. */
  rateLimits: RateLimitService;
  /** This process's authenticated WebSockets by credential (tests and metrics). */
  sockets: SocketRegistry;
  /** This process's Prometheus metrics (GET /metrics). */
  metrics: ApiMetrics;
  /** What GET /readyz answers. */
  readiness: ReadinessCheck;
  /** Listens on `port` (0: any free port) and resolves with the port taken. */
  listen(port: number): Promise<number>;
  /**
   * Closes every WebSocket with 1001 (clients reconnect elsewhere), stops the event hub,
   * stops accepting connections, lets in-flight requests finish, then resolves.
   */
  stop(): Promise<void>;
}

/** HTTP and WebSocket (graphql-ws) on one port and path: /graphql. */
export async function createApiServer(deps: {
  dataSource: DataSource;
  schema: GraphQLSchema;
  config: AppConfig;
  logger: Logger;
  /** The services' clock; the machine's by default (tests walk through billing cycles with their own). */
  clock?: Clock;
  /** The payment provider (Stripe, or sandbox mode when omitted). */
  payments?: PaymentGateway;
  /** The process's metrics, shared with the jobs (main.ts); a registry of the server's own by default. */
  metrics?: ApiMetrics;
}): Promise<ApiServer> {
  const { dataSource, schema, config, logger } = deps;
  const metrics = deps.metrics ?? new ApiMetrics();
  const databaseUrl = (dataSource.options as { url: string }).url;
  // Its request handler is attached below, once Apollo (which needs the server for draining) has started.
  const httpServer = http.createServer();
  // One per process: revocations learnt here (committed locally, or read from the outbox) serve every socket's re-check.
  const revocations = new ApiKeyRevocations(dataSource);
  const auth = new AuthService(dataSource, config, revocations);
  // The one place loaders are built: HTTP requests, WebSocket operations and subscription events alike.
  const newLoaders = () => createLoaders(dataSource);
  const services = createServices(dataSource, {
    revocations, logger, clock: deps.clock, payments: deps.payments, onBatch: (batcher, size) => metrics.batch(batcher, size),
  });
  const rateLimits = await RateLimitService.start({
    config: config.rateLimits,
    databaseUrl,
    redisUrl: config.redisUrl,
    poolSize: config.dbPools.rateLimits,
    logger,
  });

  const limits = { introspectionEnabled: config.introspectionEnabled };
  const apollo = new ApolloServer<RequestContext>({
    schema,
    // Introspection is refused by validationRules (config.introspectionEnabled), the rules the WebSocket shares.
    introspection: true,
    // No automatic persisted queries: no client of ours sends them, and Apollo's hash-mismatch
    // error reached clients as INTERNAL_SERVER_ERROR; a persistedQuery extension is now refused
    // with PERSISTED_QUERY_NOT_SUPPORTED (the fuzz test found it).
    persistedQueries: false,
    // main.ts owns SIGINT/SIGTERM: drain HTTP, then jobs, then the pool, then the database.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules: validationRules(limits),
    parseOptions: PARSE_OPTIONS,
    formatError: createErrorFormatter(logger, { hideSuggestions: config.production, countError: (code) => metrics.error(code) }),
    plugins: [
      // In-flight requests get the whole grace period (Apollo's default is 10 s, then it cuts them).
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceSeconds * 1000 }),
      observabilityPlugin(metrics),
      noHttpSubscriptionsPlugin(),
      wellFormedInputPlugin(),
      costLimitPlugin(schema),
      rateLimitPlugin(schema, rateLimits),
      // No field sets cache hints and every answer is private to its viewer; the default plugin
      // would still wrap every resolved field (measured ~5% of a dashboard report's CPU).
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing page loads its code and fonts from CDNs; the playground route serves GraphiQL instead.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  const events = await EventHub.start(dataSource, logger, {
    onFanOut: (rows, atMs) => metrics.eventsDelivered(rows.map((row) => row.occurredAt), atMs),
    poolSizes: { events: config.dbPools.events, replay: config.dbPools.replay },
  });
  const subscriptions = attachSubscriptionServer({
    httpServer, schema, newLoaders, auth, revocations, services, hub: events, config, logger,
    rateLimits, trustProxyHops: config.trustProxyHops,
    limits, hideSuggestions: config.production, metrics,
  });
  const apiPool = pgPoolOf(dataSource);
  metrics.watch({
    openSockets: () => subscriptions.openSockets(),
    activeSubscriptions: () => events.subscriberCount,
    pools: () => ({ api: apiPool, ...events.pools }),
  });
  const readiness = new ReadinessCheck({
    databaseUrl,
    expectedMigrations: dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name),
    listenerConnected: () => events.listenerConnected,
    logger,
  });
  const ops = createOpsRoutes({
    readiness,
    metrics,
    access: { token: config.metricsToken, production: config.production },
    authFailures: {
      retryAfterSeconds: (req) => {
        const decision = rateLimits.checkAuthFailures(clientIp(req, config.trustProxyHops));
        return decision.allowed ? undefined : decision.retryAfterSeconds;
      },
      recordFailure: (req) => rateLimits.recordAuthFailure(clientIp(req, config.trustProxyHops)),
    },
  });

  const graphql = createGraphQLHttpHandler(apollo, async (req, requestId): Promise<RequestContext> => {
    const requestLogger = logger.child({ requestId });
    try {
      return {
        viewer: await authenticateWithinBudget(auth, rateLimits, clientIp(req, config.trustProxyHops), req.headers.authorization).catch(
          (error: unknown) => {
            // The key lookup found the database down: 503 SERVICE_UNAVAILABLE (retryable), not a 500.
            throw isTransientConnectionError(error) ? toGraphQLError(serviceUnavailable()) : error;
          },
        ),
        loaders: newLoaders(),
        newLoaders,
        services,
        requestId,
        logger: requestLogger,
      };
    } catch (error) {
      // Apollo formats it without a context: the tag gives it the request's id and logger.
      tagErrors([error], { requestId, logger: requestLogger });
      throw error;
    }
  }, logger);
  const apiHeaders = securityHeaders({ production: config.production });
  const cors = createCorsStep(config.corsOrigins);
  const playground = createPlaygroundRoute({ enabled: config.playgroundEnabled });
  const statementsCsv = createStatementsCsvRoute({
    dataSource,
    statements: services.statement,
    authenticate: (req) => authenticateWithinBudget(auth, rateLimits, clientIp(req, config.trustProxyHops), req.headers.authorization),
    logger,
  });
  const monitor = createMonitorRoute({ enabled: config.monitorEnabled });
  const stripeWebhook = createStripeWebhookRoute(services.billing, logger);
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // Before routing, so no answer (Apollo's, an error before Apollo, /health, 404) goes without
    // them; the playground's own answers replace the policy with the page's (same origin only).
    applySecurityHeaders(res, apiHeaders);
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const path = req.url?.split('?', 1)[0] ?? '/';
    if (path === '/graphql' && cors(req, res) === 'answered') return;
    if (playground(req, res, path)) return;
    if (monitor(req, res, path)) return;
    if (path === '/graphql') graphql(req, res, requestId);
    else if (path === STATEMENTS_CSV_PATH) {
      statementsCsv(req, res).catch((error: Error) => {
        logger.error('statements export failed', { message: error.message, requestId });
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] });
        else res.destroy();
      });
    } else if (path === STRIPE_WEBHOOK_PATH) stripeWebhook(req, res);
    else if (ops(req, res, path)) return;
    else sendJson(res, 404, { errors: [{ message: 'Not found: the API is at /graphql', extensions: { code: 'NOT_FOUND', requestId } }] });
  });

  return {
    httpServer,
    events,
    services,
    rateLimits,
    sockets: subscriptions.registry,
    metrics,
    readiness,
    listen: (port) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        // A deep accept queue: a reconnect storm (every monitor of a failed replica at once) must
        // wait in the kernel while the event loop is busy, not be reset (Node's default is 511).
        httpServer.listen({ port, backlog: ACCEPT_BACKLOG }, () => {
          const address = httpServer.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    stop: async () => {
      await subscriptions.dispose();
      await events.stop();
      await apollo.stop();
      await rateLimits.dispose();
      await readiness.dispose();
    },
  };
}
