import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { Logger } from '../shared/logger';

/** Largest request body accepted (bytes): a batch of 1,000 calls is ~250 KB. */
export const MAX_BODY_BYTES = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * GraphQL over HTTP on Node's own `http` server: read the body (bounded), parse JSON, hand
 * the request to Apollo Server, write its answer. What Express, body-parser and the
 * Express integration did, without their routing, content negotiation and ETag hashing
 * on every request (about a tenth of the server's CPU per minute transfer).
 *
 * Errors before Apollo are JSON too: 413 for a body over MAX_BODY_BYTES, 415 for a
 * compressed body, 400 for a body that is not valid JSON. A POST that is not
 * `application/json` reaches Apollo without a body, which refuses it (and its CSRF
 * prevention sees the request's real headers).
 */
export function createGraphQLHttpHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage, requestId: string) => Promise<TContext>,
  logger?: Logger,
): (req: IncomingMessage, res: ServerResponse, requestId: string) => void {
  return (req, res, requestId) => {
    handle(apollo, context, req, res, requestId).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) {
        logger?.error('unhandled error serving a GraphQL request', {
          requestId, message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined,
        });
      }
      const message = error instanceof HttpError ? error.message : 'Internal server error';
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A body left unread must not be parsed as the next request: close the connection after answering.
      sendJson(res, status, { errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST', requestId } }] },
        req.complete ? {} : { connection: 'close' });
    });
  };
}

async function handle<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage, requestId: string) => Promise<TContext>,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const queryAt = req.url?.indexOf('?') ?? -1;
  const request: HTTPGraphQLRequest = {
    method,
    headers,
    search: queryAt >= 0 ? req.url!.slice(queryAt) : '',
    body: method === 'POST' ? await readJsonBody(req) : undefined,
  };
  const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: request, context: () => context(req, requestId) });
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.setHeader('content-length', Buffer.byteLength(response.body.string));
    res.end(method === 'HEAD' ? undefined : response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** The parsed body of a JSON POST; undefined when the request says it is not JSON. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') throw new HttpError(415, `Content-Encoding "${encoding}" is not supported`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`);
  const isJson = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json';

  const raw = await readBody(req);
  if (!isJson || raw.length === 0) return undefined;
  let text: string;
  try {
    // JSON text is UTF-8 (RFC 8259). A lenient decode would silently turn bad bytes into U+FFFD,
    // storing something other than what the client sent.
    text = UTF8.decode(raw);
  } catch {
    throw new HttpError(400, 'The request body is not valid UTF-8');
  }
  try {
    // JSON may still carry lone surrogates and NUL as escapes ("\ud800", "\u0000"): legal JSON,
    // refused per operation by the well-formed input check (src/graphql/well-formed-input.ts).
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON');
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The whole body, up to MAX_BODY_BYTES. Past the limit it rejects at once and drops the
 * rest as it arrives (the stream is not destroyed, so the 413 still reaches the client).
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        reject(new HttpError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
