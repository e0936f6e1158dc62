import type WebSocket from 'ws';
import { GraphQLError } from 'graphql';
import type { Viewer } from '../auth/role';
import { UnauthenticatedError } from '../../graphql/errors';
import { MessageBudget } from './message-budget';
import { closeReason, WsCloseCode } from './socket-close';

/** setTimeout's longest delay (about 24.8 days); a longer one fires at once, so the timer is re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Longest wait of a server close for the socket's subscriptions to deliver their last error. */
const CLOSE_WAIT_MS = 500;

export interface SocketSessionOptions {
  production: boolean;
  maxMessagesPerSecond: number;
  messageBurst: number;
}

/**
 * What the server keeps per WebSocket besides graphql-ws's own context: the viewer of
 * connection_init and the credential it counts against, the message budget, the timer that
 * closes the socket at its JWT's `exp`, the ids of its open subscriptions, and, once the
 * server closed it, why (every later operation is refused with that error).
 */
export class SocketSession {
  viewer: Viewer | undefined;
  /** What the per-credential socket cap counts; undefined: not capped (the configured platform key). */
  credentialKey: string | undefined;
  /** Ids of the subscriptions admitted on this socket (pruned against graphql-ws's context when counted). */
  readonly subscriptionIds = new Set<string>();
  private readonly budget: MessageBudget;
  private expiryTimer: NodeJS.Timeout | undefined;
  private closedWith: GraphQLError | undefined;

  constructor(readonly socket: WebSocket, private readonly options: SocketSessionOptions) {
    this.budget = new MessageBudget(options.maxMessagesPerSecond, options.messageBurst);
  }

  /** Records the viewer of connection_init and arms the close at its token's `exp`. */
  authenticated(viewer: Viewer, credentialKey: string | undefined): void {
    this.viewer = viewer;
    this.credentialKey = credentialKey;
    if (viewer.expiresAt) this.closeAt(viewer.expiresAt.getTime());
  }

  /**
   * One client message, before graphql-ws handles it: past the budget the socket is closed
   * (4429); a message type only a server sends is closed as the client's error (4400), where
   * graphql-ws would close with 4500 ("internal error") and blame the server.
   */
  messageReceived(data: unknown): void {
    if (this.closedWith) return;
    const type = serverOnlyMessageType(data);
    if (type) {
      this.close(
        WsCloseCode.BAD_REQUEST,
        `A client may not send a message of type ${type}`,
        new GraphQLError(`A client may not send a message of type ${type}`, { extensions: { code: 'BAD_REQUEST' } }),
      );
      return;
    }
    if (this.budget.take()) return;
    this.close(
      WsCloseCode.TOO_MANY_REQUESTS,
      'Too many messages',
      new GraphQLError('Too many messages on this socket', { extensions: { code: 'RATE_LIMITED' } }),
    );
  }

  /** Why the server closed this socket, for operations still arriving on it. */
  get refusal(): GraphQLError | undefined {
    return this.closedWith;
  }

  /** Closes the socket (once): `error` refuses whatever operation still arrives meanwhile. */
  close(code: WsCloseCode, detail: string, error: GraphQLError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.dispose();
    this.socket.close(code, closeReason(code, detail, this.options.production));
  }

  /**
   * Closes the socket once the replies already under way are written: an operation refused
   * now gets its error message before the close frame (graphql-ws sends it within the
   * current turn of the event loop).
   */
  closeAfterReplies(code: WsCloseCode, detail: string, error: GraphQLError): void {
    if (this.closedWith) return;
    this.closedWith = error;
    this.dispose();
    // The subscriptions ended for the same reason (a revocation) deliver their error through
    // graphql-ws's async iteration, which can take several turns when a stream was busy
    // sending: the close frame waits until they have all completed, or CLOSE_WAIT_MS at most.
    const deadline = Date.now() + CLOSE_WAIT_MS;
    const closeWhenDone = () => {
      if (this.openSubscriptions() > 0 && Date.now() < deadline && this.socket.readyState === this.socket.OPEN) {
        setTimeout(closeWhenDone, 5).unref();
        return;
      }
      this.socket.close(code, closeReason(code, detail, this.options.production));
    };
    setImmediate(closeWhenDone);
  }

  /**
   * How many of this socket's subscriptions graphql-ws still runs (set by the WebSocket server,
   * which holds graphql-ws's context; 0 until then).
   */
  openSubscriptions: () => number = () => 0;

  /** Clears the expiry timer (the socket closed). */
  dispose(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  private closeAt(atMs: number): void {
    const delayMs = atMs - Date.now();
    if (delayMs <= 0) {
      this.close(WsCloseCode.UNAUTHORIZED, 'Token expired', new UnauthenticatedError('The token has expired'));
      return;
    }
    this.expiryTimer = setTimeout(() => this.closeAt(atMs), Math.min(delayMs, MAX_TIMER_MS));
    this.expiryTimer.unref();
  }
}

const SERVER_ONLY_TYPES = new Set(['next', 'error', 'connection_ack']);
/** Cheap first: only a message naming one of those types is parsed a second time. */
const MENTIONS_SERVER_TYPE = /"(?:next|error|connection_ack)"/;

/** The graphql-transport-ws type of `data` when only a server may send it, else undefined. */
export function serverOnlyMessageType(data: unknown): string | undefined {
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : typeof data === 'string' ? data : undefined;
  if (text === undefined || !MENTIONS_SERVER_TYPE.test(text)) return undefined;
  try {
    const type = (JSON.parse(text) as { type?: unknown } | null)?.type;
    return typeof type === 'string' && SERVER_ONLY_TYPES.has(type) ? type : undefined;
  } catch {
    return undefined; // not JSON: graphql-ws closes it with 4400 itself
  }
}
