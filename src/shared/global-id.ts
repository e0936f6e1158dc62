/**
 * Relay global IDs: base64url("<Type>:<uuid>"). Opaque to clients; decoding checks the
 * type and the uuid's shape, so a malformed id is simply "not found".
 */
export type NodeType = 'Agency' | 'SubAccount' | 'Wallet' | 'ApiKey' | 'Transfer' | 'Scenario' | 'Call' | 'Payout';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`, 'utf8').toString('base64url');
}

export function fromGlobalId(globalId: string): { type: string; id: string } | undefined {
  if (typeof globalId !== 'string' || globalId.length > 100 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return undefined;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  // base64url decoding is lenient (several spellings decode alike): accept only the one we issue.
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== globalId) return undefined;
  const separator = decoded.indexOf(':');
  if (separator < 1) return undefined;
  const id = decoded.slice(separator + 1);
  if (!UUID.test(id)) return undefined;
  return { type: decoded.slice(0, separator), id };
}

/** The uuid behind a global id of the expected type, or undefined. */
export function decodeId(globalId: string, expected: NodeType): string | undefined {
  const decoded = fromGlobalId(globalId);
  return decoded && decoded.type === expected ? decoded.id : undefined;
}
