/**
 * Close codes of the GraphQL WebSocket beyond graphql-ws's own (4400 bad message, 4403 bad
 * credentials at connection_init, 4408 no connection_init in time, 4409 duplicate id, 4500
 * internal error). Both are fatal for graphql-ws clients (they do not retry by themselves):
 * retrying with the same credentials, or at the same pace, would only be refused again.
 */
export const WsCloseCode = {
  /** A message only a server may send (`next`, `error`, `connection_ack`): graphql-ws would answer 4500, which reads as our failure. */
  BAD_REQUEST: 4400,
  /** The credentials of connection_init no longer hold: the API key was revoked, or the JWT reached its `exp`. */
  UNAUTHORIZED: 4401,
  /** Too many: messages past the socket's budget, or sockets past the credential's cap on this replica. */
  TOO_MANY_REQUESTS: 4429,
} as const;
export type WsCloseCode = (typeof WsCloseCode)[keyof typeof WsCloseCode];

const GENERIC_REASONS: Record<WsCloseCode, string> = {
  [WsCloseCode.BAD_REQUEST]: 'Bad request',
  [WsCloseCode.UNAUTHORIZED]: 'Unauthorized',
  [WsCloseCode.TOO_MANY_REQUESTS]: 'Too many requests',
};

/**
 * The reason sent with a close: the detail outside production, the code's generic reason in
 * production (nothing about the server's state leaves it). A close reason holds at most 123 bytes.
 */
export function closeReason(code: WsCloseCode, detail: string, production: boolean): string {
  return production ? GENERIC_REASONS[code] : Buffer.from(detail).subarray(0, 123).toString();
}
