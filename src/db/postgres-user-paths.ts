import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';

/**
 * Where the `postgres` system user can reach the embedded server's binaries and data when
 * the API runs as root.
 *
 * PostgreSQL refuses to run as root, so a root process starts it as `postgres`. That user
 * must traverse every parent of the binaries and of the data directory: a clone under
 * root's home or under `mktemp -d` (both mode 0700) is out of its reach, and initdb cannot
 * even start. Rather than loosen the permissions of the newcomer's own directories, the
 * binaries are copied once into a root-owned directory (readable by all, writable by root
 * only) and the data directory is placed beside them, keyed by the configured path so a
 * restart finds the same data.
 */
export interface PostgresUser {
  uid: number;
  gid: number;
}

/** Root-owned, world-readable home of relocated binaries and data. @default "/var/lib/voice-minutes-api" */
export const DEFAULT_SHARED_ROOT = '/var/lib/voice-minutes-api';

/** Whether `user` can reach `target` (every parent traversable) with the `test` flag given. */
export function userCan(user: PostgresUser, flag: '-x' | '-w' | '-r', target: string): boolean {
  const result = spawnSync('/bin/sh', ['-c', 'test "$0" "$1"', flag, target], { uid: user.uid, gid: user.gid });
  return result.status === 0;
}

/**
 * A root-owned directory no one else can write, created when missing. Refuses a path that is
 * a symlink or writable by others: root copies binaries into it, and a directory another user
 * controls could swap them.
 */
function ownedDirectory(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new Error(
      `${dir} must be a directory owned by root and writable by root only, to hold the embedded PostgreSQL ` +
        'for the postgres user; fix its owner and mode, or set DATABASE_URL.',
    );
  }
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * The binaries directory (`…/native/bin`) the postgres user can run: `binDir` itself when it
 * can, else a copy of its `native/` tree under `sharedRoot`, made once per package version
 * (copied beside the target, then renamed into place, so concurrent starts never see half a copy).
 */
export function reachableBinDir(user: PostgresUser, binDir: string, version: string, sharedRoot: string): { binDir: string; relocated: boolean } {
  if (userCan(user, '-x', path.join(binDir, 'postgres'))) return { binDir, relocated: false };
  const native = path.dirname(binDir);
  const target = path.join(ownedDirectory(sharedRoot), `postgres-${version.replace(/[^A-Za-z0-9._-]/g, '_')}`);
  const complete = path.join(target, '.complete');
  if (!existsSync(complete)) {
    const staging = `${target}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true, dereference: false });
    writeFileSync(path.join(staging, '.complete'), `${native}\n`);
    try {
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another process finished the same copy first; anything else is a real failure.
      if (!existsSync(complete)) throw error;
    }
  }
  const relocated = path.join(target, 'bin');
  if (!userCan(user, '-x', path.join(relocated, 'postgres'))) {
    throw new Error(`The postgres user cannot run ${relocated}/postgres either; check the mode of ${sharedRoot}, or set DATABASE_URL.`);
  }
  return { binDir: relocated, relocated: true };
}

/**
 * The data directory the postgres user can own: `dataDir` when its parent is reachable, else
 * `sharedRoot/data/<hash of dataDir's absolute path>` (the same configured path always maps to
 * the same place).
 */
export function reachableDataDir(user: PostgresUser, dataDir: string, sharedRoot: string): { dataDir: string; relocated: boolean } {
  const absolute = path.resolve(dataDir);
  const parent = path.dirname(absolute);
  mkdirSync(parent, { recursive: true });
  if (userCan(user, '-x', parent)) return { dataDir: absolute, relocated: false };
  const key = createHash('sha256').update(absolute).digest('hex').slice(0, 16);
  const dataRoot = ownedDirectory(path.join(ownedDirectory(sharedRoot), 'data'));
  return { dataDir: path.join(dataRoot, key), relocated: true };
}
