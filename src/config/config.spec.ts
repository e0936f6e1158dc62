import { ConfigError, connectionBudget, loadConfig, assertPaymentsAllowed } from './config';

describe('loadConfig', () => {
  it('should default every setting when the environment is empty', () => {
    expect(loadConfig({})).toEqual({
      production: false,
      port: 4000,
      databaseUrl: undefined,
      embeddedDataDir: '.data/postgres',
      embeddedPort: 54329,
      platformAdminKey: undefined,
      logLevel: 'info',
      jwtSecret: undefined,
      jwksUrl: undefined,
      jwtIssuer: undefined,
      jwtAudience: undefined,
      jwtAlgorithms: ['RS256', 'ES256', 'EdDSA'],
      jwtMaxLifetimeSeconds: 86_400,
      dbPoolSize: 10,
      dbPools: { events: 3, replay: 2, jobs: 4, rateLimits: 2 },
      dbConnectTimeoutSeconds: 60,
      shutdownGraceSeconds: 25,
      jobsEnabled: true,
      corsOrigins: [],
      redisUrl: undefined,
      trustProxyHops: 0,
      rateLimits: {
        enabled: true, points: 3_000_000, windowSeconds: 60, ingestPoints: 6_000_000, ingestWindowSeconds: 60,
        authFailures: 100, authFailureWindowSeconds: 60, syncMs: 250, keyPrefix: 'rl',
      },
      wsMaxSubscriptionsPerSocket: 100,
      wsMaxSocketsPerKey: 50,
      wsMaxMessagesPerSecond: 50,
      wsMessageBurst: 200,
      playgroundEnabled: true,
      monitorEnabled: true,
      introspectionEnabled: true,
      payments: {
        stripeSecretKey: undefined, stripeWebhookSecret: undefined, stripeApi: undefined, stripeMaxNetworkRetries: 2, webhookToleranceSeconds: 300,
      },
      metricsToken: undefined,
    });
  });

  it('should read every rate-limit variable', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379/2', TRUST_PROXY: '1', RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_POINTS: '500',
      RATE_LIMIT_WINDOW_SECONDS: '10', RATE_LIMIT_INGEST_POINTS: '900', RATE_LIMIT_INGEST_WINDOW_SECONDS: '20',
      RATE_LIMIT_AUTH_FAILURES: '5', RATE_LIMIT_AUTH_WINDOW_SECONDS: '300', RATE_LIMIT_SYNC_MS: '100', RATE_LIMIT_KEY_PREFIX: 'staging',
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379/2',
      trustProxyHops: 1,
      rateLimits: {
        enabled: false, points: 500, windowSeconds: 10, ingestPoints: 900, ingestWindowSeconds: 20,
        authFailures: 5, authFailureWindowSeconds: 300, syncMs: 100, keyPrefix: 'staging',
      },
    });
  });

  it.each([
    [{}, true],
    [{ NODE_ENV: 'production' }, false],
    [{ NODE_ENV: 'production', ENABLE_PLAYGROUND: 'true' }, true],
    [{ NODE_ENV: 'development', ENABLE_PLAYGROUND: '0' }, false],
  ])('should turn the playground on outside production unless told otherwise (%p)', (env, enabled) => {
    expect(loadConfig(env).playgroundEnabled).toBe(enabled);
  });

  it.each([
    [{}, true],
    [{ NODE_ENV: 'production' }, false],
    [{ NODE_ENV: 'production', ENABLE_PLAYGROUND: 'true' }, true],
    [{ ENABLE_PLAYGROUND: 'false' }, false],
    [{ ENABLE_PLAYGROUND: 'false', ENABLE_MONITOR: 'true' }, true],
    [{ NODE_ENV: 'production', ENABLE_MONITOR: '1' }, true],
    [{ ENABLE_MONITOR: '0' }, false],
  ])('should serve the monitor where the playground is served unless ENABLE_MONITOR says otherwise (%p)', (env, enabled) => {
    expect(loadConfig(env).monitorEnabled).toBe(enabled);
  });

  it.each([
    [{}, false, true],
    [{ NODE_ENV: 'development' }, false, true],
    [{ NODE_ENV: 'production' }, true, false],
    [{ NODE_ENV: 'production', ENABLE_INTROSPECTION: 'true' }, true, true],
    [{ ENABLE_INTROSPECTION: 'false' }, false, false],
  ])('should read production and introspection from %p', (env, production, introspectionEnabled) => {
    expect(loadConfig(env)).toMatchObject({ production, introspectionEnabled });
  });

  it('should read every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/x',
      EMBEDDED_PG_DATA_DIR: '/tmp/pg',
      EMBEDDED_PG_PORT: '6000',
      PLATFORM_ADMIN_KEY: 'k'.repeat(32),
      LOG_LEVEL: 'WARN',
      JWT_SECRET: 's'.repeat(40),
      JWKS_URL: 'https://idp.example/.well-known/jwks.json',
      JWT_ISSUER: 'https://idp.example/',
      JWT_AUDIENCE: 'voice-minutes',
      JWT_ALGORITHMS: 'ES256, PS256,ES256',
      JWT_MAX_LIFETIME_SECONDS: '3600',
      NODE_ENV: 'production',
      DB_POOL_SIZE: '25',
      DB_EVENTS_POOL_SIZE: '4',
      DB_REPLAY_POOL_SIZE: '6',
      DB_JOBS_POOL_SIZE: '3',
      DB_RATE_LIMIT_POOL_SIZE: '1',
      DB_CONNECT_TIMEOUT_SECONDS: '0',
      SHUTDOWN_GRACE_SECONDS: '5',
      JOBS_ENABLED: 'false',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:3000,https://admin.example.com/',
      WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '20',
      WS_MAX_SOCKETS_PER_KEY: '5',
      WS_MAX_MESSAGES_PER_SECOND: '10',
      WS_MESSAGE_BURST: '30',
      METRICS_TOKEN: 'm'.repeat(24),
    });
    expect(config).toMatchObject({
      port: 8080, databaseUrl: 'postgres://u@db:5432/x', embeddedDataDir: '/tmp/pg', embeddedPort: 6000, logLevel: 'warn',
      jwtIssuer: 'https://idp.example/', jwtAudience: 'voice-minutes', jwtAlgorithms: ['ES256', 'PS256'],
      jwtMaxLifetimeSeconds: 3600, production: true, dbPoolSize: 25, dbPools: { events: 4, replay: 6, jobs: 3, rateLimits: 1 }, dbConnectTimeoutSeconds: 0, shutdownGraceSeconds: 5, jobsEnabled: false,
      corsOrigins: ['https://app.example.com', 'http://localhost:3000', 'https://admin.example.com'],
      wsMaxSubscriptionsPerSocket: 20, wsMaxSocketsPerKey: 5, wsMaxMessagesPerSecond: 10, wsMessageBurst: 30,
      metricsToken: 'm'.repeat(24),
    });
  });

  it.each([
    ['PORT', 'abc'], ['PORT', '70000'], ['PORT', '-1'], ['DATABASE_URL', 'not a url'], ['DATABASE_URL', 'mysql://x/y'],
    ['EMBEDDED_PG_PORT', '0'], ['PLATFORM_ADMIN_KEY', 'short'], ['LOG_LEVEL', 'verbose'], ['JWT_SECRET', 'too-short'],
    ['JWKS_URL', 'ftp://idp/jwks'], ['DB_POOL_SIZE', '0'], ['DB_POOL_SIZE', '1.5'], ['DB_EVENTS_POOL_SIZE', '0'], ['DB_REPLAY_POOL_SIZE', '51'], ['DB_JOBS_POOL_SIZE', '1'], ['DB_RATE_LIMIT_POOL_SIZE', 'two'], ['JOBS_ENABLED', 'maybe'],
    ['ENABLE_PLAYGROUND', 'yes'], ['ENABLE_MONITOR', 'on'], ['ENABLE_INTROSPECTION', 'yes'],
    ['CORS_ORIGINS', 'app.example.com'], ['CORS_ORIGINS', 'https://app.example.com/path'], ['CORS_ORIGINS', 'ftp://files.example.com'],
    ['CORS_ORIGINS', 'https://ok.example.com,*'],
    ['REDIS_URL', 'http://cache:6379'], ['TRUST_PROXY', 'true'], ['TRUST_PROXY', '11'], ['RATE_LIMIT_ENABLED', 'off'],
    ['RATE_LIMIT_POINTS', '0'], ['RATE_LIMIT_POINTS', '3000000000'], ['RATE_LIMIT_WINDOW_SECONDS', '1m'],
    ['RATE_LIMIT_INGEST_POINTS', '-5'], ['RATE_LIMIT_INGEST_WINDOW_SECONDS', '0'], ['RATE_LIMIT_AUTH_FAILURES', '0'],
    ['RATE_LIMIT_AUTH_WINDOW_SECONDS', '100000'], ['RATE_LIMIT_SYNC_MS', '5'], ['RATE_LIMIT_KEY_PREFIX', 'a b'],
    ['WS_MAX_SUBSCRIPTIONS_PER_SOCKET', '0'], ['WS_MAX_SOCKETS_PER_KEY', '0'], ['WS_MAX_MESSAGES_PER_SECOND', '2.5'],
    ['WS_MESSAGE_BURST', '100'], ['DB_CONNECT_TIMEOUT_SECONDS', '-1'], ['DB_CONNECT_TIMEOUT_SECONDS', '3601'],
    ['DB_CONNECT_TIMEOUT_SECONDS', '2s'], ['SHUTDOWN_GRACE_SECONDS', '0'], ['SHUTDOWN_GRACE_SECONDS', '1.5'],
    ['METRICS_TOKEN', 'm'.repeat(23)],
  ])('should refuse %s=%p with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  const JWKS = { JWKS_URL: 'https://idp.example/jwks.json', JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'voice-minutes' };

  it.each([
    ['JWT_ISSUER', { JWKS_URL: JWKS.JWKS_URL, JWT_AUDIENCE: JWKS.JWT_AUDIENCE }],
    ['JWT_AUDIENCE', { JWKS_URL: JWKS.JWKS_URL, JWT_ISSUER: JWKS.JWT_ISSUER }],
    ['JWT_ALGORITHMS', { ...JWKS, JWT_ALGORITHMS: 'none' }],
    ['JWT_ALGORITHMS', { ...JWKS, JWT_ALGORITHMS: 'RS256,HS256' }],
    ['JWT_ALGORITHMS', { ...JWKS, JWT_ALGORITHMS: 'rs256' }],
    ['JWT_ALGORITHMS', { ...JWKS, JWT_ALGORITHMS: ' , ' }],
    ['JWT_ALGORITHMS', { JWT_SECRET: 's'.repeat(40), JWT_ALGORITHMS: 'RS256' }],
    ['JWT_MAX_LIFETIME_SECONDS', { JWT_MAX_LIFETIME_SECONDS: '10' }],
    ['JWT_MAX_LIFETIME_SECONDS', { JWT_MAX_LIFETIME_SECONDS: '1d' }],
  ])('should refuse to start without a valid %s (%p)', (name, env) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('should not require iss and aud of HS256 tokens (JWT_SECRET), nor production outside NODE_ENV=production', () => {
    expect(loadConfig({ JWT_SECRET: 's'.repeat(40), NODE_ENV: 'development' })).toMatchObject({ jwtIssuer: undefined, production: false });
  });

  it('should treat blank values as unset', () => {
    expect(loadConfig({ PORT: ' ', DATABASE_URL: '' })).toMatchObject({ port: 4000, databaseUrl: undefined });
  });
});

