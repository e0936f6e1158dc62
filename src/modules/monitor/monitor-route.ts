import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentSecurityPolicy } from '../../graphql/security-headers';
import { defaultPlaygroundDir, loadPlaygroundAssets, type PlaygroundAssets } from '../playground/playground-assets';
import { sendError, sendFile } from '../playground/static-answer';

/** The monitor's page is /monitor; its bundled files are under /monitor/. */
export const MONITOR_PATH = '/monitor';

/**
 * The monitor's Content-Security-Policy: its own script and stylesheet, inline SVG drawn
 * with attributes (no inline style, unlike the playground's Monaco), `data:` for the empty
 * favicon, and connections back to this origin only (POST /graphql and its WebSocket).
 */
export function monitorContentSecurityPolicy(): string {
  return contentSecurityPolicy({ scripts: true, styles: true, images: true, connect: true });
}

/**
 * The live monitor's routes (docs/monitor.md): its page at GET /monitor, its bundled files
 * under /monitor/. Returns false for every other request. Disabled (ENABLE_MONITOR=false),
 * both answer 404 JSON saying so.
 */
export function createMonitorRoute(options: { enabled: boolean; dir?: string }): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const dir = options.dir ?? defaultPlaygroundDir('monitor');
  let assets: PlaygroundAssets | undefined;
  const loaded = () => (assets ??= loadPlaygroundAssets(dir));

  return (req, res, path) => {
    const isPage = path === MONITOR_PATH || path === `${MONITOR_PATH}/`;
    if (!isPage && !path.startsWith(`${MONITOR_PATH}/`)) return false;
    if (!options.enabled) {
      sendError(res, 404, 'The monitor is disabled (ENABLE_MONITOR=false); the API is at /graphql');
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendError(res, 405, 'The monitor\'s files are read with GET', { allow: 'GET, HEAD' });
      return true;
    }
    const built = loaded();
    if (!built) {
      sendError(res, 503, `The monitor is not built (no ${dir}/manifest.json): run \`npm run build\``);
      return true;
    }
    const csp = monitorContentSecurityPolicy();
    if (isPage) {
      sendFile(req, res, built.page, { 'cache-control': 'no-cache' }, csp);
      return true;
    }
    const file = built.files.get(path.slice(MONITOR_PATH.length + 1));
    if (!file) sendError(res, 404, `No monitor file at ${path}`);
    else sendFile(req, res, file, { 'cache-control': 'public, max-age=31536000, immutable' }, csp);
    return true;
  };
}
