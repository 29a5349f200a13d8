import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ClusterObjects } from './build-view.js';
import {
  buildInboundResource,
  inboundPortsByIp,
  buildServiceResources,
  keyOf,
  workloadOfPod,
} from './build-view.js';
import { compileMesh } from './mesh-index.js';
import { parsePeerAuthentication } from './peer-authentication.js';
import type { PeerAuthentication } from './peer-authentication.js';
import type { Resource } from './view.js';
import { toMeshConfig } from './view.js';

const NS = 'shop';

function pod(
  name: string,
  ip: string,
  o: { sa?: string; meshed?: boolean; labels?: Record<string, string> } = {},
): V1Pod {
  return {
    metadata: {
      namespace: NS,
      name,
      labels: { app: 'cart', 'pod-template-hash': '5d8f7c', ...o.labels },
      annotations: o.meshed === false ? {} : { 'weft.dev/status': '{}' },
      // Only the Deployment's pods have an owner (named as the ReplicaSet names them).
      ownerReferences: !name.startsWith('cart-')
        ? []
        : [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'cart-5d8f7c',
              uid: 'u',
              controller: true,
            },
          ],
    },
    spec: { serviceAccountName: o.sa ?? 'cart', containers: [] },
    status: { podIP: ip, podIPs: [{ ip }] },
  };
}

function service(name: string, spec: V1Service['spec']): V1Service {
  return { metadata: { namespace: NS, name }, spec };
}

type SliceEndpoint = { ip: string; pod?: string; ready?: boolean; serving?: boolean };
function slice(
  svc: string,
  name: string,
  eps: SliceEndpoint[],
  ports = [{ name: 'http', port: 8080 }],
): V1EndpointSlice {
  return {
    metadata: { namespace: NS, name, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports,
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true },
      ...(e.pod ? { targetRef: { kind: 'Pod', namespace: NS, name: e.pod } } : {}),
    })),
  };
}

function objects(o: {
  services: V1Service[];
  slices: V1EndpointSlice[];
  pods: V1Pod[];
  policies?: PeerAuthentication[];
}): ClusterObjects {
  const byKey = <T extends { metadata?: { namespace?: string; name?: string } }>(xs: T[]) =>
    new Map(xs.map((x) => [keyOf(x), x]));
  return {
    services: byKey(o.services),
    slices: byKey(o.slices),
    pods: byKey(o.pods),
    peerAuthentications: new Map((o.policies ?? []).map((p) => [`${p.namespace}/${p.name}`, p])),
    trustDomain: 'cluster.local',
    rootNamespace: 'weft-system',
  };
}

const get = (m: Map<string, Resource>, k: string): Resource => {
  const r = m.get(k);
  assert.ok(r, `${k} in ${[...m.keys()].join(', ')}`);
  return r;
};

