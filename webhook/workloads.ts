// Manual injection (`kubectl weft inject -f`): the same pure inject() applied to
// Pods and to the pod templates inside workload objects, Lists and CronJobs.
import { ErrorCode, WeftError } from '../src/errors.js';
import { inject } from './inject.js';
import type { PodLike } from './inject.js';
import type { InjectionConfig } from './injection-config.js';
import { podLabelChoice } from './selection.js';

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
  items?: KubeObject[];
}

const TEMPLATE_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'ReplicationController',
];

/** Where the pod template of `obj` lives, or undefined for a Pod itself. */
function template(obj: KubeObject): PodLike | undefined {
  if (obj.kind === 'CronJob') {
    const job = (obj.spec?.jobTemplate as { spec?: { template?: PodLike } } | undefined)?.spec;
    return job?.template;
  }
  return TEMPLATE_KINDS.includes(obj.kind ?? '')
    ? (obj.spec?.template as PodLike | undefined)
    : undefined;
}

function injectPodLike(pod: PodLike, config: InjectionConfig): PodLike {
  // Manual injection ignores the namespace label (you asked), but a pod that opts
  // out or uses the host network stays as it is.
  if (podLabelChoice(pod) === false || pod.spec?.hostNetwork) return pod;
  return inject(pod, config);
}

export function injectObject(obj: KubeObject, config: InjectionConfig): KubeObject {
  if (obj.kind === 'List' || (obj.kind?.endsWith('List') && Array.isArray(obj.items))) {
    return { ...obj, items: (obj.items ?? []).map((i) => injectObject(i, config)) };
  }
  if (obj.kind === 'Pod') return injectPodLike(obj as PodLike, config) as KubeObject;
  if (!obj.kind) throw new WeftError(ErrorCode.BadRequest, 'an object has no kind');
  const t = template(obj);
  if (!t) return obj; // Services, ConfigMaps and the like pass through unchanged
  const out = structuredClone(obj);
  const injected = injectPodLike(t, config);
  if (obj.kind === 'CronJob') {
    (out.spec!.jobTemplate as { spec: { template: PodLike } }).spec.template = injected;
  } else {
    out.spec!.template = injected;
  }
  return out;
}
