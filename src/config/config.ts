/**
 * The only reader of `process.env`. Every setting is parsed and validated here once;
 * a bad value stops startup with a message that names the variable.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The PostgreSQL pools besides the requests' (DB_POOL_SIZE), one per role, so that no role
 * waits behind another's traffic for a connection.
 */
export interface DbPoolSizes {
  /** The event hub's outbox polls and wake-up NOTIFYs. @default 3 */
  events: number;
  /** Resumes read from the outbox table; as many agencies' replay pages run at once. @default 2 */
  replay: number;
  /** pg-boss, in a process that runs jobs (at least 2). @default 4 */
  jobs: number;
  /** The rate-limit counters when they live in PostgreSQL (no REDIS_URL). @default 2 */
  rateLimits: number;
}

/** The defaults of DB_EVENTS_POOL_SIZE, DB_REPLAY_POOL_SIZE, DB_JOBS_POOL_SIZE and DB_RATE_LIMIT_POOL_SIZE. */
export const DEFAULT_DB_POOL_SIZES: Readonly<DbPoolSizes> = { events: 3, replay: 2, jobs: 4, rateLimits: 2 };

/**
 * The most PostgreSQL connections one process holds: every pool full, plus the event hub's
 * LISTEN connection and the readiness probe's one.
 */
export function connectionBudget(config: Pick<AppConfig, 'dbPoolSize' | 'dbPools' | 'jobsEnabled' | 'redisUrl' | 'rateLimits'>): number {
  const { events, replay, jobs, rateLimits } = config.dbPools;
  const rateLimitPool = config.rateLimits.enabled && !config.redisUrl ? rateLimits : 0;
  return config.dbPoolSize + events + replay + 1 + 1 + rateLimitPool + (config.jobsEnabled ? jobs : 0);
}

export interface AppConfig {
  /**
   * NODE_ENV is `production`: HSTS on every answer, generic reasons on socket close (nothing
   * internal), and the other production-only rules. @default false
   */
  production: boolean;
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
  /** JWKS endpoint for identity-provider JWTs (asymmetric algorithms of `jwtAlgorithms`). */
  jwksUrl: string | undefined;
  /** Expected `iss` of JWTs; required with `jwksUrl`, checked when set. */
  jwtIssuer: string | undefined;
  /** Expected `aud` of JWTs; required with `jwksUrl`, checked when set. */
  jwtAudience: string | undefined;
  /**
   * Signature algorithms accepted on the JWKS path (asymmetric only: never `none`, never
   * HS*, whose key would be a public JWK). @default ["RS256", "ES256", "EdDSA"]
   */
  jwtAlgorithms: JwksAlgorithm[];
  /** Longest accepted token lifetime, `exp - iat` (both claims required). @default 86400 (24 h) */
  jwtMaxLifetimeSeconds: number;
  /** Size of the pg connection pool of requests (TypeORM). @default 10 */
  dbPoolSize: number;
  /** The other pools, one per role (docs/operations.md, "Pool sizing"). */
  dbPools: DbPoolSizes;
  /**
   * How long startup keeps retrying an unreachable PostgreSQL (exponential backoff) before it
   * exits with status 1; 0 tries once. @default 60
   */
  dbConnectTimeoutSeconds: number;
  /**
   * On SIGTERM/SIGINT, how long in-flight requests, batches and jobs may take to finish; past
   * it the process exits with status 1 (their transactions roll back). @default 25
   */
  shutdownGraceSeconds: number;
  /** Run scheduled jobs (pg-boss) in this process. @default true */
  jobsEnabled: boolean;
  /**
   * Browser origins (scheme://host[:port], comma-separated) allowed to call the API from
   * another origin: CORS on HTTP and the WebSocket handshake alike (the server's own origin
   * may always open the WebSocket; clients sending no Origin are not browsers). @default none
   */
  corsOrigins: string[];
  /** Redis for the shared rate-limit counters; unset: they live in PostgreSQL (table `rate_limit.counters`). */
  redisUrl: string | undefined;
  /**
   * Proxies in front of the API whose `X-Forwarded-For` entries are trusted (0: none, the
   * socket's address is the client's). Set it to the number of proxies that append to the
   * header, never more: a client can write any entry before them. @default 0
   */
  trustProxyHops: number;
  /** Subscriptions one WebSocket may hold open at once; one more is refused on that operation. @default 100 */
  wsMaxSubscriptionsPerSocket: number;
  /**
   * WebSockets one credential (an API key, or one JWT) may hold open on this replica (not
   * shared: N replicas allow N times as many). One more is closed with 4429. @default 50
   */
  wsMaxSocketsPerKey: number;
  /** Sustained client messages per second per WebSocket (token bucket refill). @default 50 */
  wsMaxMessagesPerSecond: number;
  /**
   * Messages a WebSocket may send at once above the sustained rate (the bucket's size); at
   * least wsMaxSubscriptionsPerSocket + 1, so a client resubscribing everything after a
   * reconnect is not closed. A socket past it is closed with 4429. @default 200
   */
  wsMessageBurst: number;
  /**
   * Serve GraphiQL at GET /graphql (Accept: text/html) and its files under /playground/.
   * @default true, false when NODE_ENV=production
   */
  playgroundEnabled: boolean;
  /**
   * Serve the live monitor page at GET /monitor and its files under /monitor/ (ENABLE_MONITOR).
   * A page of its own flag: an operator may want it where the playground is off. It holds
   * no data of its own: it calls the API with the key pasted into it.
   * @default ENABLE_PLAYGROUND's value (on outside production, off with NODE_ENV=production)
   */
  monitorEnabled: boolean;
  /**
   * Whether `__schema` / `__type` may be queried, over HTTP and WebSocket (ENABLE_INTROSPECTION).
   * @default true outside production, false in production
   */
  introspectionEnabled: boolean;
  /**
   * Bearer token that GET /metrics requires (METRICS_TOKEN, at least 24 characters). Unset:
   * /metrics is open outside production and off (404) in production.
   */
  metricsToken: string | undefined;
  rateLimits: RateLimitConfig;
  payments: PaymentsConfig;
}

