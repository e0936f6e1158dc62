import WebSocket from 'ws';
import { startTestApp, type TestApp } from './helpers/test-app';
import { Logger } from '../src/shared/logger';
import { sleep } from './helpers/ws';
import { until } from './helpers/until';
import { createAgency } from './helpers/fixtures';

/**
 * Request ids: taken from x-request-id when acceptable (else generated), answered in the
 * header and in every GraphQL error's extensions, bound to every log line of the request;
 * over WebSocket one per socket (handshake header) and one per operation. Log lines are read
 * from the logger's destination, at debug level.
 */
let app: TestApp;
/** This app's PLATFORM_ADMIN_KEY, also given to the logger as a secret to censor. */
const platformKey = 'test-platform-key-for-request-ids-0123456789';
const lines: string[] = [];
const logged = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  app = await startTestApp({ platformAdminKey: platformKey }, {
    logger: new Logger('debug', { destination: { write: (line: string) => void lines.push(line) }, secrets: [platformKey] }),
  });
});

afterAll(async () => {
  await app.close();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, requestId: response.headers.get('x-request-id'), body: (await response.json()) as any };
}

describe('request ids over HTTP', () => {
  it('should answer the x-request-id it was sent, in the header and in the extensions of an error before execution', async () => {
    const unauthenticated = await post({ query: '{ viewer { role } }' }, { 'x-request-id': 'lb-4f2a.9:Z_x' });
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.requestId).toBe('lb-4f2a.9:Z_x');
    expect(unauthenticated.body.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED', requestId: 'lb-4f2a.9:Z_x' });

    const invalid = await post({ query: '{ nope }' }, { 'x-request-id': 'second-id', authorization: `Bearer ${platformKey}` });
    expect(invalid.body.errors[0].extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', requestId: 'second-id' });

    const malformed = await post('{"query": ', { 'x-request-id': 'third-id' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].extensions).toEqual({ code: 'BAD_REQUEST', requestId: 'third-id' });
  });

  it('should put the id in errors raised while resolving, next to partial data', async () => {
    const { agencyId } = await createAgency(app);
    const result = await post(
      {
        query: `query($id: ID!) { viewer { role } agency(id: $id) {
          usageReport(range: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { from } } }`,
        variables: { id: agencyId },
      },
      { 'x-request-id': 'resolver-error', authorization: `Bearer ${platformKey}` },
    );
    expect(result.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(result.body.data.viewer.role).toBe('PLATFORM_ADMIN');
    expect(result.body.errors.length).toBeGreaterThan(0);
    for (const error of result.body.errors) expect(error.extensions.requestId).toBe('resolver-error');
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['with a space', 'two words'],
    ['with a quote', 'id"injected'],
    ['not ASCII', 'idé'],
    ['empty', ''],
  ])('should replace an id that is %s with a generated one', async (_case, sent) => {
    const result = await post({ query: '{ viewer { role } }' }, { 'x-request-id': sent });
    expect(result.requestId).toMatch(UUID);
    expect(result.body.errors[0].extensions.requestId).toBe(result.requestId);
  });

  it('should generate a new id for every request that brings none', async () => {
    const first = await post({ query: '{ viewer { role } }' });
    const second = await post({ query: '{ viewer { role } }' });
    expect(first.requestId).toMatch(UUID);
    expect(second.requestId).toMatch(UUID);
    expect(first.requestId).not.toBe(second.requestId);
  });
});

describe('log lines', () => {
  it('should carry the request id on the request\'s lines and never its key or secrets from its variables', async () => {
    const secretInVariable = 'vmk_' + 'S3cretVariableValue'.repeat(2);
    const result = await post(
      { query: 'query Lookup($id: ID!) { viewer { role } agency(id: $id) { id } }', variables: { id: secretInVariable } },
      { 'x-request-id': 'log-line-1', authorization: `Bearer ${platformKey}` },
    );
    expect(result.requestId).toBe('log-line-1');
    const line = await until(async () => logged().find((l) => l.requestId === 'log-line-1'), (found) => found !== undefined);
    expect(line).toMatchObject({ level: 'debug', message: 'graphql operation', operation: 'Lookup', type: 'query', transport: 'http', requestId: 'log-line-1' });
    expect(typeof line!.time).toBe('string');
    const all = lines.join('');
    expect(all).not.toContain(platformKey);
    expect(all).not.toContain(secretInVariable);
  });
});

describe('log lines of a failing request', () => {
  it('should log an internal error on the request\'s logger, with its id, and answer the same id', async () => {
    await app.dataSource.query('ALTER TABLE plans RENAME TO plans_hidden_by_request_id_test');
    let result;
    try {
      result = await post({ query: '{ plans { code } }' }, { 'x-request-id': 'internal-1', authorization: `Bearer ${platformKey}` });
    } finally {
      await app.dataSource.query('ALTER TABLE plans_hidden_by_request_id_test RENAME TO plans');
    }
    expect(result.body.errors).toEqual([
      { message: 'Internal server error', path: ['plans'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'internal-1' } },
    ]);
    const line = logged().find((l) => l.requestId === 'internal-1' && l.level === 'error');
    expect(line).toMatchObject({ message: 'unhandled error in GraphQL operation', path: ['plans'] });
    expect(String(line!.message) + String(line!.stack)).not.toContain(platformKey);
  });
});

describe('request ids over WebSocket', () => {
  it('should answer the handshake\'s id, give every operation its own in its errors and log lines', async () => {
    const socket = new WebSocket(app.wsUrl, 'graphql-transport-ws', { headers: { 'x-request-id': 'socket-7' } });
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    const upgradeId = await new Promise<string | undefined>((resolve, reject) => {
      socket.once('upgrade', (response) => resolve(response.headers['x-request-id'] as string | undefined));
      socket.once('error', reject);
    });
    expect(upgradeId).toBe('socket-7');
    try {
      await new Promise((resolve) => (socket.readyState === socket.OPEN ? resolve(undefined) : socket.once('open', resolve)));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${platformKey}` } }));
      await until(async () => messages, (m) => m.some((x) => x.type === 'connection_ack'), 5000, 20);
      socket.send(JSON.stringify({ id: 'a', type: 'subscribe', payload: { query: 'query Broken { nope }', operationName: 'Broken' } }));
      socket.send(JSON.stringify({ id: 'b', type: 'subscribe', payload: { query: 'query Fine { viewer { role } }' } }));
      const error = (await until(async () => messages.find((m) => m.type === 'error' && m.id === 'a'), (m) => m !== undefined, 5000, 20));
      expect(error.payload[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const operationId = error.payload[0].extensions.requestId;
      expect(operationId).toMatch(UUID);
      await until(async () => messages, (m) => m.some((x) => x.type === 'complete' && x.id === 'b'), 5000, 20);

      const opLines = await until(async () => logged().filter((l) => l.socketId === 'socket-7' && l.message === 'graphql operation'), (l) => l.length === 2);
      const broken = opLines.find((l) => l.operation === 'Broken')!;
      const fine = opLines.find((l) => l.operation === 'Fine')!;
      expect(broken).toMatchObject({ requestId: operationId, transport: 'ws', failed: true });
      expect(fine).toMatchObject({ transport: 'ws', type: 'query' });
      expect(fine.requestId).toMatch(UUID);
      expect(fine.requestId).not.toBe(operationId);
      expect(lines.join('')).not.toContain(platformKey);
    } finally {
      socket.close();
      await sleep(50);
    }
  });
});
