import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { freePort } from './helpers/free-port';

/**
 * The API as `npm start` runs it: the built `dist/src/main.js` in its own process
 * (`npm test` builds it first, in check:generated).
 */
const ROOT = path.resolve(__dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
}

/** Starts main.js and resolves once it logs that the API is ready. */
async function start(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const timer = setInterval(() => {
      if (Date.now() > deadline) {
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new Error(`main.js did not become ready within 60 s: ${output}`));
      }
      if (output.includes('API ready')) {
        clearInterval(timer);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`main.js exited with ${code}: ${output}`));
    });
  });
  return { child, output: () => output, url: `http://127.0.0.1:${port}/graphql` };
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

async function viewerRole(url: string, key: string): Promise<string | undefined> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: '{ viewer { role } }' }),
  });
  const body = (await response.json()) as { data?: { viewer: { role: string } } };
  return body.data?.viewer.role;
}

const printedKey = (output: string) => /\n {2}(vmk_[A-Za-z0-9_-]+)\n/.exec(output)?.[1];

describe('starting and stopping the API process', () => {
  jest.setTimeout(120_000);

  beforeAll(() => {
    if (!existsSync(MAIN)) {
      const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(build.stdout + build.stderr);
    }
  });

  it('should run on DATABASE_URL, print a platform key once, and exit 0 on SIGTERM', async () => {
    const database = `vm_test_start_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: process.env.TEST_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(process.env.TEST_ADMIN_URL!);
    url.pathname = `/${database}`;
    try {
      const first = await start({ DATABASE_URL: url.toString(), JOBS_ENABLED: 'true' });
      const key = printedKey(first.output());
      expect(key).toBeDefined();
      expect(await viewerRole(first.url, key!)).toBe('PLATFORM_ADMIN');
      expect(await stop(first.child, 'SIGTERM')).toBe(0);

      const second = await start({ DATABASE_URL: url.toString(), JOBS_ENABLED: 'false' });
      expect(printedKey(second.output())).toBeUndefined();
      expect(await viewerRole(second.url, key!)).toBe('PLATFORM_ADMIN');
      expect(await stop(second.child, 'SIGINT')).toBe(0);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('should start its own embedded PostgreSQL without DATABASE_URL and keep the data across restarts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'voice-minutes-start-'));
    chmodSync(dir, 0o755);
    const env = { EMBEDDED_PG_DATA_DIR: path.join(dir, 'pg'), EMBEDDED_PG_PORT: String(await freePort()), JOBS_ENABLED: 'false' };
    const first = await start(env);
    const key = printedKey(first.output())!;
    const created = await fetch(first.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({
        query: `mutation { createAgency(input: { name: "Kept", planCode: "KICKSTART", primaryLoginEmail: "kept@example.com" }) { agency { id } } }`,
      }),
    });
    const agencyId = ((await created.json()) as { data: { createAgency: { agency: { id: string } } } }).data.createAgency.agency.id;
    expect(await stop(first.child, 'SIGTERM')).toBe(0);

    const second = await start(env);
    const read = await fetch(second.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: `{ agency(id: "${agencyId}") { name } }` }),
    });
    expect(((await read.json()) as { data: { agency: { name: string } } }).data.agency.name).toBe('Kept');
    expect(await stop(second.child, 'SIGTERM')).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should refuse to start on a bad setting, naming the variable', () => {
    const result = spawnSync(process.execPath, [MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration: PORT');
  });
});
