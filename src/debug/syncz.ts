// What discovery's debug endpoint says about the sidecars streaming from one replica
// (Istio's /debug/syncz): the control plane writes it, `kubectl weft proxy-status`
// reads it, and both hold it to this schema.
import { z } from 'zod';

/** Served on the replica's loopback only; `kubectl weft` reaches it by port-forward. */
export const DISCOVERY_DEBUG_PORT = 15014;
export const SYNCZ_PATH = '/debug/syncz';

const time = z.iso.datetime();

export const SyncStream = z.strictObject({
  /** namespace/name of the pod the stream is bound to. */
  pod: z.string().regex(/^[a-z0-9][-a-z0-9]*\/[a-z0-9][-a-z0-9.]*$/, 'expected namespace/name'),
  uid: z.string().max(64),
  /** The source address of the connection (one of the pod's IPs). */
  address: z.string().max(64),
  identity: z.string().max(512),
  connectedAt: time,
  /** The last message sent; pending until the sidecar answers it. */
  sent: z
    .strictObject({ version: z.string().max(128), nonce: z.string().max(128), at: time })
    .optional(),
  pending: z.boolean(),
  acked: z.strictObject({ version: z.string().max(128), at: time }).optional(),
  /** version: the view the sidecar kept; error: its reason, as it sent it (bounded). */
  nacked: z
    .strictObject({ version: z.string().max(128), error: z.string().max(1024), at: time })
    .optional(),
});
export type SyncStream = z.infer<typeof SyncStream>;

export const SynczReport = z.strictObject({
  apiVersion: z.literal('weft.dev/v1alpha1'),
  kind: z.literal('SyncStatus'),
  /** This replica's pod name (POD_NAME, else the hostname). */
  controlPlane: z.string().min(1).max(253),
  streams: z.array(SyncStream).max(100_000),
});
export type SynczReport = z.infer<typeof SynczReport>;
