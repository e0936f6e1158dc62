import type { IncomingMessage, ServerResponse } from 'node:http';
import { secretsEqual } from '../auth/api-key-secret';
import type { ApiMetrics } from './api-metrics';
import type { ReadinessCheck } from './readiness';

/** The operator's endpoints; none of them goes through GraphQL, its per-key rate limits or CORS. */
export const OPS_PATHS = ['/healthz', '/health', '/readyz', '/metrics'] as const;

/**
 * Who may scrape /metrics: with METRICS_TOKEN, callers sending `Authorization: Bearer
 * <token>`; without it, anyone outside production and nobody in production (404), since the
 * figures describe every tenant's traffic taken together.
 */
export interface MetricsAccess {
  token: string | undefined;
  production: boolean;
}

/**
 * Failed-authentication budget per client address (the one GraphQL keys use): a wrong
 * metrics token counts against it, and an address past it is refused before the token is read.
 */
export interface AuthFailureBudget {
  /** Seconds to wait when `req`'s address has used its budget up, else undefined. */
  retryAfterSeconds(req: IncomingMessage): number | undefined;
  recordFailure(req: IncomingMessage): void;
}

/**
 * GET/HEAD /healthz (and its older name /health): 200 while the process runs and its event
 * loop answers; nothing else is checked, so a load balancer restarts only a dead process.
 * GET/HEAD /readyz: 200 when ReadinessCheck passes, else 503 with the checks and the reason
 * (take the replica out of rotation, do not restart it). GET /metrics: Prometheus text.
 *
 * Returns false for any other path.
 */
export function createOpsRoutes(deps: {
  readiness: ReadinessCheck;
  metrics: ApiMetrics;
  access: MetricsAccess;
  authFailures: AuthFailureBudget;
}): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const { readiness, metrics, access, authFailures } = deps;
  return (req, res, path) => {
    if (!(OPS_PATHS as readonly string[]).includes(path)) return false;
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      send(req, res, 405, { error: `${path} is read with GET` }, { allow: 'GET, HEAD' });
      return true;
    }
    if (path === '/healthz' || path === '/health') {
      send(req, res, 200, { status: 'ok' });
      return true;
    }
    if (path === '/readyz') {
      void readiness.check().then(
        (report) => send(req, res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', ...report }),
        () => send(req, res, 503, { status: 'not ready', reason: 'readiness check failed' }),
      );
      return true;
    }
    serveMetrics(req, res);
    return true;
  };

  function serveMetrics(req: IncomingMessage, res: ServerResponse): void {
    if (access.token === undefined && access.production) {
      send(req, res, 404, { error: 'Metrics are off in production until METRICS_TOKEN is set (then scrape with "Authorization: Bearer <token>")' });
      return;
    }
    if (access.token !== undefined) {
      const retryAfter = authFailures.retryAfterSeconds(req);
      if (retryAfter !== undefined) {
        send(req, res, 429, { error: `Too many failed authentications from this address; retry in ${retryAfter} s` }, { 'retry-after': String(retryAfter) });
        return;
      }
      const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (presented === undefined || !secretsEqual(presented, access.token)) {
        if (presented !== undefined) authFailures.recordFailure(req);
        send(req, res, 401, { error: 'Scraping /metrics takes "Authorization: Bearer <METRICS_TOKEN>"' }, { 'www-authenticate': 'Bearer' });
        return;
      }
    }
    metrics.text().then(
      (text) => {
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => send(req, res, 500, { error: 'metrics could not be collected' }),
    );
  }
}

function send(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
