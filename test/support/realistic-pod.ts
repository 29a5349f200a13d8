// A pod as the API server returns it for a meshed Deployment replica: an app
// container and weft's two, env, mounts, projected volumes, status conditions and
// container statuses, and the managedFields three writers leave (the controller,
// the injector's patch, the kubelet's status). Shapes follow a real 1.30 cluster's
// output; what discovery's caches hold is measured against it.
import type { V1Pod } from '@kubernetes/client-node';

const fieldsV1 = (n: number): Record<string, unknown> =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `f:field-${i}`,
      { '.': {}, 'f:name': {}, 'f:value': {}, [`k:{"containerPort":${8000 + i}}`]: {} },
    ]),
  );

const container = (name: string, i: number): Record<string, unknown> => ({
  name,
  image: `registry.example/${name}:1.2.${i}`,
  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  env: Array.from({ length: 12 }, (_, e) => ({ name: `ENV_${e}`, value: `value-${e}-${name}` })),
  resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
  volumeMounts: [
    {
      name: 'kube-api-access-abcde',
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
      readOnly: true,
    },
    { name: 'weft-token', mountPath: '/var/run/secrets/weft/tokens', readOnly: true },
  ],
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  imagePullPolicy: 'IfNotPresent',
  securityContext: {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  },
});

export function realisticPod(i: number, namespace = 'shop'): V1Pod {
  const name = `cart-7d9f8b6c5d-${String(i).padStart(5, 'x')}`;
  const ip = `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `0f0e0d0c-0b0a-4908-8706-${String(i).padStart(12, '0')}`,
      resourceVersion: String(100_000 + i),
      generateName: 'cart-7d9f8b6c5d-',
      creationTimestamp: new Date('2026-01-01T00:00:00Z'),
      labels: { app: 'cart', version: 'v1', 'pod-template-hash': '7d9f8b6c5d' },
      annotations: { 'weft.dev/status': '{"version":"0.1.0","containers":["weft-proxy"]}' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'cart-7d9f8b6c5d',
          uid: 'rs-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: fieldsV1(40),
        },
        {
          manager: 'weft-webhook',
          operation: 'Update',
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: fieldsV1(30),
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          subresource: 'status',
          fieldsType: 'FieldsV1',
          fieldsV1: fieldsV1(30),
        },
      ] as never,
    },
    spec: {
      serviceAccountName: 'cart',
      nodeName: 'node-1',
      containers: [container('cart', i), container('weft-proxy', i)] as never,
      initContainers: [container('weft-init', i)] as never,
      volumes: Array.from({ length: 4 }, (_, v) => ({
        name: `vol-${v}`,
        projected: {
          sources: [
            {
              serviceAccountToken: { audience: 'weft-ca', expirationSeconds: 3600, path: 'token' },
            },
          ],
        },
      })),
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: '192.0.2.1',
      conditions: [
        'PodReadyToStartContainers',
        'Initialized',
        'Ready',
        'ContainersReady',
        'PodScheduled',
      ].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: new Date('2026-01-01T00:00:05Z'),
      })),
      containerStatuses: ['cart', 'weft-proxy'].map((n) => ({
        name: n,
        ready: true,
        restartCount: 0,
        image: `registry.example/${n}:1.2.${i}`,
        imageID: `registry.example/${n}@sha256:${'ab'.repeat(32)}`,
        containerID: `containerd://${'cd'.repeat(32)}`,
        started: true,
        state: { running: { startedAt: new Date('2026-01-01T00:00:04Z') } },
      })),
    },
  };
}
