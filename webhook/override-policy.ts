// What a pod author may override through annotations, decided by admins: the
// capture policy (mesh-wide --capture-overrides, or a Namespace's
// weft.dev/capture-overrides annotation) and the proxy images the installation
// allows. A pod asking for more is refused, naming the annotation and the policy.
import type { V1PodSpec } from '@kubernetes/client-node';
import {
  CAPTURE_OVERRIDES,
  allows,
  proxyIdBypass,
  weakenings,
} from '../src/capture/capture-policy.js';
import type { CaptureOverrides, Weakening } from '../src/capture/capture-policy.js';
import { PROXY_GID, PROXY_UID } from '../src/capture/capture-spec.js';
import type { CaptureSpec } from '../src/capture/capture-spec.js';
import { ErrorCode, WeftError } from '../src/errors.js';
import { Annotation } from './annotations.js';
import type { Overrides } from './annotations.js';
import { INIT_NAME, PROXY_NAME } from './sidecar-spec.js';

/** The Namespace annotation that sets the capture policy for its pods. */
export const NAMESPACE_CAPTURE_OVERRIDES = 'weft.dev/capture-overrides';

export interface CapturePolicy {
  readonly level: CaptureOverrides;
  /** Where the level came from, for the refusal message. */
  readonly source: string;
}

export const installationPolicy = (level: CaptureOverrides): CapturePolicy => ({
  level,
  source: "the installation's --capture-overrides",
});

/** The namespace's policy if it sets one, else the installation's; a bad value refuses. */
export function namespacePolicy(
  ns: { readonly name: string; readonly annotations?: Readonly<Record<string, string>> },
  fallback: CaptureOverrides,
): CapturePolicy {
  const v = ns.annotations?.[NAMESPACE_CAPTURE_OVERRIDES];
  if (v === undefined) return installationPolicy(fallback);
  if (!(CAPTURE_OVERRIDES as readonly string[]).includes(v)) {
    // Fail closed: an admin's typo must not fall back to something looser.
    throw new WeftError(
      ErrorCode.Forbidden,
      `namespace ${ns.name} annotation ${NAMESPACE_CAPTURE_OVERRIDES}="${v}": must be one of ${CAPTURE_OVERRIDES.join(', ')}; pods there are refused until it is fixed`,
    );
  }
  return {
    level: v as CaptureOverrides,
    source: `namespace ${ns.name}'s annotation ${NAMESPACE_CAPTURE_OVERRIDES}`,
  };
}

const ANNOTATION_OF: Partial<Record<keyof CaptureSpec, string>> = {
  includeInboundPorts: Annotation.IncludeInboundPorts,
  excludeInboundPorts: Annotation.ExcludeInboundPorts,
  includeOutboundPorts: Annotation.IncludeOutboundPorts,
  excludeOutboundPorts: Annotation.ExcludeOutboundPorts,
  excludeOutboundCidrs: Annotation.ExcludeOutboundCidrs,
};

function forbidden(
  w: Weakening,
  policy: CapturePolicy,
  annotations: Record<string, string>,
): WeftError {
  const key = ANNOTATION_OF[w.field];
  const what = key ? `annotation ${key}="${annotations[key] ?? ''}": ${w.detail}` : w.detail;
  return new WeftError(
    ErrorCode.Forbidden,
    `${what}; forbidden by capture policy "${policy.level}" (${policy.source})`,
  );
}

/** Refuses the first override (or proxy-UID container) that `policy` does not allow. */
export function checkCapture(
  o: Overrides,
  spec: V1PodSpec,
  annotations: Record<string, string>,
  policy: CapturePolicy,
): void {
  const found = [
    ...proxyIdBypass(spec, [INIT_NAME, PROXY_NAME], PROXY_UID, PROXY_GID),
    ...weakenings(o),
  ];
  const refused = found.find((w) => !allows(policy.level, w));
  if (refused) throw forbidden(refused, policy, annotations);
}

const matches = (image: string, pattern: string): boolean =>
  pattern.endsWith('*') ? image.startsWith(pattern.slice(0, -1)) : image === pattern;

/**
 * The proxy's image: the installation's, or the annotation's when the installation
 * allows that image. The proxy holds the workload's certificate and enforces
 * inbound policy, so a pod author alone must not choose what runs there.
 */
export function proxyImage(o: Overrides, installed: string, allowed: readonly string[]): string {
  if (o.proxyImage === undefined) return installed;
  if (allowed.some((p) => matches(o.proxyImage!, p))) return o.proxyImage;
  throw new WeftError(
    ErrorCode.Forbidden,
    `annotation ${Annotation.ProxyImage}="${o.proxyImage}": not an image the installation allows (--allow-proxy-image: ${allowed.length ? allowed.join(', ') : 'none'})`,
  );
}
