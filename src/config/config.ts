/**
 * The only reader of `process.env`. Every setting is parsed and validated here once;
 * a bad value stops startup with a message that names the variable.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface AppConfig {
  /** HTTP and WebSocket port. @default 4000 */
  port: number;
  /** PostgreSQL connection string; unset means an embedded PostgreSQL under `embeddedDataDir`. */
  databaseUrl: string | undefined;
  /** Data directory of the embedded PostgreSQL. @default ".data/postgres" */
  embeddedDataDir: string;
  /** Port of the embedded PostgreSQL. @default 54329 */
  embeddedPort: number;
  /** A secret that authenticates as PLATFORM_ADMIN without a database row. */
  platformAdminKey: string | undefined;
  /** @default "info" */
  logLevel: LogLevel;
  /** HS256 secret for identity-provider JWTs. */
  jwtSecret: string | undefined;
  /** JWKS endpoint for identity-provider JWTs (RS256/ES256). */
  jwksUrl: string | undefined;
  /** Expected `iss` of JWTs, checked when set. */
  jwtIssuer: string | undefined;
  /** Expected `aud` of JWTs, checked when set. */
  jwtAudience: string | undefined;
  /** Size of the pg connection pool. @default 10 */
  dbPoolSize: number;
  /** Run scheduled jobs (pg-boss) in this process. @default true */
  jobsEnabled: boolean;
  /**
   * Browser origins (scheme://host[:port], comma-separated) allowed to open the GraphQL
   * WebSocket besides the server's own; clients sending no Origin are not browsers. @default none
   */
  corsOrigins: string[];
  /** NODE_ENV is "production": no field suggestions in error messages, introspection off by default. @default false */
  production: boolean;
  /**
   * Whether `__schema` / `__type` may be queried, over HTTP and WebSocket (ENABLE_INTROSPECTION).
   * @default true outside production, false in production
   */
  introspectionEnabled: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

function optionalString(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value.trim() === '') return undefined;
  return value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = optionalString(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use one of ${protocols.join(', ')}`);
  }
  return raw;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function origins(env: Env, name: string): string[] {
  const raw = optionalString(env, name);
  if (raw === undefined) return [];
  return raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').map((entry) => {
    let parsed: URL;
    try {
      parsed = new URL(entry);
    } catch {
      throw new ConfigError(name, `has "${entry}", which is not an origin (scheme://host[:port])`);
    }
    if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(name, `has "${entry}", which is not an origin (scheme://host[:port])`);
    }
    return parsed.origin;
  });
}

const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

export function loadConfig(env: Env = process.env): AppConfig {
  const logLevel = (optionalString(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const platformAdminKey = optionalString(env, 'PLATFORM_ADMIN_KEY');
  if (platformAdminKey !== undefined && platformAdminKey.length < 24) {
    throw new ConfigError('PLATFORM_ADMIN_KEY', 'must be at least 24 characters');
  }
  const jwtSecret = optionalString(env, 'JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  }
  const production = optionalString(env, 'NODE_ENV') === 'production';
  return {
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    embeddedDataDir: optionalString(env, 'EMBEDDED_PG_DATA_DIR') ?? '.data/postgres',
    embeddedPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    platformAdminKey,
    logLevel: logLevel as LogLevel,
    jwtSecret,
    jwksUrl: url(env, 'JWKS_URL', ['https:', 'http:']),
    jwtIssuer: optionalString(env, 'JWT_ISSUER'),
    jwtAudience: optionalString(env, 'JWT_AUDIENCE'),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 200),
    jobsEnabled: boolean(env, 'JOBS_ENABLED', true),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    production,
    introspectionEnabled: boolean(env, 'ENABLE_INTROSPECTION', !production),
  };
}
