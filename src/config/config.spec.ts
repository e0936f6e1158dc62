import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('should default every setting when the environment is empty', () => {
    expect(loadConfig({})).toEqual({
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
      dbPoolSize: 10,
      jobsEnabled: true,
      corsOrigins: [],
      production: false,
      introspectionEnabled: true,
    });
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
      DB_POOL_SIZE: '25',
      JOBS_ENABLED: 'false',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:3000,https://admin.example.com/',
    });
    expect(config).toMatchObject({
      port: 8080, databaseUrl: 'postgres://u@db:5432/x', embeddedDataDir: '/tmp/pg', embeddedPort: 6000, logLevel: 'warn',
      jwtIssuer: 'https://idp.example/', jwtAudience: 'voice-minutes', dbPoolSize: 25, jobsEnabled: false,
      corsOrigins: ['https://app.example.com', 'http://localhost:3000', 'https://admin.example.com'],
    });
  });

  it.each([
    ['PORT', 'abc'], ['PORT', '70000'], ['PORT', '-1'], ['DATABASE_URL', 'not a url'], ['DATABASE_URL', 'mysql://x/y'],
    ['EMBEDDED_PG_PORT', '0'], ['PLATFORM_ADMIN_KEY', 'short'], ['LOG_LEVEL', 'verbose'], ['JWT_SECRET', 'too-short'],
    ['JWKS_URL', 'ftp://idp/jwks'], ['DB_POOL_SIZE', '0'], ['DB_POOL_SIZE', '1.5'], ['JOBS_ENABLED', 'maybe'], ['ENABLE_INTROSPECTION', 'yes'],
    ['CORS_ORIGINS', 'app.example.com'], ['CORS_ORIGINS', 'https://app.example.com/path'], ['CORS_ORIGINS', 'ftp://files.example.com'],
    ['CORS_ORIGINS', 'https://ok.example.com,*'],
  ])('should refuse %s=%p with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('should treat blank values as unset', () => {
    expect(loadConfig({ PORT: ' ', DATABASE_URL: '' })).toMatchObject({ port: 4000, databaseUrl: undefined });
  });
});
