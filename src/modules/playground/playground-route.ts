import type { IncomingMessage, ServerResponse } from 'node:http';
import { defaultPlaygroundDir, loadPlaygroundAssets, type PlaygroundAssets, type PlaygroundFile } from './playground-assets';
import { playgroundContentSecurityPolicy } from './playground-csp';
import { sendError, sendFile as sendStaticFile } from './static-answer';

/** The playground's files (scripts, styles, workers) are served under this prefix. */
export const PLAYGROUND_FILES_PREFIX = '/playground/';

/**
 * The playground's routes: GraphiQL's page at GET /graphql for a browser (Accept:
 * text/html, no `query` parameter), its bundled files under /playground/. Returns false
 * for every other request, which goes on to the API.
 *
 * Disabled (ENABLE_PLAYGROUND=false, the default with NODE_ENV=production), both answer 404
 * JSON saying so: the API's own answers stay the same either way.
 */
export function createPlaygroundRoute(options: { enabled: boolean; dir?: string }): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const dir = options.dir ?? defaultPlaygroundDir();
  let assets: PlaygroundAssets | undefined;
  // Read on first use and kept; until the bundle exists (never built), looked for again each time.
  const loaded = () => (assets ??= loadPlaygroundAssets(dir));

  return (req, res, path) => {
    const isPage = path === '/graphql' && isBrowserPageRequest(req);
    if (!isPage && !path.startsWith(PLAYGROUND_FILES_PREFIX)) return false;
    if (!options.enabled) {
      sendError(res, 404, 'The playground is disabled (ENABLE_PLAYGROUND=false); send GraphQL requests to POST /graphql');
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'The playground\'s files are read with GET', { allow: 'GET, HEAD' });
      return true;
    }
    const built = loaded();
    if (!built) {
      sendError(res, 503, `The playground is not built (no ${dir}/manifest.json): run \`npm run build\``);
      return true;
    }
    if (isPage) {
      // The page names content-hashed files: always revalidated, while the files are cached for good.
      sendFile(req, res, built.page, { 'cache-control': 'no-cache', vary: 'Accept' });
      return true;
    }
    const file = built.files.get(path.slice(PLAYGROUND_FILES_PREFIX.length));
    if (!file) sendError(res, 404, `No playground file at ${path}`);
    else sendFile(req, res, file, { 'cache-control': 'public, max-age=31536000, immutable' });
    return true;
  };
}

const sendFile = (req: IncomingMessage, res: ServerResponse, file: PlaygroundFile, headers: Record<string, string>) =>
  sendStaticFile(req, res, file, headers, playgroundContentSecurityPolicy());

/** A browser navigating to /graphql (not a GraphQL GET request, which carries `query`). */
function isBrowserPageRequest(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (!(req.headers.accept ?? '').includes('text/html')) return false;
  const queryAt = req.url?.indexOf('?') ?? -1;
  return queryAt < 0 || !new URLSearchParams(req.url!.slice(queryAt)).has('query');
}
