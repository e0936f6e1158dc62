import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { freePort } from './free-port';
import type { GraphQLResponse } from './test-app';

/** The API as `npm start` runs it: the built dist/src/main.js in a process of its own. */
export const ROOT = path.resolve(__dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

/** Builds dist/ when it is missing (`npm test` builds it first, in check:generated). */
export function ensureBuilt(): void {
  if (existsSync(MAIN)) return;
  const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(build.stdout + build.stderr);
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  wsUrl: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Spawns main.js with only PATH, PORT, LOG_LEVEL and `env`; does not wait for readiness. */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, port, url: `http://127.0.0.1:${port}/graphql`, wsUrl: `ws://127.0.0.1:${port}/graphql`, output: () => output, exited };
}

/** Resolves once `text` appears in the output; rejects if the process exits first. */
export function waitForOutput(server: ServerProcess, text: string | RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const found = () => (typeof text === 'string' ? server.output().includes(text) : text.test(server.output()));
    if (found()) return resolve();
    const onData = () => {
      if (!found()) return;
      cleanup();
      resolve();
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`main.js exited (${code}) before printing ${text}: ${server.output()}`));
    };
    const cleanup = () => {
      server.child.stdout!.off('data', onData);
      server.child.stderr!.off('data', onData);
      server.child.off('exit', onExit);
    };
    server.child.stdout!.on('data', onData);
    server.child.stderr!.on('data', onData);
    server.child.once('exit', onExit);
  });
}

/** Spawns main.js and waits until it logs that the API is ready. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(env);
  await waitForOutput(server, 'API ready');
  return server;
}

/** A fresh migrated database for a spawned server (copied from the test template); drop it with `drop`. */
export async function freshDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_ADMIN_URL!;
  const name = `vm_test_proc_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${process.env.TEST_TEMPLATE_DB}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Enough of TestApp for the fixtures (tests/helpers/fixtures.ts) against a spawned server. */
export function remoteApp(server: Pick<ServerProcess, 'url'>, platformKey: string) {
  return {
    url: server.url,
    platformKey,
    async gql<T = any>(query: string, variables?: Record<string, unknown>, token: string | null = platformKey): Promise<GraphQLResponse<T>> {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphQLResponse<T>;
      return { status: response.status, data: body.data, errors: body.errors };
    },
  };
}
