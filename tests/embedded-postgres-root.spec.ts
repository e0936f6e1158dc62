import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgres } from '../src/db/embedded-postgres';
import { freePort } from './helpers/free-port';

/**
 * A newcomer who clones as root into a 0700 directory (root's home, `mktemp -d`): the
 * postgres user cannot reach the binaries or the data directory there. Runs only as root,
 * which is how CI runs.
 */
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const describeAsRoot = asRoot ? describe : describe.skip;
if (!asRoot) console.warn('embedded-postgres-root.spec: skipped, these cases need root');

const INSTALLED_NATIVE = path.resolve(
  path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native',
);

describeAsRoot('embedded PostgreSQL started by root from a 0700 directory', () => {
  let clone: string;
  let sharedRoot: string;

  beforeAll(() => {
    clone = mkdtempSync(path.join(tmpdir(), 'vm-clone-'));
    expect(statSync(clone).mode & 0o777).toBe(0o700);
    // The binaries as `npm ci` leaves them inside such a clone.
    mkdirSync(path.join(clone, 'pkg'));
    execFileSync('cp', ['-a', INSTALLED_NATIVE, path.join(clone, 'pkg', 'native')]);
    execFileSync('cp', [path.join(INSTALLED_NATIVE, '..', 'package.json'), path.join(clone, 'pkg', 'package.json')]);
    sharedRoot = mkdtempSync(path.join(tmpdir(), 'vm-shared-'));
    chmodSync(sharedRoot, 0o755);
  });

  afterAll(() => {
    rmSync(clone, { recursive: true, force: true });
    rmSync(sharedRoot, { recursive: true, force: true });
  });

  const server = async (notices: string[] = []) =>
    new EmbeddedPostgres({
      dataDir: path.join(clone, '.data', 'postgres'),
      port: await freePort(),
      binDir: path.join(clone, 'pkg', 'native', 'bin'),
      sharedRoot,
      onNotice: (message) => notices.push(message),
    });

  it('should start, keep its data where the postgres user can reach it, and say where', async () => {
    const notices: string[] = [];
    const pg = await server(notices);
    await pg.start();
    try {
      expect(pg.dataDirectory.startsWith(path.join(sharedRoot, 'data'))).toBe(true);
      expect(notices.join('\n')).toContain(pg.dataDirectory);
      expect(notices.join('\n')).toContain(path.join(sharedRoot, 'postgres-'));
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      await client.query('CREATE TABLE kept (id int)');
      await client.end();
    } finally {
      await pg.stop();
    }
  });

  it('should find the same data again on the next start from the same directory', async () => {
    const pg = await server();
    await pg.start();
    try {
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      const { rows } = await client.query(`SELECT to_regclass('kept') IS NOT NULL AS kept`);
      await client.end();
      expect(rows[0].kept).toBe(true);
    } finally {
      await pg.stop();
    }
  });

  it('should name the cause and the fix when the binaries cannot run, never a bare null', async () => {
    const empty = path.join(clone, 'empty', 'native', 'bin');
    mkdirSync(empty, { recursive: true });
    const pg = new EmbeddedPostgres({ dataDir: path.join(clone, 'other'), port: await freePort(), binDir: empty, sharedRoot });
    const failure = await pg.start().then(() => undefined, (error: Error) => error.message);
    expect(failure).toMatch(/DATABASE_URL/);
    expect(failure).not.toMatch(/null/);
  });
});
