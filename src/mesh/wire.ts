// The discovery stream's messages, one JSON object per line (NDJSON) in each
// direction of one HTTP/2 stream, validated by these schemas at both ends.
//
// Borrowed from delta xDS: the server sends resources added or changed and the
// names removed, each message with a nonce and the view version it leads to; the
// sidecar answers every message with an ACK (nonce, version applied) or a NACK
// (nonce, the version it keeps, the error, and the resources it refused). On
// (re)connect the sidecar says which resource versions it already holds, so the
// first message (the snapshot) carries only what differs.
import { z } from 'zod';

export const DISCOVERY_PATH = '/weft.discovery.v1/stream';
export const NDJSON = 'application/x-ndjson';

const nonce = z.string().min(1).max(64);
const version = z.string().max(64);
const names = z.array(z.string().min(1).max(512)).max(100_000);

export const ServerMessage = z.strictObject({
  type: z.enum(['snapshot', 'delta']),
  nonce,
  /** The view version once this message is applied. */
  version,
  /** Parsed one by one on the sidecar (see view.ts), so a refusal names the resource. */
  resources: z.array(z.unknown()).max(100_000),
  removed: names,
});
export type ServerMessage = z.infer<typeof ServerMessage>;

export const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    /** Resource name → version the sidecar holds (its last good view). */
    known: z.record(z.string().max(512), z.string().max(64)).default({}),
  }),
  z.strictObject({ type: z.literal('ack'), nonce, version }),
  z.strictObject({
    type: z.literal('nack'),
    nonce,
    /** The version the sidecar keeps serving. */
    version,
    error: z.string().max(4096),
    /** Resources the sidecar could not take (the server stops sending those versions). */
    rejected: names.default([]),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
