// Which pods get the sidecar: small named rules, each returning a reason to skip,
// the first reason wins and is logged. Pure: the namespace's labels come in.
import type { V1Pod } from '@kubernetes/client-node';
import { ErrorCode, WeftError } from '../src/errors.js';
import { WEFT_NAMESPACE } from '../src/names.js';

export const INJECT_LABEL = 'weft.dev/inject';
export const NAMESPACE_ENABLED = 'enabled';
export const NEVER_INJECTED_NAMESPACES: readonly string[] = [
  'kube-system',
  'kube-public',
  'kube-node-lease',
  WEFT_NAMESPACE,
];

export interface NamespaceInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Admin-set policy lives here (weft.dev/capture-overrides). */
  readonly annotations?: Readonly<Record<string, string>>;
}

export type Decision =
  | { readonly inject: true; readonly why: string }
  | { readonly inject: false; readonly reason: string };

/** The pod label's meaning: true, false, or absent. Any other value is refused. */
export function podLabelChoice(pod: V1Pod): boolean | undefined {
  const v = pod.metadata?.labels?.[INJECT_LABEL];
  if (v === undefined) return undefined;
  if (v === 'true' || v === 'false') return v === 'true';
  throw new WeftError(
    ErrorCode.BadRequest,
    `label ${INJECT_LABEL}="${v}": must be "true" or "false"`,
  );
}

const rules: ((pod: V1Pod, ns: NamespaceInfo) => string | undefined)[] = [
  (pod) => (pod.spec?.hostNetwork ? 'pod uses hostNetwork' : undefined),
  (_pod, ns) =>
    NEVER_INJECTED_NAMESPACES.includes(ns.name)
      ? `namespace ${ns.name} is never injected`
      : undefined,
  (pod) => (podLabelChoice(pod) === false ? `pod label ${INJECT_LABEL}=false` : undefined),
  (pod, ns) =>
    podLabelChoice(pod) === undefined && ns.labels[INJECT_LABEL] !== NAMESPACE_ENABLED
      ? `namespace ${ns.name} is not labelled ${INJECT_LABEL}=${NAMESPACE_ENABLED}`
      : undefined,
];

export function decide(pod: V1Pod, ns: NamespaceInfo): Decision {
  for (const rule of rules) {
    const reason = rule(pod, ns);
    if (reason) return { inject: false, reason };
  }
  return {
    inject: true,
    why: podLabelChoice(pod)
      ? `pod label ${INJECT_LABEL}=true`
      : `namespace ${ns.name} is labelled ${INJECT_LABEL}=${NAMESPACE_ENABLED}`,
  };
}
