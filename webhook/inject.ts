// The mutation: inject(pod, config) → pod, a pure function. A pod that already
// carries weft's status annotation is stripped first, so injecting twice gives the
// same pod. The webhook diffs input against output to get its JSONPatch.
import type { V1Container, V1ObjectMeta, V1PodSpec } from '@kubernetes/client-node';
import { Ports, RESERVED_PORTS, defaultCapture } from '../src/capture/capture-spec.js';
import type { CaptureSpec } from '../src/capture/capture-spec.js';
import { ErrorCode, WeftError } from '../src/errors.js';
import { VERSION } from '../src/version.js';
import { Annotation, readOverrides } from './annotations.js';
import type { Overrides } from './annotations.js';
import type { InjectionConfig } from './injection-config.js';
import { DEFAULT_CONTAINER_ANNOTATION, parseStatus } from './injection-status.js';
import type { InjectionStatus } from './injection-status.js';
import { checkCapture, installationPolicy, proxyImage } from './override-policy.js';
import { scrapeAnnotations } from './scrape-annotations.js';
import type { CapturePolicy } from './override-policy.js';
import { PROBERS_ENV, restoreProbes, rewriteProbes } from './probes.js';
import type { Probers } from './probes.js';
import {
  INIT_NAME,
  PROXY_NAME,
  initContainer,
  proxyContainer,
  weftVolumes,
} from './sidecar-spec.js';

/** A Pod or a pod template: what injection reads and writes. */
export interface PodLike {
  metadata?: V1ObjectMeta;
  spec?: V1PodSpec;
}

export { DEFAULT_CONTAINER_ANNOTATION };

/** `items` without those named in `names`: one pass, a Set lookup each (never M×N). */
function removeNamed<T extends { name: string }>(
  items: T[] | undefined,
  names: readonly string[],
): T[] | undefined {
  const drop = new Set(names);
  const kept = (items ?? []).filter((i) => !drop.has(i.name));
  return kept.length ? kept : undefined;
}

function savedProbers(raw: string | undefined): Probers | undefined {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as Probers;
  } catch (cause) {
    throw new WeftError(ErrorCode.BadRequest, `${PROXY_NAME}'s ${PROBERS_ENV} is not weft's JSON`, {
      cause,
    });
  }
}

function stripSpec(spec: V1PodSpec, status: InjectionStatus): void {
  const proxy = [...(spec.initContainers ?? []), ...spec.containers].find(
    (c) => c.name === PROXY_NAME,
  );
  const probers = savedProbers(proxy?.env?.find((e) => e.name === PROBERS_ENV)?.value);
  const init = removeNamed(spec.initContainers, status.initContainers);
  const volumes = removeNamed(spec.volumes, status.volumes);
  if (init) spec.initContainers = init;
  else delete spec.initContainers;
  if (volumes) spec.volumes = volumes;
  else delete spec.volumes;
  spec.containers = removeNamed(spec.containers, status.containers) ?? [];
  if (probers) restoreProbes(spec.containers, probers);
}

function stripAnnotations(meta: V1ObjectMeta, status: InjectionStatus): void {
  const annotations = { ...meta.annotations };
  for (const key of [...status.annotations, Annotation.Status]) delete annotations[key];
  if (Object.keys(annotations).length) meta.annotations = annotations;
  else delete meta.annotations;
}

/**
 * A copy of the parts injection edits (metadata, spec, each container), sharing the
 * rest with `input`: a deep copy of a 2 MB pod cost ~0.5 s, and the shared subtrees
 * make the diff skip what did not change. Nothing below a container is edited in
 * place; probes, lists and annotations are replaced, never mutated.
 */
function copyForEdit<T extends PodLike>(input: T): T {
  const pod: T = { ...input };
  if (input.metadata) pod.metadata = { ...input.metadata };
  if (input.spec) {
    const spec: V1PodSpec = { ...input.spec };
    if (input.spec.containers) spec.containers = input.spec.containers.map((c) => ({ ...c }));
    if (input.spec.initContainers)
      spec.initContainers = input.spec.initContainers.map((c) => ({ ...c }));
    pod.spec = spec;
  }
  return pod;
}

