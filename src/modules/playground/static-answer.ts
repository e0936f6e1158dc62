import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PlaygroundFile } from './playground-assets';

/**
 * One bundled file of a page the API serves (the playground, the monitor), gzipped when
 * the client accepts it, under that page's Content-Security-Policy.
 */
export function sendFile(req: IncomingMessage, res: ServerResponse, file: PlaygroundFile, headers: Record<string, string>, csp: string): void {
  const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzipped! : file.body;
  res.writeHead(200, {
    ...headers,
    ...(file.gzipped ? { vary: [headers.vary, 'Accept-Encoding'].filter(Boolean).join(', ') } : {}),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    'content-type': file.contentType,
    'content-length': body.length,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A JSON error in the API's shape (`{ errors: [{ message }] }`). */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ message }] });
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
