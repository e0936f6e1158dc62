import type http from 'node:http';
import { WebSocketServer } from 'ws';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../shared/logger';
import type { AuthService } from '../auth/auth.service';
import type { Viewer } from '../auth/role';
import type { Services } from '../../graphql/services';
import type { RequestContext } from '../../graphql/context';
import { createLoaders } from '../../graphql/loaders';
import { checkOperation } from '../../graphql/limits';
import { createErrorFormatter } from '../../graphql/errors';
import type { EventHub } from './event-hub';
import { subscribeShared } from './shared-execution';

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
 * connection_init (`connectionParams.authorization: "Bearer …"`, else close 4403), the same
 * parse, validation and cost limits as HTTP, keep-alive pings. `dispose` closes every
 * socket with 1001 so clients reconnect elsewhere.
 */
export function attachSubscriptionServer(deps: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  dataSource: DataSource;
  auth: AuthService;
  services: Services;
  hub: EventHub;
  corsOrigins: readonly string[];
  logger: Logger;
}): { dispose(): Promise<void> } {
  const { httpServer, schema, dataSource, auth, services, hub, corsOrigins, logger } = deps;
  const formatError = createErrorFormatter(logger);
  const format = (error: GraphQLError) => formatError(error.toJSON(), error);
  // A reconnect storm is thousands of identical documents: parse and validate each once. The
  // key blanks string variables (ids, cursors such as afterSequence): strings never change
  // validity or the estimated cost, which reads page sizes (numbers).
  const checked = new Map<string, ReturnType<typeof checkOperation>>();
  const checkCached = (payload: Parameters<typeof checkOperation>[1]): ReturnType<typeof checkOperation> => {
    if (payload.query.length > 10_000) return checkOperation(schema, payload); // not what dashboards send; not kept
    const variables = Object.fromEntries(Object.entries(payload.variables ?? {}).map(([k, v]) => [k, typeof v === 'string' ? '' : v]));
    const key = JSON.stringify([payload.query, payload.operationName ?? null, variables]);
    let result = checked.get(key);
    if (!result) {
      result = checkOperation(schema, payload);
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
      if (originAllowed(info.req.headers.origin, info.req.headers.host, corsOrigins)) done(true);
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
  wss.on('connection', (socket) => {
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (!initialised.has(socket) && socket.readyState === socket.OPEN) socket.close(4408, 'Connection initialisation timeout');
      });
    }, CONNECTION_INIT_WAIT_MS);
    socket.once('close', () => clearTimeout(timer));
  });
  const cleanup = useServer<Record<string, unknown> | undefined, { viewer: Viewer }>(
    {
      schema,
      connectionInitWaitTimeout: 0,
      // One execution per event and document/viewer, shared by the subscriptions that would compute the same result.
      subscribe: subscribeShared,
      onConnect: async (ctx) => {
        initialised.add(ctx.extra.socket);
        const authorization = ctx.connectionParams?.authorization;
        try {
          ctx.extra.viewer = await auth.authenticate(typeof authorization === 'string' ? authorization : undefined);
          return true;
        } catch {
          return false; // 4403 Forbidden
        }
      },
      context: (ctx): RequestContext => ({
        viewer: ctx.extra.viewer!,
        loaders: createLoaders(dataSource),
        services,
        events: hub,
      }),
      onSubscribe: (_ctx, _id, payload) => {
        const result = checkCached(payload);
        if (result.errors) {
          // The codes Apollo gives the same failures over HTTP.
          return result.errors.map((error) =>
            error.extensions?.code
              ? error
              : new GraphQLError(error.message, {
                  nodes: error.nodes,
                  source: error.source,
                  positions: error.positions,
                  extensions: { code: /^Syntax Error/.test(error.message) || /token/i.test(error.message) ? 'GRAPHQL_PARSE_FAILED' : 'GRAPHQL_VALIDATION_FAILED' },
                }),
          );
        }
        return { schema, document: result.document, operationName: payload.operationName, variableValues: payload.variables };
      },
      // The same error mapping as HTTP: client errors keep their code, anything else is logged
      // and replaced by a generic error (no SQL or internals leave the process).
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => format(asRequestError(error))),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((error) => format(result.data === undefined ? asRequestError(error) : error)) }
          : undefined,
    },
    wss,
    KEEP_ALIVE_MS,
  );
  return {
    dispose: () => cleanup.dispose() as Promise<void>,
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