/**
 * Stripe. Without STRIPE_SECRET_KEY the API runs in sandbox mode: purchases are booked as
 * paid without any network call (said at startup and in each such transfer's memo), and
 * `assertPaymentsAllowed` refuses that mode when NODE_ENV=production.
 */
export interface PaymentsConfig {
  /** STRIPE_SECRET_KEY (sk_… or rk_…); unset: sandbox mode. */
  stripeSecretKey: string | undefined;
  /** STRIPE_WEBHOOK_SECRET (whsec_…), which signs POST /webhooks/stripe; required with a key. */
  stripeWebhookSecret: string | undefined;
  /**
   * STRIPE_API_BASE (http[s]://host:port): where the SDK sends its requests instead of
   * api.stripe.com (the SDK's host, port and protocol options). For tests against a local
   * Stripe-compatible server only: refused when NODE_ENV=production.
   */
  stripeApi: { host: string; port: number; protocol: 'http' | 'https' } | undefined;
  /** STRIPE_MAX_NETWORK_RETRIES: the SDK's retries of a failed request (same idempotency key). @default 2 */
  stripeMaxNetworkRetries: number;
  /** STRIPE_WEBHOOK_TOLERANCE_SECONDS: oldest accepted webhook signature timestamp. @default 300 (Stripe's) */
  webhookToleranceSeconds: number;
  /**
   * STRIPE_CONNECT_REFRESH_URL and STRIPE_CONNECT_RETURN_URL: where Stripe's Connect
   * onboarding sends the agency back (an expired link, a finished one). Both or neither,
   * with STRIPE_SECRET_KEY only, https only when NODE_ENV=production; without them
   * createStripeConnectLink answers STRIPE_CONNECT_NOT_CONFIGURED. @default unset
   */
  stripeConnectRefreshUrl: string | undefined;
  stripeConnectReturnUrl: string | undefined;
  /**
   * STRIPE_CONNECT_WEBHOOK_SECRET (whsec_…): the signing secret of a Stripe *Connect*
   * webhook endpoint pointed at the same /webhooks/stripe (events of connected accounts, such
   * as their `account.updated`, are sent through one; it has its own secret). A signature
   * that either secret verifies is accepted. With STRIPE_SECRET_KEY only. @default unset
   */
  stripeConnectWebhookSecret: string | undefined;
}

