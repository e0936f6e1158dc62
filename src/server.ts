import http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { AppConfig } from './config/config';
import type { Logger } from './shared/logger';
import { AuthService } from './modules/auth/auth.service';
import { createLoaders } from './graphql/loaders';
import { createServices, type Services } from './graphql/services';
import { createErrorFormatter } from './graphql/errors';
import { costLimitPlugin, LIMITS, validationRules } from './graphql/limits';
import { noHttpSubscriptionsPlugin } from './graphql/no-http-subscriptions';
import { createGraphQLHttpHandler, sendJson } from './graphql/http-handler';
import type { RequestContext } from './graphql/context';
import { EventHub } from './modules/events/event-hub';
import { attachSubscriptionServer } from './modules/events/ws-server';

/** Connections the kernel queues before accept (capped by net.core.somaxconn). */
const ACCEPT_BACKLOG = 4096;

export interface ApiServer {
  httpServer: http.Server;
  /** This process's outbox reader and fan-out (one per server). */
  events: EventHub;
  /** The services every request shares. */
  services: Services;
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
}): Promise<ApiServer> {
  const { dataSource, schema, config, logger } = deps;
  // Its request handler is attached below, once Apollo (which needs the server for draining) has started.
  const httpServer = http.createServer();
  const auth = new AuthService(dataSource, config);
  const services = createServices(dataSource);

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: true,
    // main.ts owns SIGINT/SIGTERM: drain HTTP, then jobs, then the pool, then the database.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    validationRules,
    parseOptions: { maxTokens: LIMITS.MAX_TOKENS },
    formatError: createErrorFormatter(logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      noHttpSubscriptionsPlugin(),
      costLimitPlugin(schema),
      // No field sets cache hints and every answer is private to its viewer; the default plugin
      // would still wrap every resolved field (measured ~5% of a dashboard report's CPU).
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
  await apollo.start();
  const events = await EventHub.start(dataSource, logger);
  const subscriptions = attachSubscriptionServer({
    httpServer, schema, dataSource, auth, services, hub: events, corsOrigins: config.corsOrigins, logger,
  });

  const graphql = createGraphQLHttpHandler(apollo, async (req): Promise<RequestContext> => ({
    viewer: await auth.authenticate(req.headers.authorization),
    loaders: createLoaders(dataSource),
    services,
  }));
  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = req.url?.split('?', 1)[0];
    if (path === '/graphql') graphql(req, res);
    else if (path === '/health' && (req.method === 'GET' || req.method === 'HEAD')) sendJson(res, 200, { status: 'ok' });
    else sendJson(res, 404, { errors: [{ message: 'Not found: the API is at /graphql' }] });
  });

  return {
    httpServer,
    events,
    services,
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
    },
  };
}