/** Removes everything a previous injection added (per its status annotation). */
export function strip<T extends PodLike>(input: T): T {
  const pod = copyForEdit(input);
  const status = parseStatus(pod.metadata?.annotations?.[Annotation.Status]);
  if (!status || !pod.spec || !pod.metadata) return pod;
  stripSpec(pod.spec, status);
  stripAnnotations(pod.metadata, status);
  return pod;
}

function checkPorts(containers: V1Container[]): void {
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (RESERVED_PORTS.includes(p.containerPort)) {
        throw new WeftError(
          ErrorCode.BadRequest,
          `container ${c.name} declares port ${p.containerPort}, which weft's sidecar reserves (${RESERVED_PORTS.join(', ')})`,
        );
      }
    }
  }
}

function captureFor(o: Overrides, config: InjectionConfig): CaptureSpec {
  return {
    ...defaultCapture,
    includeInboundPorts: o.includeInboundPorts ?? '*',
    // The kubelet reaches the sidecar's health port directly.
    excludeInboundPorts: [...new Set([Ports.Health, ...(o.excludeInboundPorts ?? [])])],
    includeOutboundPorts: o.includeOutboundPorts ?? [],
    excludeOutboundPorts: o.excludeOutboundPorts ?? [],
    excludeOutboundCidrs: [
      ...new Set([...config.excludeOutboundCidrs, ...(o.excludeOutboundCidrs ?? [])]),
    ],
  };
}

function addAnnotations(
  meta: V1ObjectMeta,
  firstApp: string,
  status: Omit<InjectionStatus, 'annotations'>,
): void {
  const annotations = { ...meta.annotations };
  const added: string[] = [];
  const set = (k: string, v: string): void => {
    if (annotations[k] !== undefined) return; // the user's own value wins
    annotations[k] = v;
    added.push(k);
  };
  set(DEFAULT_CONTAINER_ANNOTATION, firstApp);
  for (const [k, v] of Object.entries(scrapeAnnotations(meta.annotations))) set(k, v);
  annotations[Annotation.Status] = JSON.stringify({ ...status, annotations: added });
  meta.annotations = annotations;
}

function proxyFor(
  config: InjectionConfig,
  o: Overrides,
  probers: Probers,
  native: boolean,
): V1Container {
  return proxyContainer({
    config,
    image: proxyImage(o, config.image, config.allowedProxyImages),
    logLevel: o.logLevel ?? config.logLevel,
    resources: { ...config.proxyResources, ...o.resources },
    probers,
    native,
  });
}

function place(spec: V1PodSpec, init: V1Container, proxy: V1Container, native: boolean): void {
  const userInit = spec.initContainers ?? [];
  // Native: the proxy starts right after capture, before the user's init containers.
  spec.initContainers = native ? [init, proxy, ...userInit] : [init, ...userInit];
  if (!native) spec.containers = [proxy, ...spec.containers];
}

/**
 * Returns the pod with weft's init container, sidecar, volumes and annotations.
 * `policy` says which capture overrides the pod's author may use (admit() passes
 * the namespace's); refused overrides throw a Forbidden WeftError.
 */
export function inject<T extends PodLike>(
  input: T,
  config: InjectionConfig,
  policy: CapturePolicy = installationPolicy(config.captureOverrides),
): T {
  const pod = strip(input);
  const spec = pod.spec;
  if (!spec?.containers?.length) throw new WeftError(ErrorCode.BadRequest, 'pod has no containers');
  const meta = (pod.metadata ??= {});
  const overrides = readOverrides(meta.annotations);
  checkCapture(overrides, spec, meta.annotations ?? {}, policy);
  checkPorts([...(spec.initContainers ?? []), ...spec.containers]);
  const native = overrides.nativeSidecar ?? config.nativeSidecars;
  const firstApp = spec.containers[0]!.name;
  const proxy = proxyFor(config, overrides, rewriteProbes(spec.containers), native);
  place(
    spec,
    // Root with NET_ADMIN: its image is the installation's, never a pod's choice.
    initContainer(config.image, captureFor(overrides, config)),
    proxy,
    native,
  );
  const volumes = weftVolumes(config);
  spec.volumes = [...(spec.volumes ?? []), ...volumes];
  addAnnotations(meta, firstApp, {
    version: VERSION,
    initContainers: native ? [INIT_NAME, PROXY_NAME] : [INIT_NAME],
    containers: native ? [] : [PROXY_NAME],
    volumes: volumes.map((v) => v.name),
    native,
  });
  return pod;
}