/** Sandbox mode books purchases as paid without charging anyone: never in production. */
export function assertPaymentsAllowed(config: Pick<AppConfig, 'production' | 'payments'>): void {
  if (config.production && config.payments.stripeSecretKey === undefined) {
    throw new ConfigError('STRIPE_SECRET_KEY', 'is required when NODE_ENV=production (sandbox mode books purchases as paid without charging anyone)');
  }
}

/** Budgets shared by every replica: see src/modules/rate-limit/. */
export interface RateLimitConfig {
  /** `false` turns every budget off. @default true */
  enabled: boolean;
  /** Cost points per key and window, for every operation except usage ingestion. @default 3_000_000 */
  points: number;
  /** @default 60 */
  windowSeconds: number;
  /** Cost points per key and window for recordCallUsage / recordCallUsageBatch. @default 6_000_000 */
  ingestPoints: number;
  /** @default 60 */
  ingestWindowSeconds: number;
  /** Failed authentications per client IP and window; past it the IP gets 429 before its credentials are read. @default 100 */
  authFailures: number;
  /** @default 60 */
  authFailureWindowSeconds: number;
  /** How often a replica sends the points it admitted to the shared store (ms). @default 250 */
  syncMs: number;
  /** Prefix of every counter key (several deployments on one Redis). @default "rl" */
  keyPrefix: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

/** Asymmetric JWS algorithms jose verifies with a JWK. */
export const JWKS_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;
export type JwksAlgorithm = (typeof JWKS_ALGORITHMS)[number];
const DEFAULT_JWKS_ALGORITHMS: JwksAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

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

function jwksAlgorithms(env: Env, name: string): JwksAlgorithm[] | undefined {
  const raw = optionalString(env, name);
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (names.length === 0) throw new ConfigError(name, 'must name at least one algorithm');
  for (const entry of names) {
    if (!(JWKS_ALGORITHMS as readonly string[]).includes(entry)) {
      throw new ConfigError(name, `has "${entry}"; allowed: ${JWKS_ALGORITHMS.join(', ')} (never none or HS*)`);
    }
  }
  return [...new Set(names)] as JwksAlgorithm[];
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
  const metricsToken = optionalString(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 24) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 24 characters');
  }
  const wsMaxSubscriptionsPerSocket = integer(env, 'WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 100, 1, 10_000);
  const wsMessageBurst = integer(env, 'WS_MESSAGE_BURST', 200, 1, 100_000);
  if (wsMessageBurst < wsMaxSubscriptionsPerSocket + 1) {
    throw new ConfigError('WS_MESSAGE_BURST', `must be at least WS_MAX_SUBSCRIPTIONS_PER_SOCKET + 1 (${wsMaxSubscriptionsPerSocket + 1}): connection_init and every subscription of a reconnecting client arrive at once`);
  }
  const jwksUrl = url(env, 'JWKS_URL', ['https:', 'http:']);
  const jwtIssuer = optionalString(env, 'JWT_ISSUER');
  const jwtAudience = optionalString(env, 'JWT_AUDIENCE');
  // A JWKS answers for every service of the identity provider: without iss and aud, a token
  // it issued for any other application would be accepted here.
  if (jwksUrl !== undefined && jwtIssuer === undefined) throw new ConfigError('JWT_ISSUER', 'is required when JWKS_URL is set');
  if (jwksUrl !== undefined && jwtAudience === undefined) throw new ConfigError('JWT_AUDIENCE', 'is required when JWKS_URL is set');
  const jwtAlgorithms = jwksAlgorithms(env, 'JWT_ALGORITHMS');
  if (jwtAlgorithms !== undefined && jwksUrl === undefined) {
    throw new ConfigError('JWT_ALGORITHMS', 'applies to JWKS_URL only (JWT_SECRET tokens are HS256), and JWKS_URL is unset');
  }
  const production = optionalString(env, 'NODE_ENV') === 'production';
  const playgroundEnabled = boolean(env, 'ENABLE_PLAYGROUND', !production);
  return {
    production,
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    embeddedDataDir: optionalString(env, 'EMBEDDED_PG_DATA_DIR') ?? '.data/postgres',
    embeddedPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    platformAdminKey,
    logLevel: logLevel as LogLevel,
    jwtSecret,
    jwksUrl,
    jwtIssuer,
    jwtAudience,
    jwtAlgorithms: jwtAlgorithms ?? DEFAULT_JWKS_ALGORITHMS,
    jwtMaxLifetimeSeconds: integer(env, 'JWT_MAX_LIFETIME_SECONDS', 86_400, 60, 31 * 86_400),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 200),
    dbPools: {
      events: integer(env, 'DB_EVENTS_POOL_SIZE', DEFAULT_DB_POOL_SIZES.events, 1, 50),
      replay: integer(env, 'DB_REPLAY_POOL_SIZE', DEFAULT_DB_POOL_SIZES.replay, 1, 50),
      jobs: integer(env, 'DB_JOBS_POOL_SIZE', DEFAULT_DB_POOL_SIZES.jobs, 2, 50),
      rateLimits: integer(env, 'DB_RATE_LIMIT_POOL_SIZE', DEFAULT_DB_POOL_SIZES.rateLimits, 1, 50),
    },
    dbConnectTimeoutSeconds: integer(env, 'DB_CONNECT_TIMEOUT_SECONDS', 60, 0, 3600),
    shutdownGraceSeconds: integer(env, 'SHUTDOWN_GRACE_SECONDS', 25, 1, 3600),
    jobsEnabled: boolean(env, 'JOBS_ENABLED', true),
    corsOrigins: origins(env, 'CORS_ORIGINS'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    trustProxyHops: integer(env, 'TRUST_PROXY', 0, 0, 10),
    wsMaxSubscriptionsPerSocket,
    wsMaxSocketsPerKey: integer(env, 'WS_MAX_SOCKETS_PER_KEY', 50, 1, 100_000),
    wsMaxMessagesPerSecond: integer(env, 'WS_MAX_MESSAGES_PER_SECOND', 50, 1, 10_000),
    wsMessageBurst,
    playgroundEnabled,
    monitorEnabled: boolean(env, 'ENABLE_MONITOR', playgroundEnabled),
    introspectionEnabled: boolean(env, 'ENABLE_INTROSPECTION', !production),
    metricsToken,
    rateLimits: rateLimits(env),
    payments: payments(env, production),
  };
}

function payments(env: Env, production: boolean): PaymentsConfig {
  const stripeSecretKey = optionalString(env, 'STRIPE_SECRET_KEY');
  if (stripeSecretKey !== undefined && !/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/.test(stripeSecretKey)) {
    throw new ConfigError('STRIPE_SECRET_KEY', 'must be a Stripe secret or restricted key (sk_test_…, sk_live_…, rk_…)');
  }
  const stripeWebhookSecret = optionalString(env, 'STRIPE_WEBHOOK_SECRET');
  if (stripeWebhookSecret !== undefined && !/^whsec_[A-Za-z0-9]+$/.test(stripeWebhookSecret)) {
    throw new ConfigError('STRIPE_WEBHOOK_SECRET', 'must be a webhook signing secret (whsec_…)');
  }
  // Without the webhook a payment that needs 3-D Secure, or whose answer was lost, would wait for reconciliation only.
  if (stripeSecretKey !== undefined && stripeWebhookSecret === undefined) {
    throw new ConfigError('STRIPE_WEBHOOK_SECRET', 'is required when STRIPE_SECRET_KEY is set');
  }
  if (stripeSecretKey === undefined && stripeWebhookSecret !== undefined) {
    throw new ConfigError('STRIPE_WEBHOOK_SECRET', 'is set but STRIPE_SECRET_KEY is not (sandbox mode receives no webhooks)');
  }
  const base = url(env, 'STRIPE_API_BASE', ['http:', 'https:']);
  let stripeApi: PaymentsConfig['stripeApi'];
  if (base !== undefined) {
    if (production) throw new ConfigError('STRIPE_API_BASE', 'is for tests against a local Stripe-compatible server; refused when NODE_ENV=production');
    if (stripeSecretKey === undefined) throw new ConfigError('STRIPE_API_BASE', 'needs STRIPE_SECRET_KEY (sandbox mode makes no request)');
    const parsed = new URL(base);
    if (parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '') {
      throw new ConfigError('STRIPE_API_BASE', 'must be scheme://host[:port] only');
    }
    const protocol = parsed.protocol === 'https:' ? 'https' : 'http';
    stripeApi = { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : protocol === 'https' ? 443 : 80, protocol };
  }
  return {
    stripeSecretKey,
    stripeWebhookSecret,
    stripeApi,
    stripeMaxNetworkRetries: integer(env, 'STRIPE_MAX_NETWORK_RETRIES', 2, 0, 10),
    webhookToleranceSeconds: integer(env, 'STRIPE_WEBHOOK_TOLERANCE_SECONDS', 300, 1, 3600),
    ...connectUrls(env, production, stripeSecretKey !== undefined),
    stripeConnectWebhookSecret: connectWebhookSecret(env, stripeSecretKey !== undefined),
  };
}

function connectWebhookSecret(env: Env, withKey: boolean): string | undefined {
  const secret = optionalString(env, 'STRIPE_CONNECT_WEBHOOK_SECRET');
  if (secret === undefined) return undefined;
  if (!/^whsec_[A-Za-z0-9]+$/.test(secret)) throw new ConfigError('STRIPE_CONNECT_WEBHOOK_SECRET', 'must be a webhook signing secret (whsec_…)');
  if (!withKey) throw new ConfigError('STRIPE_CONNECT_WEBHOOK_SECRET', 'is set but STRIPE_SECRET_KEY is not (sandbox mode receives no webhooks)');
  return secret;
}

/** The Connect onboarding's refresh and return URLs: both or neither, with a key only, https in production. */
function connectUrls(env: Env, production: boolean, withKey: boolean): Pick<PaymentsConfig, 'stripeConnectRefreshUrl' | 'stripeConnectReturnUrl'> {
  const protocols = production ? ['https:'] : ['https:', 'http:'];
  const stripeConnectRefreshUrl = url(env, 'STRIPE_CONNECT_REFRESH_URL', protocols);
  const stripeConnectReturnUrl = url(env, 'STRIPE_CONNECT_RETURN_URL', protocols);
  // Both or neither: one alone is a typo, not a choice.
  if ((stripeConnectRefreshUrl === undefined) !== (stripeConnectReturnUrl === undefined)) {
    const missing = stripeConnectRefreshUrl === undefined ? 'STRIPE_CONNECT_REFRESH_URL' : 'STRIPE_CONNECT_RETURN_URL';
    throw new ConfigError(missing, 'must be set together with the other Connect URL');
  }
  if (!withKey && stripeConnectRefreshUrl !== undefined) {
    throw new ConfigError('STRIPE_CONNECT_REFRESH_URL', 'is set but STRIPE_SECRET_KEY is not (sandbox mode has no onboarding)');
  }
  return { stripeConnectRefreshUrl, stripeConnectReturnUrl };
}

/** The counters are PostgreSQL `integer`s: a budget stays well below 2^31 with room for overshoot. */
const MAX_POINTS = 1_000_000_000;

function rateLimits(env: Env): RateLimitConfig {
  const keyPrefix = optionalString(env, 'RATE_LIMIT_KEY_PREFIX') ?? 'rl';
  if (!/^[A-Za-z0-9_.-]{1,40}$/.test(keyPrefix)) {
    throw new ConfigError('RATE_LIMIT_KEY_PREFIX', 'must be 1 to 40 letters, digits, "_", "." or "-"');
  }
  return {
    enabled: boolean(env, 'RATE_LIMIT_ENABLED', true),
    points: integer(env, 'RATE_LIMIT_POINTS', 3_000_000, 1, MAX_POINTS),
    windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    ingestPoints: integer(env, 'RATE_LIMIT_INGEST_POINTS', 6_000_000, 1, MAX_POINTS),
    ingestWindowSeconds: integer(env, 'RATE_LIMIT_INGEST_WINDOW_SECONDS', 60, 1, 86_400),
    authFailures: integer(env, 'RATE_LIMIT_AUTH_FAILURES', 100, 1, MAX_POINTS),
    authFailureWindowSeconds: integer(env, 'RATE_LIMIT_AUTH_WINDOW_SECONDS', 60, 1, 86_400),
    syncMs: integer(env, 'RATE_LIMIT_SYNC_MS', 250, 10, 10_000),
    keyPrefix,
  };
}
