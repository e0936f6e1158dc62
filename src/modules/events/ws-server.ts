import type http from 'node:http';
import { WebSocketServer } from 'ws';
import { getOperationAST, GraphQLError, type GraphQLSchema } from 'graphql';
import type { Logger } from '../../shared/logger';
import type { AppConfig } from '../../config/config';
import type { AuthService } from '../auth/auth.service';
import type { ApiKeyRevocations } from '../auth/api-key-revocations';
import type { Viewer } from '../auth/role';
import type { Services } from '../../graphql/services';
import type { RequestContext } from '../../graphql/context';
import type { Loaders } from '../../graphql/loaders';
import { checkOperation, type LimitOptions } from '../../graphql/limits';
import { asGraphQLError, createErrorFormatter, RateLimitedError, UnauthenticatedError } from '../../graphql/errors';
import { authenticateWithinBudget, chargeOperation } from '../../graphql/rate-limit';
import { malformedInputError } from '../../graphql/well-formed-input';
import type { RateLimitService } from '../rate-limit/rate-limit.service';
import { clientIp } from '../rate-limit/client-ip';
import type { EventHub } from './event-hub';
import { subscribeShared } from './shared-execution';
import { SocketSession } from './socket-session';
import { credentialKeyOf, SocketRegistry } from './socket-registry';
import { WsCloseCode } from './socket-close';
import type { ApiMetrics, OperationType } from '../observability/api-metrics';
import { newRequestId, REQUEST_ID_HEADER, requestIdOf } from '../observability/request-id';

/** One operation of a socket, from its subscribe message to its end: its id, logger and metric labels. */
interface OperationState {
  requestId: string;
  logger: Logger;
  startedAt: number;
  name: string | null | undefined;
  type: OperationType;
  /** Counted in the operations metric already (a subscription is counted when it starts). */
  counted: boolean;
}

// graphql-ws 6 publishes 'graphql-ws/use/ws' through package.json "exports", which this project's
// moduleResolution (node10, CommonJS) does not read: the types come from the file the export points at.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as typeof import('graphql-ws/dist/use/ws');

export const KEEP_ALIVE_MS = 12_000;
/** Distinct subscription documents whose checks are remembered (dashboards send a handful). */
const CHECKED_CACHE_SIZE = 500;
export const CONNECTION_INIT_WAIT_MS = 3_000;

/**
 * Whether a WebSocket handshake's Origin may connect: no Origin (not a browser), the
 * server's own origin (the playground), or one of CORS_ORIGINS. Browsers send cookies on
 * the handshake and apply no same-origin policy to it, so any other page is refused.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host && parsed.host === host) return true;
  return allowed.includes(parsed.origin);
}

/**
 * graphql-ws (protocol graphql-transport-ws) on the HTTP server's /graphql: credentials in
 * connection_init (`connectionParams.authorization: "Bearer …"`, else close 4403) and
 * re-checked before every operation (revoked key or expired token: UNAUTHENTICATED, then
 * close 4401); a revoked key's sockets closed when the hub reads the revocation, a JWT's at
 * its `exp`; the same parse, validation and cost limits as HTTP; caps on subscriptions per
 * socket, sockets per credential and messages per second (socket-close.ts has the codes);
 * keep-alive pings. `dispose` closes every socket with 1001 so clients reconnect elsewhere.
 */
