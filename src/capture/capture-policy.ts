// How far a capture setting weakens the mesh, and which weakenings a policy lets a
// pod author ask for. Pure data plus a matcher: the webhook refuses what the policy
// forbids (naming the annotation and the policy), and `kubectl weft audit` reports
// running pods whose capture is disabled or bypassed, whoever asked for it.
import { Ports } from './capture-spec.js';
import type { CaptureSpec } from './capture-spec.js';

/**
 * What pod authors may override, set mesh-wide by the installation
 * (--capture-overrides) and per namespace by whoever may annotate Namespaces:
 * - none:   no capture annotation at all;
 * - narrow: a few single ports and small address ranges (the default);
 * - any:    anything, including switching capture off (the audit still reports it).
 */
export const CAPTURE_OVERRIDES = ['none', 'narrow', 'any'] as const;
export type CaptureOverrides = (typeof CAPTURE_OVERRIDES)[number];
export const DEFAULT_CAPTURE_OVERRIDES: CaptureOverrides = 'narrow';

/** narrow: an exception; broad: most traffic escapes; disabled: capture is off. */
export const EXTENTS = ['narrow', 'broad', 'disabled'] as const;
export type Extent = (typeof EXTENTS)[number];

/** The most a `narrow` policy allows: a few ports, ranges of at most 256 addresses. */
export const NARROW = { maxPorts: 8, maxCidrs: 8, minPrefixV4: 24, minPrefixV6: 120 } as const;

export interface Weakening {
  /** The capture setting at fault, as its CaptureSpec field. */
  readonly field: keyof CaptureSpec;
  readonly extent: Extent;
  readonly detail: string;
}

/** The capture settings a pod author can influence (a part of a CaptureSpec). */
export type CaptureOverridesSpec = Partial<
  Pick<
    CaptureSpec,
    | 'includeInboundPorts'
    | 'excludeInboundPorts'
    | 'includeOutboundPorts'
    | 'excludeOutboundPorts'
    | 'excludeOutboundCidrs'
  >
>;

const rank = (e: Extent): number => EXTENTS.indexOf(e);

function inboundInclude(s: CaptureOverridesSpec): Weakening[] {
  const v = s.includeInboundPorts;
  if (v === undefined || v === '*') return [];
  return [
    v.length === 0
      ? { field: 'includeInboundPorts', extent: 'disabled', detail: 'no inbound port is captured' }
      : {
          field: 'includeInboundPorts',
          extent: 'broad',
          detail: `only ports ${v.join(',')} are captured inbound; every other port bypasses the sidecar`,
        },
  ];
}

function outboundInclude(s: CaptureOverridesSpec): Weakening[] {
  const v = s.includeOutboundPorts ?? [];
  if (v.length === 0) return [];
  return [
    {
      field: 'includeOutboundPorts',
      extent: 'broad',
      detail: `only ports ${v.join(',')} are captured outbound; every other port bypasses the sidecar`,
    },
  ];
}

function portExclusions(
  field: 'excludeInboundPorts' | 'excludeOutboundPorts',
  ports: readonly number[] | undefined,
): Weakening[] {
  const v = ports ?? [];
  if (v.length === 0) return [];
  const many = v.length > NARROW.maxPorts;
  return [
    {
      field,
      extent: many ? 'broad' : 'narrow',
      detail: many
        ? `${v.length} ports excluded (more than ${NARROW.maxPorts})`
        : `port${v.length > 1 ? 's' : ''} ${v.join(',')} excluded`,
    },
  ];
}

function cidrExtent(cidr: string): Extent {
  const prefix = Number(cidr.slice(cidr.indexOf('/') + 1));
  if (prefix === 0) return 'disabled';
  const min = cidr.includes(':') ? NARROW.minPrefixV6 : NARROW.minPrefixV4;
  return prefix < min ? 'broad' : 'narrow';
}

const CIDR_DETAIL: Record<Extent, string> = {
  narrow: 'excluded from outbound capture',
  broad: 'excluded from outbound capture: more than 256 addresses',
  disabled: 'excluded from outbound capture: the whole address family',
};

function cidrExclusions(s: CaptureOverridesSpec): Weakening[] {
  const v = s.excludeOutboundCidrs ?? [];
  const out: Weakening[] = v.map((c) => {
    const extent = cidrExtent(c);
    return { field: 'excludeOutboundCidrs', extent, detail: `${c} ${CIDR_DETAIL[extent]}` };
  });
  if (v.length > NARROW.maxCidrs) {
    out.push({
      field: 'excludeOutboundCidrs',
      extent: 'broad',
      detail: `${v.length} address ranges excluded (more than ${NARROW.maxCidrs})`,
    });
  }
  return out;
}

/** Every way `s` weakens capture, worst first. */
export function weakenings(s: CaptureOverridesSpec): Weakening[] {
  return [
    ...inboundInclude(s),
    ...portExclusions('excludeInboundPorts', s.excludeInboundPorts),
    ...outboundInclude(s),
    ...portExclusions('excludeOutboundPorts', s.excludeOutboundPorts),
    ...cidrExclusions(s),
  ].sort((a, b) => rank(b.extent) - rank(a.extent));
}

/** What a programmed capture weakens, leaving out what weft itself always excludes. */
export function specWeakenings(spec: CaptureSpec): Weakening[] {
  return weakenings({
    ...spec,
    // The kubelet reaches the sidecar's health port directly, on every pod.
    excludeInboundPorts: spec.excludeInboundPorts.filter((p) => p !== Ports.Health),
  });
}

/** The most severe extent the policy allows a pod author, or undefined for none. */
const ALLOWED: Record<CaptureOverrides, Extent | undefined> = {
  none: undefined,
  narrow: 'narrow',
  any: 'disabled',
};

/** Whether `policy` lets a pod author ask for `w`. */
export function allows(policy: CaptureOverrides, w: Weakening): boolean {
  const max = ALLOWED[policy];
  return max !== undefined && rank(w.extent) <= rank(max);
}

interface SecurityIds {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
}
interface ContainerIds {
  readonly name: string;
  readonly securityContext?: SecurityIds;
}
export interface PodIds {
  readonly securityContext?: SecurityIds;
  readonly containers?: readonly ContainerIds[];
  readonly initContainers?: readonly ContainerIds[];
}

/**
 * Containers (other than weft's own, named in `weft`) that run as the proxy's UID
 * or GID: the nat rules never capture that traffic, so such a container bypasses
 * outbound capture wholesale. An image's own USER is invisible here (see the docs).
 */
export function proxyIdBypass(
  pod: PodIds,
  weft: readonly string[],
  uid: number,
  gid: number,
): Weakening[] {
  const out: Weakening[] = [];
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    if (weft.includes(c.name)) continue;
    const user = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
    const group = c.securityContext?.runAsGroup ?? pod.securityContext?.runAsGroup;
    if (user !== uid && group !== gid) continue;
    out.push({
      field: 'proxyUid',
      extent: 'disabled',
      detail: `container ${c.name} runs as ${user === uid ? `UID ${uid}` : `GID ${gid}`}, the sidecar's: its outbound traffic is never captured`,
    });
  }
  return out;
}
