// ipBlocks, remoteIpBlocks and the source.ip/remote.ip/destination.ip conditions:
// single addresses or CIDR blocks, IPv4 and IPv6. Blocks are parsed once at
// compile time; a request address once per evaluation (lazily).
import { isIP } from 'node:net';
import { ipOctets } from '../pki/ip.js';

interface Block {
  readonly octets: Uint8Array;
  readonly bits: number;
}

export type IpMatcher = (ip: Uint8Array) => boolean;

/** An address as octets; IPv4-mapped IPv6 (`::ffff:a.b.c.d`, dual-stack sockets) as IPv4. */
export function parseAddress(ip: string): Uint8Array | undefined {
  if (isIP(ip) === 0) return undefined;
  const o = ipOctets(ip);
  if (
    o.length === 16 &&
    o.subarray(0, 10).every((b) => b === 0) &&
    o[10] === 0xff &&
    o[11] === 0xff
  ) {
    return o.subarray(12);
  }
  return o;
}

/** A block, or the reason it is not one. */
export function parseBlock(text: string): Block | { error: string } {
  const [addr = '', len, extra] = text.split('/');
  const octets = parseAddress(addr);
  if (!octets || extra !== undefined)
    return { error: `"${text}" is not an IP address or CIDR block` };
  const max = octets.length * 8;
  if (len === undefined) return { octets, bits: max };
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) {
    return { error: `"${text}" has a prefix length outside 0-${max}` };
  }
  return { octets, bits: Number(len) };
}

function inBlock(ip: Uint8Array, b: Block): boolean {
  if (ip.length !== b.octets.length) return false;
  const whole = b.bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== b.octets[i]) return false;
  const rest = b.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole]! & mask) === (b.octets[whole]! & mask);
}

/** A list of blocks → a matcher, with the entries that did not parse. */
export function compileBlocks(values: readonly string[]): { match: IpMatcher; errors: string[] } {
  const blocks: Block[] = [];
  const errors: string[] = [];
  for (const v of values) {
    const b = parseBlock(v);
    if ('error' in b) errors.push(b.error);
    else blocks.push(b);
  }
  return { match: (ip) => blocks.some((b) => inBlock(ip, b)), errors };
}
