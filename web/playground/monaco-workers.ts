/**
 * Where Monaco (GraphiQL 5's editor) starts its web workers: our own bundled files under
 * /playground/, never a CDN or a blob: URL, so the page runs under `worker-src 'self'`.
 * Imported first by the entry point: Monaco reads this when it creates its first editor.
 */
declare const PLAYGROUND_WORKERS: { editor: string; json: string; graphql: string };

(globalThis as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker(_moduleId: string, label: string): Worker {
    const url = label === 'json' ? PLAYGROUND_WORKERS.json : label === 'graphql' ? PLAYGROUND_WORKERS.graphql : PLAYGROUND_WORKERS.editor;
    return new Worker(url, { name: label });
  },
};
