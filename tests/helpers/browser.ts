import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium (`apt-get install chromium`); playwright-core never downloads a browser.
 * CHROMIUM_PATH points elsewhere (another build, or a missing path to try the skip).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Flags for a quiet, offline headless Chromium: no GPU, no QUIC, no first-run, no
 * background traffic of its own (so every request the tests see comes from the page).
 */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * `describe` when a Chromium is installed. Without one, the tests are skipped with a
 * warning that says what is missing, or fail when REQUIRE_BROWSER_TESTS=1 (set by
 * .ci/run, which must never skip them).
 */
export function describeWithBrowser(name: string, body: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, body);
    return;
  }
  const missing = `${CHROMIUM_PATH} is missing (install it with: apt-get install -y chromium)`;
  if (process.env.REQUIRE_BROWSER_TESTS === '1') {
    describe(name, () => {
      it('needs a Chromium (REQUIRE_BROWSER_TESTS=1)', () => {
        throw new Error(`Browser tests are required but ${missing}`);
      });
    });
    return;
  }
  // Straight to stderr: jest drops the console output of a file whose tests are all skipped.
  process.stderr.write(`\n⚠ Skipping the browser tests "${name}": ${missing}\n\n`);
  describe.skip(name, body);
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a new, empty profile directory, removed on close. */
export async function launchBrowser(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'voice-minutes-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `read` until `done` holds of its value (or `timeoutMs` passes) and returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}
