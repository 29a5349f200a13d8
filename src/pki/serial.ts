// Certificate serial numbers: 128 random bits, high bit cleared so the DER
// INTEGER stays positive (RFC 5280 4.1.2.2 asks for at most 20 octets, positive).
import { randomBytes } from 'node:crypto';

export type SerialSource = () => string;

export const randomSerial: SerialSource = () => {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
};

/** A hex serial as a minimal positive DER INTEGER's content: no redundant leading zero bytes. */
export function canonicalSerial(hex: string): string {
  const even = hex.length % 2 ? '0' + hex : hex;
  const stripped = even.replace(/^(00)+(?=..)/, '');
  return parseInt(stripped.slice(0, 1), 16) >= 8 ? '00' + stripped : stripped;
}
