// Bundles the playground (GraphiQL from npm, web/playground/) into dist/playground/: the
// page, its scripts, styles and Monaco's web workers, all served by the API itself, so the
// browser never fetches anything from another origin. Runs offline (esbuild, no download).
// Part of `npm run build`; the server reads dist/playground/manifest.json.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'playground');
/** Where the files are served from (src/modules/playground/playground-route.ts). */
const publicPath = '/playground';

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'browser',
  target: ['es2022'],
  outdir,
  metafile: true,
  logLevel: 'warning',
  // React and libraries pick their production code paths.
  define: { 'process.env.NODE_ENV': '"production"' },
};

/** The output file of one entry point, as served: /playground/<name>. */
function outputOf(metafile, entryPoint, extension = '.js') {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (output.entryPoint === entryPoint && file.endsWith(extension)) return `${publicPath}/${path.basename(file)}`;
  }
  throw new Error(`build-playground: no ${extension} output for ${entryPoint}`);
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

// Monaco's workers first: the page's bundle needs their (content-hashed) URLs. Classic
// (IIFE) workers, loaded with `new Worker(url)` from our origin (worker-src 'self').
const workerEntries = {
  editor: 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'node_modules/monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'node_modules/monaco-graphql/esm/graphql.worker.js',
};
const workers = await build({
  ...common,
  entryPoints: Object.entries(workerEntries).map(([label, file]) => ({ in: file, out: `${label}.worker` })),
  entryNames: '[name]-[hash]',
  format: 'iife',
});
const workerUrls = Object.fromEntries(Object.entries(workerEntries).map(([label, file]) => [label, outputOf(workers.metafile, file)]));

const page = await build({
  ...common,
  entryPoints: ['web/playground/index.tsx'],
  entryNames: 'playground-[hash]',
  assetNames: '[name]-[hash]',
  publicPath,
  format: 'esm',
  // One script and one stylesheet: with code splitting, the CSS of the chunks GraphiQL loads
  // with import() (Monaco's) would land in files nothing links. Monaco is needed at once anyway.
  splitting: false,
  jsx: 'automatic',
  loader: { '.graphql': 'text', '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
  define: { ...common.define, PLAYGROUND_WORKERS: JSON.stringify(workerUrls) },
});
const entry = 'web/playground/index.tsx';
const script = outputOf(page.metafile, entry);
const scriptOutput = Object.values(page.metafile.outputs).find((output) => output.entryPoint === entry);
if (!scriptOutput?.cssBundle) throw new Error('build-playground: the page has no CSS bundle');
const stylesheet = `${publicPath}/${path.basename(scriptOutput.cssBundle)}`;

// No inline script or style: the page runs under script-src 'self' and style-src 'self'.
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Voice minutes API · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${stylesheet}">
<script type="module" src="${script}"></script>
</head>
<body>
<div id="graphiql">Loading the playground…</div>
<noscript>The playground needs JavaScript. The API itself answers POST /graphql.</noscript>
</body>
</html>
`;
writeFileSync(path.join(outdir, 'index.html'), html);
const files = [...Object.keys(workers.metafile.outputs), ...Object.keys(page.metafile.outputs)].map((file) => path.basename(file));
// Gzipped once here rather than on every request: the page's script is ~5 MB, ~1.3 MB gzipped.
const gzipped = files.filter((file) => /\.(js|css|ttf)$/.test(file));
for (const file of gzipped) writeFileSync(path.join(outdir, `${file}.gz`), gzipSync(readFileSync(path.join(outdir, file)), { level: 9 }));
// Written last: the server serves the playground only once the manifest exists.
writeFileSync(path.join(outdir, 'manifest.json'), JSON.stringify({ page: 'index.html', files, gzipped }, null, 2) + '\n');
console.log(`playground: ${files.length} files in ${path.relative(root, outdir)}/`);
