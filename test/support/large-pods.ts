// Large pods for the webhook's cost tests and bench: the shape a review used to
// block the webhook (a forged weft.dev/status naming every one of M volumes), and
// large but honest pods that stress every other step (strip, inject, diff).
import type { V1Pod } from '@kubernetes/client-node';

/** Roughly 2 MB of JSON: over etcd's 1.5 MiB, under the API server's 3 MB body limit. */
export const TWO_MB = 2 * 1024 * 1024;

/** As many items as fit in `bytes` of JSON, sized from the first one. */
function fill<T>(bytes: number, make: (i: number) => T): T[] {
  const per = JSON.stringify(make(100_000)).length + 1;
  return Array.from({ length: Math.max(1, Math.floor(bytes / per)) }, (_, i) => make(i));
}

/** M volumes and a forged status that names all of them: M×M in the old strip. */
export function forgedStatusPod(bytes = TWO_MB): V1Pod {
  // Each volume's name is also in the status (about a third of its bytes).
  const volumes = fill((bytes * 3) / 4, (i) => ({ name: `v${i}`, emptyDir: {} }));
  const status = {
    version: '0.1.0',
    initContainers: [],
    containers: [],
    volumes: volumes.map((v) => v.name),
    annotations: [],
    native: true,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'forged', annotations: { 'weft.dev/status': JSON.stringify(status) } },
    spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }], volumes },
  };
}

/** Many app containers with classic sidecars: the proxy goes first, shifting them all. */
export function manyContainersPod(bytes = TWO_MB): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'wide', annotations: { 'weft.dev/native-sidecar': 'false' } },
    spec: {
      containers: fill(bytes, (i) => ({
        name: `c${i}`,
        image: 'example.invalid/app:1',
        ports: [{ containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
      })),
    },
  };
}

/** An honestly injected pod (status naming weft's own volumes first) with many volumes. */
export function reinjectedPod(bytes = TWO_MB): V1Pod {
  const status = {
    version: '0.1.0',
    initContainers: ['weft-init', 'weft-proxy'],
    containers: [],
    volumes: ['weft-token', 'weft-trust-bundle', 'weft-runtime'],
    annotations: [],
    native: true,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'again', annotations: { 'weft.dev/status': JSON.stringify(status) } },
    spec: {
      initContainers: [
        { name: 'weft-init', image: 'x' },
        { name: 'weft-proxy', image: 'x' },
      ],
      containers: [{ name: 'app', image: 'example.invalid/app:1' }],
      volumes: [
        { name: 'weft-token', emptyDir: {} },
        ...fill(bytes, (i) => ({ name: `v${i}`, emptyDir: {} })),
      ],
    },
  };
}

/** Many annotations and labels that are not weft's. */
export function manyAnnotationsPod(bytes = TWO_MB): V1Pod {
  const entries = fill(bytes / 2, (i) => [`example.com/k${i}`, `value-${i}`] as const);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'tagged',
      annotations: Object.fromEntries(entries),
      labels: Object.fromEntries(entries.map(([k, v]) => [k, v])),
    },
    spec: { containers: [{ name: 'app', image: 'example.invalid/app:1' }] },
  };
}

export const LARGE_PODS: Readonly<Record<string, (bytes?: number) => V1Pod>> = {
  'forged status naming M volumes': forgedStatusPod,
  'many containers, classic sidecar': manyContainersPod,
  're-injected pod with many volumes': reinjectedPod,
  'many annotations and labels': manyAnnotationsPod,
};
