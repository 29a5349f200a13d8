// W3C Trace Context: a request keeps its trace id and gets a new parent id for
// the hop this sidecar adds; a request without one starts a sampled trace.
import { randomFillSync } from 'node:crypto';
import type { Layer } from '../exchange.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

// Ids come from a refilled pool of random bytes: one syscall per 512 ids, not one each.
const pool = Buffer.alloc(8 * 512);
let offset = pool.length;
function spanId(): string {
  if (offset + 8 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += 8;
  return pool.toString('hex', offset - 8, offset);
}

export function nextTraceparent(incoming: string | undefined): string {
  const m = incoming ? TRACEPARENT.exec(incoming) : null;
  if (m && m[1] !== '0'.repeat(32) && m[2] !== '0'.repeat(16)) {
    return `00-${m[1]}-${spanId()}-${m[3]}`;
  }
  return `00-${spanId()}${spanId()}-${spanId()}-01`;
}

export const trace: Layer = (next) => (ex) => {
  const value = ex.req.headers.traceparent;
  ex.req.headers.traceparent = nextTraceparent(typeof value === 'string' ? value : undefined);
  return next(ex);
};
