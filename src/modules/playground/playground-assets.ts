import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A built file of the playground, held in memory (about 7 MB in all). */
export interface PlaygroundFile {
  body: Buffer;
  /** The same body gzipped at build time, for clients that accept it. */
  gzipped?: Buffer;
  contentType: string;
}

export interface PlaygroundAssets {
  /** index.html */
  page: PlaygroundFile;
  /** By file name, as served under /playground/. */
  files: ReadonlyMap<string, PlaygroundFile>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * dist/<bundle> of this project (dist/playground by default; dist/monitor for the monitor),
 * wherever this file runs from (src/ under ts-jest, dist/src/ after tsc): the folder of the
 * nearest package.json above it.
 */
export function defaultPlaygroundDir(bundle = 'playground'): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${__dirname}`);
    dir = parent;
  }
  return path.join(dir, 'dist', bundle);
}

/**
 * The files `npm run build` bundled (scripts/build-playground.mjs writes manifest.json
 * last), or undefined when they are not there. Only the files named in the manifest are
 * ever served, so no request path reaches the file system.
 */
export function loadPlaygroundAssets(dir: string): PlaygroundAssets | undefined {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { page: string; files: string[]; gzipped?: string[] };
  const gzipped = new Set(manifest.gzipped ?? []);
  const read = (name: string): PlaygroundFile => ({
    body: readFileSync(path.join(dir, path.basename(name))),
    gzipped: gzipped.has(name) ? readFileSync(path.join(dir, `${path.basename(name)}.gz`)) : undefined,
    contentType: CONTENT_TYPES[path.extname(name)] ?? 'application/octet-stream',
  });
  return {
    page: read(manifest.page),
    files: new Map(manifest.files.map((name) => [path.basename(name), read(name)])),
  };
}
