import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * The address a request's failed authentications are counted against.
 *
 * With `trustedHops` = 0 it is the socket's peer: `X-Forwarded-For` is ignored, since any
 * client can send one. With N trusted proxies in front of the API, each appending the
 * address it received from to the header, the client is the Nth entry from the right
 * (counting the socket's peer as the last); entries further left were written by the
 * client and are never read. An entry that is not an IP address falls back to the peer.
 *
 * IPv4-mapped IPv6 addresses count as IPv4; an IPv6 address counts as its /64, the block a
 * single subscriber is usually given (else one client would have 2^64 budgets).
 */
export function clientIp(req: Pick<IncomingMessage, 'headers' | 'socket'>, trustedHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustedHops === 0) return normalize(peer);
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '')
    .split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const chain = [...forwarded, peer];
  const candidate = chain[Math.max(0, chain.length - 1 - trustedHops)];
  return isIP(stripMapped(candidate)) ? normalize(candidate) : normalize(peer);
}

const stripMapped = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

function normalize(address: string): string {
  const plain = stripMapped(address);
  if (isIP(plain) !== 6) return plain;
  return `${expandIpv6(plain).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of an IPv6 address, lower case without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head, tail] = address.toLowerCase().split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  // An embedded IPv4 address (`64:ff9b::1.2.3.4`) fills the last two hextets.
  const width = (parts: string[]) => parts.length + (parts.at(-1)?.includes('.') ? 1 : 0);
  const missing = tail === undefined ? 0 : 8 - width(left) - width(right);
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((part) => part.replace(/^0+(?=.)/, ''));
}
