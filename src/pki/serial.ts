// Certificate serial numbers: 128 random bits, high bit cleared so the DER
// INTEGER stays positive (RFC 5280 4.1.2.2 asks for at most 20 octets, positive).
import { randomBytes } from 'node:crypto';

export type SerialSource = () => string;

export const randomSerial: SerialSource = () => {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
};
