import { Logger, REDACTED } from './logger';

/** A logger writing to an array, and its lines parsed. */
function capture(level: 'debug' | 'info' | 'warn' = 'debug', secrets: string[] = []) {
  const lines: string[] = [];
  const logger = new Logger(level, { destination: { write: (line: string) => void lines.push(line) }, secrets });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line)) };
}

describe('Logger', () => {
  it('should write one JSON line with time, level name, message and fields', () => {
    const { logger, parsed } = capture();
    logger.info('API ready', { port: 4000 });
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', message: 'API ready', port: 4000 });
    expect(new Date(line.time).toISOString()).toBe(line.time);
  });

  it('should keep the line\'s message and move a field named message to error (no second message key)', () => {
    const { logger, lines, parsed } = capture();
    logger.warn('event pool connection error', { message: 'terminating connection' });
    logger.warn('both', { message: 'cause text', error: 'E1' });
    expect(lines[0].match(/"message"/g)).toHaveLength(1);
    expect(parsed()).toEqual([
      expect.objectContaining({ message: 'event pool connection error', error: 'terminating connection' }),
      expect.objectContaining({ message: 'both', error: 'E1', cause: 'cause text' }),
    ]);
  });

  it('should bind a child\'s fields to each of its lines', () => {
    const { logger, parsed } = capture();
    const request = logger.child({ requestId: 'r-1' });
    request.warn('slow', { ms: 12 });
    request.child({ step: 'two' }).error('failed');
    expect(parsed()).toEqual([
      expect.objectContaining({ requestId: 'r-1', level: 'warn', ms: 12 }),
      expect.objectContaining({ requestId: 'r-1', step: 'two', level: 'error' }),
    ]);
  });

  it('should drop lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    expect(lines).toHaveLength(1);
    expect(logger.enabled('debug')).toBe(false);
    expect(logger.enabled('error')).toBe(true);
  });

  it('should redact credential fields: authorization headers, cookies, connectionParams, variables', () => {
    const { logger, lines, parsed } = capture();
    logger.info('request', {
      headers: { authorization: 'Basic dXNlcjpwYXNz', cookie: 'session=abc', 'user-agent': 'curl' },
      connectionParams: { authorization: 'whatever-shape' },
      operation: { name: 'Transfer', variables: { input: { minutes: '3' } } },
      authorization: 'plain',
    });
    expect(parsed()[0]).toEqual(expect.objectContaining({
      headers: { authorization: REDACTED, cookie: REDACTED, 'user-agent': 'curl' },
      connectionParams: REDACTED,
      operation: { name: 'Transfer', variables: REDACTED },
      authorization: REDACTED,
    }));
    expect(lines[0]).not.toMatch(/dXNlcjpwYXNz|session=abc|whatever-shape|plain/);
  });

  it.each([
    ['an API key', 'vmk_Qm9ndXNLZXlGb3JUZXN0aW5nT25seTEyMzQ1Njc4'],
    ['a bearer credential', 'Bearer some.opaque-token_value'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXBhcnQ'],
  ])('should scrub %s from messages and any field', (_kind, secret) => {
    const { logger, lines } = capture();
    logger.error(`query failed for ${secret}`, { detail: `value was ${secret}`, nested: { list: [secret] } });
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain(REDACTED);
  });

  it('should scrub the configured secrets, whatever their shape', () => {
    const { logger, lines } = capture('debug', ['an-operator-chosen-platform-key-000']);
    logger.info('key an-operator-chosen-platform-key-000 used', { echo: 'an-operator-chosen-platform-key-000' });
    expect(lines[0]).not.toContain('an-operator-chosen-platform-key-000');
  });
});
