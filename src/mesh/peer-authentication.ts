// PeerAuthentication (weft.dev/v1alpha1) with Istio's fields and semantics: which
// mTLS mode a workload's inbound listener takes, per port. Pure: the policies are
// data, resolution returns the mode and the policy that decided it.
//
// Istio's rules, kept here: a policy without a selector in the root namespace
// (weft-system) is mesh-wide; without a selector elsewhere, namespace-wide; with a
// selector, workload-wide (portLevelMtls only counts there). The most specific
// level that sets a mode wins; UNSET (or no policy) inherits from the level above;
// nothing set anywhere is PERMISSIVE. Among several policies at one level the
// oldest wins (Istio's tie-break), then the name.
import { z } from 'zod';
import type { MtlsMode } from './config.js';
import { byCodeUnit } from '../compare.js';

export const PEER_AUTHENTICATION = {
  group: 'weft.dev',
  version: 'v1alpha1',
  plural: 'peerauthentications',
} as const;

const Mode = z.enum(['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT']);
export type PeerAuthenticationMode = z.infer<typeof Mode>;

const ModeField = z.strictObject({ mode: Mode.default('UNSET') });

export const PeerAuthenticationSpec = z.strictObject({
  selector: z
    .strictObject({ matchLabels: z.record(z.string(), z.string()).default({}) })
    .optional(),
  mtls: ModeField.optional(),
  portLevelMtls: z
    .record(z.string().regex(/^\d{1,5}$/, 'must be a port number'), ModeField)
    .optional(),
});

/** One parsed policy, as the resolver needs it. */
export interface PeerAuthentication {
  readonly namespace: string;
  readonly name: string;
  /** Milliseconds since the epoch; orders policies at one level. */
  readonly created: number;
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly mode: PeerAuthenticationMode;
  readonly ports: ReadonlyMap<number, PeerAuthenticationMode>;
}

export interface PeerAuthenticationObject {
  readonly metadata?: { name?: string; namespace?: string; creationTimestamp?: Date | string };
  readonly spec?: unknown;
}

function describeIssue(where: string, issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  return `${where}: spec.${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? ''}`;
}

/** A CR from the API server → a policy, or the reason it is ignored (logged by the caller). */
export function parsePeerAuthentication(
  obj: PeerAuthenticationObject,
): { policy: PeerAuthentication } | { error: string } {
  const meta = obj.metadata ?? {};
  const parsed = PeerAuthenticationSpec.safeParse(obj.spec ?? {});
  if (!parsed.success) {
    return {
      error: describeIssue(`${meta.namespace ?? '?'}/${meta.name ?? '?'}`, parsed.error.issues),
    };
  }
  const spec = parsed.data;
  const ports = new Map<number, PeerAuthenticationMode>();
  for (const [port, m] of Object.entries(spec.portLevelMtls ?? {})) ports.set(Number(port), m.mode);
  return {
    policy: {
      namespace: meta.namespace ?? '',
      name: meta.name ?? '',
      created: meta.creationTimestamp ? new Date(meta.creationTimestamp).getTime() : 0,
      selector: spec.selector?.matchLabels,
      mode: spec.mtls?.mode ?? 'UNSET',
      ports,
    },
  };
}

export interface ResolvedMode {
  readonly mode: MtlsMode;
  /** The policy (`ns/name`, with `:port` for a port-level setting) that decided it, or `default`. */
  readonly by: string;
}

export interface InboundModes {
  readonly mode: ResolvedMode;
  /** Ports whose mode differs by a port-level setting. */
  readonly ports: ReadonlyMap<number, ResolvedMode>;
}

const oldestFirst = (a: PeerAuthentication, b: PeerAuthentication): number =>
  a.created - b.created || byCodeUnit(a.name, b.name);

const matches = (selector: Readonly<Record<string, string>>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const ref = (p: PeerAuthentication): string => `${p.namespace}/${p.name}`;

/** The policies that apply to a pod, most specific first: workload, namespace, mesh. */
export function applicablePolicies(
  policies: Iterable<PeerAuthentication>,
  pod: { namespace: string; labels: Record<string, string> },
  rootNamespace: string,
): { workload?: PeerAuthentication; namespace?: PeerAuthentication; mesh?: PeerAuthentication } {
  const all = [...policies]; // an iterator can be spread once
  const inNs = all.filter((p) => p.namespace === pod.namespace).sort(oldestFirst);
  const mesh = all.filter((p) => p.namespace === rootNamespace && !p.selector).sort(oldestFirst)[0];
  return {
    workload: inNs.find((p) => p.selector && matches(p.selector, pod.labels)),
    namespace: inNs.find((p) => !p.selector),
    mesh,
  };
}

/** The inbound modes of a pod: its overall mode and every port-level override. */
export function resolveInboundModes(
  policies: Iterable<PeerAuthentication>,
  pod: { namespace: string; labels: Record<string, string> },
  rootNamespace: string,
): InboundModes {
  const { workload, namespace, mesh } = applicablePolicies(policies, pod, rootNamespace);
  let mode: ResolvedMode = { mode: 'PERMISSIVE', by: 'default' };
  for (const p of [mesh, namespace, workload]) {
    if (p && p.mode !== 'UNSET') mode = { mode: p.mode, by: ref(p) };
  }
  const ports = new Map<number, ResolvedMode>();
  for (const [port, m] of workload?.ports ?? []) {
    if (m !== 'UNSET') ports.set(port, { mode: m, by: `${ref(workload!)}:${port}` });
  }
  return { mode, ports };
}

/** The mode on one target port. */
export function modeOnPort(modes: InboundModes, port: number): MtlsMode {
  return (modes.ports.get(port) ?? modes.mode).mode;
}
