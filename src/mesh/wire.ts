// The discovery stream's messages, one JSON object per line (NDJSON) in each
// direction of one HTTP/2 stream, validated by these schemas at both ends.
//
// Borrowed from delta xDS: the server sends resources added or changed and the
// names removed, each message with a nonce and the view version it leads to; the
// sidecar answers every message with an ACK (nonce, version applied) or a NACK
// (nonce, the version it keeps, the error, and the resources it refused). On
// (re)connect the sidecar says which resource versions it already holds, so the
// first message (the snapshot) carries only what differs. A scoped sidecar names
// in its hello, and later in `subscribe` messages, the endpoints/… and pod/…
// resources it wants; a name the server does not have is answered in `removed`
// (delta-xDS's "not found"), so a waiter fails fast.
import { z } from 'zod';

export const DISCOVERY_PATH = '/weft.discovery.v1/stream';
export const NDJSON = 'application/x-ndjson';
/**
 * A server that understands scoped hellos says so in its response headers; a sidecar
 * sends `subscribe` only then (an older server's strict schema refuses the field and
 * would close every stream: the sidecar would reconnect in a loop).
 */
export const SCOPING_HEADER = 'weft-discovery-features';
export const SCOPING = 'scoping';

const nonce = z.string().min(1).max(64);
const version = z.string().max(64);
const names = z.array(z.string().min(1).max(512)).max(100_000);

/**
 * What a scoped sidecar may subscribe to: a Service's endpoints, or the pod at an
 * address (delta-xDS's resource_names_subscribe). Everything else it holds (the
 * catalog, its inbound policy, its AuthorizationPolicies) it gets unasked.
 */
export const SubscriptionName = z
  .string()
  .max(140)
  .regex(
    /^(endpoints\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|pod\/[0-9a-f.:]{2,45})$/,
    'must be endpoints/<namespace>/<service> or pod/<ip>',
  );
export const MAX_SUBSCRIPTIONS = 20_000;
const subscriptions = z.array(SubscriptionName).max(MAX_SUBSCRIPTIONS);

export const ServerMessage = z.strictObject({
  type: z.enum(['snapshot', 'delta']),
  nonce,
  /** The view version once this message is applied. */
  version,
  /** Parsed one by one on the sidecar (see view.ts), so a refusal names the resource. */
  resources: z.array(z.unknown()).max(100_000),
  removed: names,
  /**
   * Sent to scoped sidecars only: more lines of this message follow (same nonce and
   * version); the sidecar applies them all at once, as one message, with the last.
   */
  more: z.literal(true).optional(),
});
export type ServerMessage = z.infer<typeof ServerMessage>;

export const ClientMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    /** Resource name → version the sidecar holds (its last good view). */
    known: z.record(z.string().max(512), z.string().max(64)).default({}),
    /**
     * Present: the sidecar is scoped (it gets the catalog, and endpoints/… and pod/…
     * only for these names and those it subscribes to later). Absent: wildcard, the
     * whole view, as sidecars from before scoping get it.
     */
    subscribe: subscriptions.optional(),
  }),
  z.strictObject({
    type: z.literal('subscribe'),
    subscribe: subscriptions.default([]),
    unsubscribe: subscriptions.default([]),
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