describe('payments configuration', () => {
  const KEYS = { STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc123' };

  it('should run in sandbox mode without STRIPE_SECRET_KEY, outside production', () => {
    const config = loadConfig({});
    expect(config.payments).toEqual({
      stripeSecretKey: undefined, stripeWebhookSecret: undefined, stripeApi: undefined, stripeMaxNetworkRetries: 2, webhookToleranceSeconds: 300,
    });
    expect(() => assertPaymentsAllowed(config)).not.toThrow();
  });

  it('should refuse sandbox mode when NODE_ENV=production, and allow a key there', () => {
    expect(() => assertPaymentsAllowed(loadConfig({ NODE_ENV: 'production' }))).toThrow(/^Invalid configuration: STRIPE_SECRET_KEY /);
    expect(() => assertPaymentsAllowed(loadConfig({ NODE_ENV: 'production', ...KEYS }))).not.toThrow();
  });

  it('should read the keys and a local API base as the SDK host, port and protocol', () => {
    const config = loadConfig({ ...KEYS, STRIPE_API_BASE: 'http://127.0.0.1:12111', STRIPE_MAX_NETWORK_RETRIES: '0', STRIPE_WEBHOOK_TOLERANCE_SECONDS: '60' });
    expect(config.payments).toEqual({
      stripeSecretKey: 'sk_test_abc123', stripeWebhookSecret: 'whsec_abc123',
      stripeApi: { host: '127.0.0.1', port: 12111, protocol: 'http' }, stripeMaxNetworkRetries: 0, webhookToleranceSeconds: 60,
    });
    expect(loadConfig({ ...KEYS, STRIPE_API_BASE: 'https://stripe.test' }).payments.stripeApi).toEqual({ host: 'stripe.test', port: 443, protocol: 'https' });
  });

  it('should read the Connect onboarding URLs (https in production) and the Connect endpoint secret', () => {
    const urls = { STRIPE_CONNECT_REFRESH_URL: 'https://app.example.com/refresh', STRIPE_CONNECT_RETURN_URL: 'https://app.example.com/done' };
    expect(loadConfig({ ...KEYS, NODE_ENV: 'production', ...urls }).payments).toMatchObject({
      stripeConnectRefreshUrl: 'https://app.example.com/refresh', stripeConnectReturnUrl: 'https://app.example.com/done',
    });
    expect(loadConfig({ ...KEYS, STRIPE_CONNECT_REFRESH_URL: 'http://localhost:5173/r', STRIPE_CONNECT_RETURN_URL: 'http://localhost:5173/d' }).payments)
      .toMatchObject({ stripeConnectRefreshUrl: 'http://localhost:5173/r', stripeConnectReturnUrl: 'http://localhost:5173/d' });
    expect(loadConfig({ ...KEYS, STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_connect1' }).payments.stripeConnectWebhookSecret).toBe('whsec_connect1');
  });

  it.each([
    ['STRIPE_SECRET_KEY', { STRIPE_SECRET_KEY: 'pk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_a' }],
    ['STRIPE_SECRET_KEY', { STRIPE_SECRET_KEY: 'sk_test_a b', STRIPE_WEBHOOK_SECRET: 'whsec_a' }],
    ['STRIPE_WEBHOOK_SECRET', { STRIPE_SECRET_KEY: 'sk_test_abc' }],
    ['STRIPE_WEBHOOK_SECRET', { STRIPE_WEBHOOK_SECRET: 'whsec_abc' }],
    ['STRIPE_WEBHOOK_SECRET', { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'secret' }],
    ['STRIPE_API_BASE', { ...KEYS, STRIPE_API_BASE: 'ftp://127.0.0.1' }],
    ['STRIPE_API_BASE', { ...KEYS, STRIPE_API_BASE: 'http://127.0.0.1:1/v1' }],
    ['STRIPE_API_BASE', { STRIPE_API_BASE: 'http://127.0.0.1:12111' }],
    ['STRIPE_API_BASE', { ...KEYS, NODE_ENV: 'production', STRIPE_API_BASE: 'http://127.0.0.1:12111' }],
    ['STRIPE_MAX_NETWORK_RETRIES', { STRIPE_MAX_NETWORK_RETRIES: '11' }],
    ['STRIPE_WEBHOOK_TOLERANCE_SECONDS', { STRIPE_WEBHOOK_TOLERANCE_SECONDS: '0' }],
    ['STRIPE_CONNECT_RETURN_URL', { ...KEYS, STRIPE_CONNECT_REFRESH_URL: 'https://app.example.com/refresh' }],
    ['STRIPE_CONNECT_REFRESH_URL', { ...KEYS, STRIPE_CONNECT_RETURN_URL: 'https://app.example.com/done' }],
    ['STRIPE_CONNECT_REFRESH_URL', { ...KEYS, STRIPE_CONNECT_REFRESH_URL: 'javascript:alert(1)', STRIPE_CONNECT_RETURN_URL: 'https://app.example.com/done' }],
    ['STRIPE_CONNECT_REFRESH_URL', {
      ...KEYS, NODE_ENV: 'production', STRIPE_CONNECT_REFRESH_URL: 'http://app.example.com/refresh', STRIPE_CONNECT_RETURN_URL: 'https://app.example.com/done',
    }],
    ['STRIPE_CONNECT_RETURN_URL', {
      ...KEYS, NODE_ENV: 'production', STRIPE_CONNECT_REFRESH_URL: 'https://app.example.com/refresh', STRIPE_CONNECT_RETURN_URL: 'http://app.example.com/done',
    }],
    ['STRIPE_CONNECT_REFRESH_URL', { STRIPE_CONNECT_REFRESH_URL: 'https://app.example.com/refresh', STRIPE_CONNECT_RETURN_URL: 'https://app.example.com/done' }],
    ['STRIPE_CONNECT_WEBHOOK_SECRET', { ...KEYS, STRIPE_CONNECT_WEBHOOK_SECRET: 'secret' }],
    ['STRIPE_CONNECT_WEBHOOK_SECRET', { STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_abc' }],
  ])('should refuse an invalid %s (%p)', (name, env) => {
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });
});

describe('connectionBudget', () => {
  it('should add every pool, the LISTEN connection and the readiness probe, and only the pools this process opens', () => {
    const defaults = loadConfig({});
    // 10 requests + 3 events + 2 replays + 1 listener + 1 readiness + 2 rate limits (PostgreSQL) + 4 pg-boss.
    expect(connectionBudget(defaults)).toBe(23);
    expect(connectionBudget(loadConfig({ JOBS_ENABLED: 'false' }))).toBe(19);
    expect(connectionBudget(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }))).toBe(21);
    expect(connectionBudget(loadConfig({ RATE_LIMIT_ENABLED: 'false', JOBS_ENABLED: 'false', DB_POOL_SIZE: '5', DB_REPLAY_POOL_SIZE: '4' }))).toBe(14);
  });
});
