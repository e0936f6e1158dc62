import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config/config';

/** What stands in a log line where a secret was. */
export const REDACTED = '[redacted]';

/**
 * Fields that carry credentials or client data wherever they appear (one level deep too):
 * headers, graphql-ws connectionParams, GraphQL variables. Nothing logs them on purpose;
 * this keeps a future `logger.info('…', { req })` from leaking a key.
 */
const REDACT_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'cookie', '*.cookie', 'headers.cookie', '*.headers.cookie',
  'connectionParams', '*.connectionParams', 'variables', '*.variables',
];

/**
 * Secrets by their shape, anywhere in a line (an error message quoting a variable, a SQL
 * error quoting a value): API keys (`vmk_…`), bearer credentials, and JWTs (three base64url
 * parts, the first a JSON header `eyJ…`).
 */
const SECRET_SHAPES = /vmk_[A-Za-z0-9_-]{8,}|\b[Bb]earer\s+[^\s",\\]+|eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*/g;

export interface LoggerOptions {
  /** Where lines go. @default stdout, warn and error on stderr */
  destination?: DestinationStream;
  /** Literal secrets of the configuration (PLATFORM_ADMIN_KEY, JWT_SECRET, METRICS_TOKEN) censored wherever they appear. */
  secrets?: ReadonlyArray<string | undefined>;
}

/**
 * Structured JSON logs on pino, one line per entry: `time` (ISO), `level` (name), `message`,
 * the fields, and the bindings of `child` (a request's `requestId`). Secrets never reach the
 * destination: credential fields are redacted by path, and every finished line is scrubbed
 * of key-shaped strings and of the configured secrets.
 */
export class Logger {
  private made: PinoLogger | undefined;
  /** A child's pino logger is made on its first line: most requests log nothing at info. */
  private readonly make: (() => PinoLogger) | undefined;
  /** The logger levels are read from (a child's parent until it is made: they share the level). */
  private readonly levels: PinoLogger;

  constructor(level: LogLevel | { parent: PinoLogger; bindings: Record<string, string | number> }, options: LoggerOptions = {}) {
    if (typeof level !== 'string') {
      const { parent, bindings } = level;
      this.levels = parent;
      this.make = () => parent.child(bindings);
      return;
    }
    const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 8);
    this.made = pino(
      {
        level,
        messageKey: 'message',
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: REDACT_PATHS, censor: REDACTED },
        hooks: {
          streamWrite: (line) => {
            let out = line.replace(SECRET_SHAPES, REDACTED);
            for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
            return out;
          },
        },
      },
      options.destination ?? (level === 'silent' ? { write: () => undefined } : standardStreams()),
    );
    this.levels = this.made;
  }

  private get pino(): PinoLogger {
    return (this.made ??= this.make!());
  }

  /** A logger whose every line carries `bindings` (a request's id, a socket's id). */
  child(bindings: Record<string, string | number>): Logger {
    return new Logger({ parent: this.pino, bindings });
  }

  /** Whether `level` lines are written (to skip building fields nobody reads). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    return this.levels.isLevelEnabled(level);
  }

  debug(message: string, fields?: object): void {
    if (this.levels.isLevelEnabled('debug')) this.pino.debug(withoutMessageKey(fields), message);
  }
  info(message: string, fields?: object): void {
    if (this.levels.isLevelEnabled('info')) this.pino.info(withoutMessageKey(fields), message);
  }
  warn(message: string, fields?: object): void {
    if (this.levels.isLevelEnabled('warn')) this.pino.warn(withoutMessageKey(fields), message);
  }
  error(message: string, fields?: object): void {
    if (this.levels.isLevelEnabled('error')) this.pino.error(withoutMessageKey(fields), message);
  }
}

/** debug and info on stdout, warn and error on stderr (each line once: `dedupe`), as a terminal user expects. */
function standardStreams(): DestinationStream {
  // The logger's level filters first; dedupe sends a line to the highest-level stream it reaches.
  return pino.multistream(
    [
      { level: 'debug', stream: pino.destination({ dest: 1, sync: true }) },
      { level: 'warn', stream: pino.destination({ dest: 2, sync: true }) },
    ],
    { dedupe: true },
  );
}

/**
 * Fields may not carry `message`, the line's own key: callers pass `{ message: error.message }`
 * for the cause, which pino would write as a second `message` key (a JSON line most parsers
 * read as the last one, losing the line's text). The cause goes to `error` (`cause` when the
 * fields already have an `error`).
 */
function withoutMessageKey(fields: object | undefined): object {
  if (!fields || !Object.prototype.hasOwnProperty.call(fields, 'message')) return fields ?? {};
  const { message, ...rest } = fields as Record<string, unknown>;
  return { ...rest, [Object.prototype.hasOwnProperty.call(rest, 'error') ? 'cause' : 'error']: message };
}
