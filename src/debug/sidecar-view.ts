// What a sidecar's admin endpoint says about the view it holds: written by the
// sidecar, read by `kubectl weft config`, both held to this schema. It carries no
// key and no certificate body: the certificate only as identity, serial and validity.
import { z } from 'zod';
import { MeshConfigSchema } from '../mesh/config.js';

export const SIDECAR_VIEW_PATH = '/debug/view';

const time = z.iso.datetime();

export const SidecarDiscoveryStatus = z.strictObject({
  /** The control-plane addresses the sidecar dials, in turn. */
  addresses: z.array(z.string().max(512)).max(64),
  /** The address of the stream now open, if one is. */
  connectedTo: z.string().max(512).optional(),
  /** Whether a first view has been applied. */
  synced: z.boolean(),
  /** The version of the view in force (a hash of its resources). */
  version: z.string().max(128),
  applied: z.strictObject({ version: z.string().max(128), at: time }).optional(),
  refused: z.strictObject({ error: z.string().max(1024), at: time }).optional(),
  /**
   * A scoped stream (docs/discovery.md, "Scoping"): the sidecar holds endpoints only
   * for the Services in `subscribed` (`<ns>/<name>`); the others it has not called.
   */
  scoped: z.boolean().optional(),
  subscribed: z.array(z.string().max(255)).max(50_000).optional(),
});
export type SidecarDiscoveryStatus = z.infer<typeof SidecarDiscoveryStatus>;

export const SidecarView = z.strictObject({
  apiVersion: z.literal('weft.dev/v1alpha1'),
  kind: z.literal('SidecarView'),
  /** Where the view comes from: discovery's stream, or a mesh file (development). */
  source: z.enum(['discovery', 'file']),
  discovery: SidecarDiscoveryStatus.optional(),
  identity: z
    .strictObject({
      spiffeId: z.string().max(512),
      serial: z.string().max(128),
      notBefore: time,
      notAfter: time,
    })
    .optional(),
  config: MeshConfigSchema,
});
export type SidecarView = z.infer<typeof SidecarView>;