describe('view builder', () => {
  const pods = [
    pod('cart-5d8f7c-aaaaa', '10.1.0.1'),
    pod('cart-5d8f7c-bbbbb', '10.1.0.2'),
    pod('legacy', '10.1.0.3', { meshed: false, sa: 'old' }),
  ];
  const cart = service('cart', {
    clusterIP: '10.96.0.1',
    clusterIPs: ['10.96.0.1', 'fd00::1'],
    ports: [
      { name: 'http', port: 80, targetPort: 'http' },
      { name: 'grpc-api', port: 9090, targetPort: 9090 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  });
  const slices = [
    slice('cart', 'cart-a', [
      { ip: '10.1.0.1', pod: 'cart-5d8f7c-aaaaa' },
      { ip: '10.1.0.2', pod: 'cart-5d8f7c-bbbbb', ready: false, serving: true },
      { ip: '10.1.0.3', pod: 'legacy' },
    ]),
  ];

  it('builds the catalog entry: every ClusterIP, TCP ports, named target ports resolved', () => {
    const r = get(
      buildServiceResources(objects({ services: [cart], slices, pods })),
      'service/shop/cart',
    );
    assert.equal(r.kind, 'service');
    assert.deepEqual(r.kind === 'service' && r.service, {
      name: 'cart',
      namespace: NS,
      addresses: ['10.96.0.1', 'fd00::1'],
      ports: [
        { port: 80, targetPort: 8080, name: 'http' },
        { port: 9090, name: 'grpc-api' },
      ],
    });
  });

  it('lists ready endpoints with identity, workload and mTLS only to meshed pods', () => {
    const r = get(
      buildServiceResources(objects({ services: [cart], slices, pods })),
      'endpoints/shop/cart',
    );
    assert.deepEqual(r.kind === 'endpoints' && r.endpoints, [
      {
        address: '10.1.0.1',
        identity: 'spiffe://cluster.local/ns/shop/sa/cart',
        workload: 'cart',
        mtls: true,
        labels: { app: 'cart', canonicalService: 'cart', canonicalRevision: 'latest' },
      },
      {
        address: '10.1.0.3',
        identity: 'spiffe://cluster.local/ns/shop/sa/old',
        workload: 'legacy',
        mtls: false,
        labels: { app: 'cart', canonicalService: 'cart', canonicalRevision: 'latest' },
      },
    ]);
  });

  it('falls back to serving-but-terminating endpoints when none is ready', () => {
    const terminating = [
      slice('cart', 'cart-a', [
        { ip: '10.1.0.2', pod: 'cart-5d8f7c-bbbbb', ready: false, serving: true },
        { ip: '10.1.0.1', pod: 'cart-5d8f7c-aaaaa', ready: false, serving: false },
      ]),
    ];
    const r = get(
      buildServiceResources(objects({ services: [cart], slices: terminating, pods })),
      'endpoints/shop/cart',
    );
    assert.deepEqual(r.kind === 'endpoints' && r.endpoints.map((e) => e.address), ['10.1.0.2']);
  });

  it('takes hand-made slices of selector-less Services as plaintext; skips ExternalName', () => {
    const ext = service('ext', { type: 'ExternalName', externalName: 'example.org' });
    const manual = service('manual', {
      clusterIP: '10.96.0.9',
      ports: [{ port: 5432, name: 'tcp-pg' }],
    });
    const built = buildServiceResources(
      objects({
        services: [ext, manual],
        slices: [
          slice('manual', 'manual-1', [{ ip: '192.0.2.50' }], [{ name: 'tcp-pg', port: 5432 }]),
        ],
        pods,
      }),
    );
    assert.equal(built.has('service/shop/ext'), false);
    const eps = get(built, 'endpoints/shop/manual');
    assert.deepEqual(eps.kind === 'endpoints' && eps.endpoints.map((e) => [e.address, e.mtls]), [
      ['192.0.2.50', false],
    ]);
  });

  it('sends plaintext to a pod whose PeerAuthentication is DISABLE', () => {
    const off = parsePeerAuthentication({
      metadata: { namespace: NS, name: 'off' },
      spec: { selector: { matchLabels: { app: 'cart' } }, mtls: { mode: 'DISABLE' } },
    });
    assert.ok('policy' in off);
    const r = get(
      buildServiceResources(objects({ services: [cart], slices, pods, policies: [off.policy] })),
      'endpoints/shop/cart',
    );
    assert.ok(r.kind === 'endpoints' && r.endpoints.every((e) => !e.mtls));
  });

  it('tells callers each port that a port-level mode makes differ from the pod', () => {
    const cases: [string, Record<string, unknown>, boolean, unknown][] = [
      [
        'STRICT, 8080 DISABLE',
        { mtls: { mode: 'STRICT' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
        true,
        [{ port: 8080, mtls: false }],
      ],
      [
        'PERMISSIVE, 8080 DISABLE',
        { portLevelMtls: { '8080': { mode: 'DISABLE' } } },
        true,
        [{ port: 8080, mtls: false }],
      ],
      [
        'DISABLE, 9090 STRICT',
        { mtls: { mode: 'DISABLE' }, portLevelMtls: { '9090': { mode: 'STRICT' } } },
        false,
        [{ port: 9090, mtls: true }],
      ],
      [
        'STRICT, 9090 PERMISSIVE (no difference to callers)',
        { mtls: { mode: 'STRICT' }, portLevelMtls: { '9090': { mode: 'PERMISSIVE' } } },
        true,
        undefined,
      ],
      [
        'DISABLE, 8080 DISABLE',
        { mtls: { mode: 'DISABLE' }, portLevelMtls: { '8080': { mode: 'DISABLE' } } },
        false,
        undefined,
      ],
    ];
    for (const [name, spec, mtls, portMtls] of cases) {
      const p = parsePeerAuthentication({
        metadata: { namespace: NS, name: 'p' },
        spec: { selector: { matchLabels: { app: 'cart' } }, ...spec },
      });
      assert.ok('policy' in p, name);
      const r = get(
        buildServiceResources(objects({ services: [cart], slices, pods, policies: [p.policy] })),
        'endpoints/shop/cart',
      );
      assert.ok(r.kind === 'endpoints');
      for (const e of r.endpoints.filter((x) => x.address !== '10.1.0.3')) {
        assert.equal(e.mtls, mtls, name);
        assert.deepEqual(e.portMtls, portMtls, name);
      }
      // A pod without a sidecar takes plaintext on every port, whatever the policy.
      const legacy = r.endpoints.find((x) => x.address === '10.1.0.3');
      if (legacy) assert.deepEqual([legacy.mtls, legacy.portMtls], [false, undefined], name);
    }
  });

  it('gives a pod its inbound mode and its ports protocols; versions follow content', () => {
    const strictPort = parsePeerAuthentication({
      metadata: { namespace: NS, name: 'p' },
      spec: {
        selector: { matchLabels: { app: 'cart' } },
        portLevelMtls: { '9090': { mode: 'STRICT' } },
      },
    });
    assert.ok('policy' in strictPort);
    const o = objects({ services: [cart], slices, pods, policies: [strictPort.policy] });
    const services = buildServiceResources(o);
    const inbound = buildInboundResource(o, pods[0]!, inboundPortsByIp(services));
    assert.deepEqual(inbound.kind === 'inbound' && inbound.inbound, {
      mode: 'PERMISSIVE',
      by: 'default',
      ports: [
        { port: 8080, protocol: 'http' },
        { port: 9090, mode: 'STRICT', protocol: 'grpc' },
      ],
    });
    assert.equal(
      buildServiceResources(o).get('service/shop/cart')!.version,
      services.get('service/shop/cart')!.version,
    );
    const moved = buildServiceResources(
      objects({
        services: [cart],
        slices: [slice('cart', 'cart-a', [{ ip: '10.1.0.1', pod: 'cart-5d8f7c-aaaaa' }])],
        pods,
      }),
    );
    assert.equal(
      moved.get('service/shop/cart')!.version,
      services.get('service/shop/cart')!.version,
    );
    assert.notEqual(
      moved.get('endpoints/shop/cart')!.version,
      services.get('endpoints/shop/cart')!.version,
    );
  });

  it('compiles into the index the data plane uses', () => {
    const o = objects({ services: [cart], slices, pods });
    const view = buildServiceResources(o);
    view.set('inbound', buildInboundResource(o, pods[0]!, inboundPortsByIp(view)));
    const mesh = compileMesh(toMeshConfig(view, 'cluster.local'), NS);
    assert.equal(mesh.byHost('cart', 80)?.port.targetPort, 8080);
    assert.equal(mesh.byDestination('fd00::1', 9090)?.protocol, 'grpc');
    assert.equal(mesh.byDestination('10.1.0.1', 8080)?.endpoint?.mtls, true);
    assert.deepEqual(mesh.inbound(8080), { mode: 'PERMISSIVE', protocol: 'http' });
  });

  it('names the workload after the controller', () => {
    assert.equal(workloadOfPod(pods[0]!), 'cart');
    assert.equal(
      workloadOfPod({
        metadata: {
          name: 'db-0',
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'StatefulSet',
              name: 'db',
              uid: 'u',
              controller: true,
            },
          ],
        },
      }),
      'db',
    );
    assert.equal(workloadOfPod({ metadata: { name: 'lone' } }), 'lone');
  });

  it('carries a headless Service: no VIP, but callers dialling a pod IP get mTLS with its identity', () => {
    const headless = service('db', {
      clusterIP: 'None',
      clusterIPs: ['None'],
      ports: [{ name: 'tcp-db', port: 5432, targetPort: 5432 }],
    });
    const pods = [pod('db-0', '10.1.0.7', { sa: 'db', labels: { app: 'db' } })];
    const slices = [
      slice('db', 'db-x1', [{ ip: '10.1.0.7', pod: 'db-0' }], [{ name: 'tcp-db', port: 5432 }]),
    ];
    const view = buildServiceResources(objects({ services: [headless], slices, pods }));
    const mesh = compileMesh(toMeshConfig(view, 'cluster.local'), 'web');
    assert.deepEqual(mesh.config.services[0]!.addresses, []);
    const target = mesh.byDestination('10.1.0.7', 5432);
    assert.equal(target?.service.name, 'db');
    assert.equal(target?.endpoint?.mtls, true);
    assert.equal(target?.endpoint?.identity, 'spiffe://cluster.local/ns/shop/sa/db');
    assert.deepEqual(
      [...mesh.identities(target.service)],
      ['spiffe://cluster.local/ns/shop/sa/db'],
    );
  });
});
