// IP address text to the octets a SAN iPAddress carries (RFC 5280 4.2.1.6).
import { isIPv4, isIPv6 } from 'node:net';

export function ipOctets(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`"${ip}" is not an IP address`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const expand = (parts: string[]): number[] =>
    parts.flatMap((p) =>
      p.includes('.') ? [...ipOctets(p)] : [parseInt(p, 16) >> 8, parseInt(p, 16) & 0xff],
    );
  const front = expand(groups(head));
  const back = expand(groups(tail));
  return Uint8Array.from([
    ...front,
    ...new Array<number>(16 - front.length - back.length).fill(0),
    ...back,
  ]);
}