export function attachSubscriptionServer(deps: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  /** Builds a request's loaders (server.ts): one set per operation, and one per subscription event. */
  newLoaders: () => Loaders;
  auth: AuthService;
  revocations: ApiKeyRevocations;
  services: Services;
  hub: EventHub;
  config: Pick<AppConfig, 'corsOrigins' | 'production' | 'wsMaxSubscriptionsPerSocket' | 'wsMaxSocketsPerKey' | 'wsMaxMessagesPerSecond' | 'wsMessageBurst'>;
  logger: Logger;
  rateLimits: RateLimitService;
  /** See AppConfig.trustProxyHops. */
  trustProxyHops: number;
  /** The options of the limits HTTP applies (introspection on or off). */
  limits: LimitOptions;
  /** Drop "Did you mean …?" from error messages (production), as HTTP does. */
  hideSuggestions: boolean;
  metrics: ApiMetrics;
}): { dispose(): Promise<void>; registry: SocketRegistry; openSockets(): number } {
  const { httpServer, schema, auth, revocations, services, hub, config, logger, rateLimits, trustProxyHops, limits, metrics, newLoaders } = deps;
  const formatError = createErrorFormatter(logger, { hideSuggestions: deps.hideSuggestions, countError: (code) => metrics.error(code) });
  // A socket's id: the handshake's x-request-id when acceptable, else generated; sent back on the
  // 101 answer and bound to the socket's log lines. Each operation gets an id of its own
  // (graphql-ws operation ids are the client's and may be anything).
  const socketIds = new WeakMap<object, string>();
  const operationsOf = new WeakMap<object, Map<string, OperationState>>();
  const socketLoggers = new WeakMap<object, Logger>();
  const operationOf = (socket: object, id: string): OperationState | undefined => operationsOf.get(socket)?.get(id);
  const countOperation = (operation: OperationState, failed: boolean) => {
    if (operation.counted) return;
    operation.counted = true;
    const seconds = operation.type === 'subscription' ? undefined : (performance.now() - operation.startedAt) / 1000;
    metrics.operation({ name: operation.name, type: operation.type, transport: 'ws', failed }, seconds);
    if (operation.logger.enabled('debug')) {
      operation.logger.debug('graphql operation', {
        operation: metrics.operationLabels.label(operation.name), type: operation.type, transport: 'ws',
        ...(seconds !== undefined ? { durationMs: Math.round(seconds * 10_000) / 10 } : {}), ...(failed ? { failed } : {}),
      });
    }
  };
  const registry = new SocketRegistry(config.wsMaxSocketsPerKey, revocations);
  const stopWatchingRevocations = hub.onKeyRevoked(registry);
  const sessions = new WeakMap<object, SocketSession>();
  const sessionOf = (socket: object): SocketSession => sessions.get(socket)!;
  const format = (error: GraphQLError, operation: OperationState | undefined) => formatError(error.toJSON(), error, operation);
  // A reconnect storm is thousands of identical documents: parse and validate each once. The
  // key blanks string variables (ids, cursors such as afterSequence): strings never change
  // validity or the estimated cost, which reads page sizes (numbers).
  const checked = new Map<string, ReturnType<typeof checkOperation>>();
  const checkCached = (payload: Parameters<typeof checkOperation>[1]): ReturnType<typeof checkOperation> => {
    if (payload.query.length > 10_000) return checkOperation(schema, payload, limits); // not what dashboards send; not kept
    const variables = Object.fromEntries(Object.entries(payload.variables ?? {}).map(([k, v]) => [k, typeof v === 'string' ? '' : v]));
    const key = JSON.stringify([payload.query, payload.operationName ?? null, variables]);
    let result = checked.get(key);
    if (!result) {
      result = checkOperation(schema, payload, limits);
      if (checked.size >= CHECKED_CACHE_SIZE) checked.clear();
      checked.set(key, result);
    }
    return result;
  };
  const wss = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: 1024 * 1024,
    verifyClient: (info, done) => {
      if (originAllowed(info.req.headers.origin, info.req.headers.host, config.corsOrigins)) done(true);
      else done(false, 403, 'Origin not allowed');
    },
  });
  // The connection_init timeout (4408) is ours, not graphql-ws's: when its timer fires, the
  // decision waits for one more poll phase of the event loop (setImmediate), which reads the
  // data already waiting on the socket. graphql-ws's own timer fires in the timers phase of
  // the first iteration after 3 s, so an event loop that was busy for 3 s (a reconnect storm:
  // thousands of sockets closing and opening at once) closed sockets whose connection_init had
  // arrived in time but was not read yet.
  const initialised = new WeakSet<object>();
  wss.on('headers', (headers, request) => {
    const id = requestIdOf(request.headers[REQUEST_ID_HEADER]);
    socketIds.set(request, id);
    headers.push(`${REQUEST_ID_HEADER}: ${id}`);
  });
  wss.on('connection', (socket, request) => {
    socketLoggers.set(socket, logger.child({ socketId: socketIds.get(request) ?? newRequestId() }));
    operationsOf.set(socket, new Map());
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (!initialised.has(socket) && socket.readyState === socket.OPEN) socket.close(4408, 'Connection initialisation timeout');
      });
    }, CONNECTION_INIT_WAIT_MS);
    const session = new SocketSession(socket, {
      production: config.production,
      maxMessagesPerSecond: config.wsMaxMessagesPerSecond,
      messageBurst: config.wsMessageBurst,
    });
    sessions.set(socket, session);
    // Registered before graphql-ws's own listener (useServer below), so a message past the
    // budget has closed the session before graphql-ws parses it, and onSubscribe refuses it.
    socket.on('message', (data) => session.messageReceived(data));
    socket.once('close', () => {
      clearTimeout(timer);
      registry.remove(session);
      session.dispose();
    });
  });
  const cleanup = useServer<Record<string, unknown> | undefined, { viewer: Viewer }>(
    {
      schema,
      connectionInitWaitTimeout: 0,
      // One execution per event and document/viewer, shared by the subscriptions that would compute the same result.
      subscribe: subscribeShared,
      // Outside production graphql-ws puts an internal error's message in the close reason (4500).
      isProd: config.production,
      onConnect: async (ctx) => {
        initialised.add(ctx.extra.socket);
        const session = sessionOf(ctx.extra.socket);
        const authorization = ctx.connectionParams?.authorization;
        let viewer: Viewer;
        try {
          const ip = clientIp(ctx.extra.request, trustProxyHops);
          viewer = await authenticateWithinBudget(auth, rateLimits, ip, typeof authorization === 'string' ? authorization : undefined);
        } catch (error) {
          // An address past its failed-authentication budget: 4429 with the wait (a close reason is at most 123 bytes).
          if (error instanceof RateLimitedError) {
            ctx.extra.socket.close(4429, `RATE_LIMITED: retry in ${error.extensions.retryAfterSeconds as number} s`);
          }
          return false; // 4403 Forbidden (ignored when already closing with 4429)
        }
        // Closed meanwhile (by the client, or a flood): never registered, so nothing to remove.
        if (session.refusal || ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        session.authenticated(viewer, credentialKeyOf(viewer, authorization as string));
        if (session.refusal) return false; // a token expiring as it arrived: closed already (4401)
        if (!registry.add(session)) {
          session.close(
            WsCloseCode.TOO_MANY_REQUESTS,
            `Too many sockets for this credential (at most ${config.wsMaxSocketsPerKey} per replica)`,
            new GraphQLError('Too many sockets for this credential', { extensions: { code: 'RATE_LIMITED' } }),
          );
          return false; // graphql-ws's own 4403 close comes second and is ignored
        }
        ctx.extra.viewer = viewer;
        session.openSubscriptions = () => {
          let open = 0;
          for (const id of session.subscriptionIds) if (id in ctx.subscriptions) open += 1;
          return open;
        };
        return true;
      },
      context: (ctx, id): RequestContext => {
        const operation = operationOf(ctx.extra.socket, id);
        return {
          viewer: ctx.extra.viewer!,
          loaders: newLoaders(),
          newLoaders,
          services,
          events: hub,
          requestId: operation?.requestId ?? newRequestId(),
          logger: operation?.logger ?? logger,
        };
      },
      onSubscribe: async (ctx, id, payload) => {
        const requestId = newRequestId();
        operationsOf.get(ctx.extra.socket)?.set(id, {
          requestId,
          logger: (socketLoggers.get(ctx.extra.socket) ?? logger).child({ requestId }),
          startedAt: performance.now(),
          name: payload.operationName,
          type: 'unknown',
          counted: false,
        });
        const session = sessionOf(ctx.extra.socket);
        if (session.refusal) return [session.refusal];
        // Every operation re-checks the viewer of connection_init: a key revoked or a token expired since is refused.
        try {
          await auth.recheck(ctx.extra.viewer!);
        } catch (error) {
          const refused = asGraphQLError(error);
          if (!(refused instanceof UnauthenticatedError)) return [new GraphQLError('Credential re-check failed', { originalError: error as Error })];
          session.closeAfterReplies(WsCloseCode.UNAUTHORIZED, refused.message, refused);
          return [refused];
        }
        if (session.refusal) return [session.refusal]; // closed while the re-check ran
        // The codes Apollo gives the same failures over HTTP come with the errors.
        const result = checkCached(payload);
        if (result.errors) return result.errors;
        const malformed = malformedInputError(payload, result.document);
        if (malformed) return [malformed];
        // Charged like HTTP, at subscribe (a subscription's events are not charged); over the budget the
        // operation gets RATE_LIMITED and the socket stays open.
        const operation = getOperationAST(result.document, payload.operationName ?? undefined);
        const state = operationOf(ctx.extra.socket, id);
        if (state && operation) {
          state.type = operation.operation as OperationType;
          state.name = operation.name?.value ?? payload.operationName;
        }
        const limited = chargeOperation(rateLimits, schema, ctx.extra.viewer!, result.document, operation, payload.variables);
        if (limited) return [limited];
        if (getOperationAST(result.document, payload.operationName)?.operation === 'subscription') {
          // Ids graphql-ws no longer holds have completed (by the client, the server or an error).
          for (const open of session.subscriptionIds) if (!(open in ctx.subscriptions)) session.subscriptionIds.delete(open);
          if (session.subscriptionIds.size >= config.wsMaxSubscriptionsPerSocket) {
            return [new GraphQLError(`At most ${config.wsMaxSubscriptionsPerSocket} subscriptions may be open on one socket`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
            })];
          }
          session.subscriptionIds.add(id);
          if (state) countOperation(state, false);
        }
        return { schema, document: result.document, operationName: payload.operationName, variableValues: payload.variables };
      },
      // The same error mapping as HTTP: client errors keep their code, anything else is logged
      // and replaced by a generic error (no SQL or internals leave the process).
      onError: (ctx, id, _payload, errors) => {
        const operation = operationOf(ctx.extra.socket, id);
        const formatted = errors.map((error) => format(asRequestError(error), operation));
        if (operation) countOperation(operation, true);
        operationsOf.get(ctx.extra.socket)?.delete(id);
        return formatted;
      },
      onNext: (ctx, id, _payload, _args, result) => {
        if (!result.errors) return undefined;
        const operation = operationOf(ctx.extra.socket, id);
        if (operation && operation.type !== 'subscription') countOperation(operation, true);
        return { ...result, errors: result.errors.map((error) => format(result.data === undefined ? asRequestError(error) : error, operation)) };
      },
      onComplete: (ctx, id) => {
        const operation = operationOf(ctx.extra.socket, id);
        if (operation) countOperation(operation, false);
        operationsOf.get(ctx.extra.socket)?.delete(id);
      },
    },
    wss,
    KEEP_ALIVE_MS,
  );
  return {
    registry,
    openSockets: () => wss.clients.size,
    dispose: async () => {
      stopWatchingRevocations();
      await (cleanup.dispose() as Promise<void>);
    },
  };
}

/**
 * graphql-js reports variables it cannot coerce (a String given `false`, a bad DateTime) as
 * request errors: no path, no code, no data. Apollo answers them BAD_USER_INPUT over HTTP;
 * without this the WebSocket mapped them to INTERNAL_SERVER_ERROR.
 */
function asRequestError(error: GraphQLError): GraphQLError {
  if (error.path !== undefined || error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes, source: error.source, positions: error.positions, extensions: { code: 'BAD_USER_INPUT' },
  });
}
