import { clientIp } from './client-ip';

const request = (peer: string, forwarded?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as Parameters<typeof clientIp>[0];

describe('clientIp', () => {
  it.each([
    ['the peer, ignoring X-Forwarded-For, when no proxy is trusted', request('10.0.0.5', '1.2.3.4'), 0, '10.0.0.5'],
    ['the entry the one trusted proxy appended', request('10.0.0.5', '6.6.6.6, 1.2.3.4'), 1, '1.2.3.4'],
    ['the entry two trusted proxies vouch for', request('10.0.0.5', '6.6.6.6, 1.2.3.4, 10.0.0.9'), 2, '1.2.3.4'],
    ['the leftmost entry when fewer proxies than trusted appended', request('10.0.0.5', '1.2.3.4'), 3, '1.2.3.4'],
    ['the peer when a trusted proxy sent no header', request('10.0.0.5'), 1, '10.0.0.5'],
    ['the peer when the vouched entry is not an address', request('10.0.0.5', 'not-an-ip'), 1, '10.0.0.5'],
    ['IPv4 for an IPv4-mapped IPv6 peer', request('::ffff:127.0.0.1'), 0, '127.0.0.1'],
    ['the /64 of an IPv6 peer', request('2001:db8:0:1:aaaa::1'), 0, '2001:db8:0:1::/64'],
    ['the same /64 for another address of it', request('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'), 0, '2001:db8:0:1::/64'],
    ['the /64 of a compressed address', request('2001:db8::1'), 0, '2001:db8:0:0::/64'],
    ['the /64 of an address with an embedded IPv4 tail', request('64:ff9b::1.2.3.4'), 0, '64:ff9b:0:0::/64'],
    ['the /64 of a forwarded IPv6 client', request('10.0.0.5', '2001:db8:5:6::7'), 1, '2001:db8:5:6::/64'],
  ])('should answer %s', (_case, req, hops, expected) => {
    expect(clientIp(req, hops)).toBe(expected);
  });
});
