// Bundles the live monitor page (web/monitor/: TypeScript, the typed documents of
// schema/generated, graphql-ws) into dist/monitor/, served by the API at /monitor, so the
// browser never fetches anything from another origin. Runs offline (esbuild, no download).
// Part of `npm run build`; the server reads dist/monitor/manifest.json (docs/monitor.md).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'monitor');
/** Where the files are served from (src/modules/monitor/monitor-route.ts). */
const publicPath = '/monitor';
const entry = 'web/monitor/index.ts';

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: [entry],
  entryNames: 'monitor-[hash]',
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'browser',
  target: ['es2022'],
  format: 'esm',
  outdir,
  publicPath,
  metafile: true,
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
});
const output = Object.entries(result.metafile.outputs).find(([, out]) => out.entryPoint === entry);
if (!output || !output[1].cssBundle) throw new Error('build-monitor: no script or stylesheet for the page');
const script = `${publicPath}/${path.basename(output[0])}`;
const stylesheet = `${publicPath}/${path.basename(output[1].cssBundle)}`;

// No inline script or style: the page runs under script-src 'self' and style-src 'self'.
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Voice minutes API · Live monitor</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${stylesheet}">
<script type="module" src="${script}"></script>
</head>
<body>
<header class="top">
<h1>Live monitor <span id="agency-name"></span></h1>
<form id="key-form" autocomplete="off">
<input id="api-key" type="password" placeholder="Paste an AGENCY_ADMIN API key" aria-label="API key" spellcheck="false">
<button type="submit">Watch</button>
<button type="button" id="forget-key">Forget key</button>
</form>
</header>
<p id="status" role="status" aria-live="polite">Loading the page…</p>
<main id="cards"></main>
<section class="events"><h2>Latest events</h2><ol id="events"></ol></section>
<noscript>The monitor needs JavaScript. The API itself answers POST /graphql.</noscript>
</body>
</html>
`;
writeFileSync(path.join(outdir, 'index.html'), html);
const files = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
const gzipped = files.filter((file) => /\.(js|css)$/.test(file));
for (const file of gzipped) writeFileSync(path.join(outdir, `${file}.gz`), gzipSync(readFileSync(path.join(outdir, file)), { level: 9 }));
// Written last: the server serves the page only once the manifest exists.
writeFileSync(path.join(outdir, 'manifest.json'), JSON.stringify({ page: 'index.html', files, gzipped }, null, 2) + '\n');
console.log(`monitor: ${files.length} files in ${path.relative(root, outdir)}/`);
