import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { documentText } from './api';

export type LiveStatus =
  | { state: 'connecting' }
  /** `resumedFrom`: this socket replaced a lost one and the stream went on after that sequence. */
  | { state: 'live'; resumedFrom?: string }
  | { state: 'lost'; retryInMs: number; reason: string }
  /** The server refused the key or the operation: retrying would not help. */
  | { state: 'refused'; reason: string };

/** graphql-ws sends a ping this often; no pong within PONG_TIMEOUT_MS means a dead socket. */
const KEEP_ALIVE_MS = 10_000;
const PONG_TIMEOUT_MS = 5_000;
const MAX_RETRY_WAIT_MS = 5_000;
/** A socket not acknowledged by then is given up and tried again (a browser offline can leave it pending). */
const CONNECT_TIMEOUT_MS = 10_000;
/** Close codes of the API that mean the credentials are no good (docs/events.md, "Transport"). */
const REFUSED_CODES = new Set([4400, 4401, 4403]);
const REFUSED_ERRORS = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT']);

interface GraphQLErrorLike { message: string; extensions?: { code?: string } }

/**
 * One subscription on ws(s)://<this host>/graphql that survives network drops: every event's
 * `sequence` is kept, and every new subscribe (after a lost socket, or graphql-ws's own
 * re-send) carries it as `afterSequence`, so the server replays what was missed, then live
 * events follow, with no gap and no duplicate. The key goes in `connectionParams`.
 */
export function openResumableStream<TData, TVariables extends { afterSequence?: string | null }>(options: {
  document: TypedDocumentNode<TData, TVariables>;
  variables: TVariables;
  key: string;
  sequenceOf(data: TData): string;
  onEvent(data: TData): void;
  onStatus(status: LiveStatus): void;
}): { stop(): void } {
  // One object for the stream's life: graphql-ws serialises the payload each time it sends
  // it, so a subscribe it re-sends by itself also resumes from the last event.
  const variables: TVariables = { ...options.variables, afterSequence: options.variables.afterSequence ?? null };
  const payload = { query: documentText(options.document), variables: variables as Record<string, unknown> };
  let stopped = false;
  let connections = 0;
  let failures = 0;
  let isConnected = false;
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe: (() => void) | undefined;

  const client: Client = createClient({
    url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`,
    connectionParams: { authorization: `Bearer ${options.key}` },
    lazy: true,
    // Reconnecting is ours (below): graphql-ws would re-send the subscribe, but it could not
    // say so, and its own back-off knows nothing of the browser coming back online.
    retryAttempts: 0,
    keepAlive: KEEP_ALIVE_MS,
    on: {
      connected: () => {
        isConnected = true;
        clearTimeout(connectTimer);
        connections += 1;
        failures = 0;
        const resumedFrom = connections > 1 && variables.afterSequence ? variables.afterSequence : undefined;
        options.onStatus({ state: 'live', resumedFrom });
      },
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => client.terminate(), PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: () => {
        isConnected = false;
        clearTimeout(pongTimer);
      },
    },
  });

  const refuse = (reason: string) => {
    stopped = true;
    options.onStatus({ state: 'refused', reason });
    void client.dispose();
  };

  const retry = (reason: string) => {
    if (stopped) return;
    unsubscribe = undefined;
    const wait = Math.min(500 * 2 ** failures, MAX_RETRY_WAIT_MS);
    failures += 1;
    options.onStatus({ state: 'lost', retryInMs: wait, reason });
    clearTimeout(retryTimer);
    retryTimer = setTimeout(subscribe, wait);
  };

  function subscribe(): void {
    clearTimeout(retryTimer);
    if (stopped || unsubscribe) return;
    if (connections === 0 || failures > 0) options.onStatus({ state: 'connecting' });
    clearTimeout(connectTimer);
    connectTimer = setTimeout(() => client.terminate(), CONNECT_TIMEOUT_MS);
    unsubscribe = client.subscribe<TData>(payload, {
      next: (result) => {
        const errors = (result.errors ?? []) as readonly GraphQLErrorLike[];
        if (result.data) {
          variables.afterSequence = options.sequenceOf(result.data as TData);
          options.onEvent(result.data as TData);
        }
        // A stream ended by the server (key revoked, sub-account removed, too far behind)
        // says why in its last result; graphql-ws then completes it.
        const refused = errors.find((error) => REFUSED_ERRORS.has(error.extensions?.code ?? ''));
        if (refused) refuse(refused.message);
      },
      error: (error: unknown) => {
        if (Array.isArray(error)) return refuse((error as GraphQLErrorLike[]).map((e) => e.message).join('; '));
        const close = error as { code?: number; reason?: string };
        if (typeof close.code === 'number' && REFUSED_CODES.has(close.code)) return refuse(close.reason || `closed with ${close.code}`);
        retry(typeof close.code === 'number' ? `socket closed (${close.code}${close.reason ? `: ${close.reason}` : ''})` : 'socket error');
      },
      complete: () => retry('the server ended the stream'),
    });
  }

  // Back online: try at once, rather than at the end of the current wait or of a socket
  // opened while offline, which may never open.
  const online = () => {
    if (stopped) return;
    failures = 0;
    if (!unsubscribe) subscribe();
    else if (!isConnected) client.terminate();
  };
  window.addEventListener('online', online);
  subscribe();

  return {
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      clearTimeout(pongTimer);
      clearTimeout(connectTimer);
      window.removeEventListener('online', online);
      unsubscribe?.();
      void client.dispose();
    },
  };
}
