// Istio metric labels from the view: the destination's app, version and canonical
// labels from its endpoint, the caller's from the endpoint at its address (only when
// its identity is the verified one), and this pod's own from its inbound resource.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileMesh } from '../src/mesh/mesh-index.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import { PeerLabels } from './peers.js';

const id = (sa: string): string => `spiffe://cluster.local/ns/shop/sa/${sa}`;
const CART_IP = '198.51.100.21';
const WEB_IP = '198.51.100.10';

const mesh: MeshIndex = compileMesh(
  MeshConfigSchema.parse({
    self: {
      workload: 'web',
      labels: { app: 'web', version: 'v3', canonicalService: 'web', canonicalRevision: 'v3' },
    },
    services: [
      {
        name: 'cart',
        namespace: 'shop',
        addresses: ['198.51.100.200'],
        ports: [{ port: 80 }],
        endpoints: [
          {
            address: CART_IP,
            identity: id('cart'),
            workload: 'cart',
            labels: {
              app: 'cart',
              version: 'v1',
              canonicalService: 'carts',
              canonicalRevision: 'r1',
            },
          },
        ],
      },
      {
        name: 'web',
        namespace: 'shop',
        ports: [{ port: 80 }],
        endpoints: [
          {
            address: WEB_IP,
            identity: id('web'),
            workload: 'web',
            labels: { app: 'web', version: 'v3', canonicalService: 'web', canonicalRevision: 'v3' },
          },
        ],
      },
    ],
  }),
  'shop',
);

const self = {
  namespace: 'shop',
  ip: WEB_IP,
  workload: 'web-7d9f8b6c5d-abcde',
  app: 'web-7d9f8b6c5d-abcde',
  version: 'unknown',
  principal: () => id('web'),
};

describe('peer labels from pod metadata', () => {
  it('names both ends of an outbound call by their pods’ labels', () => {
    const cart = mesh.config.services[0]!;
    const p = new PeerLabels(self, () => mesh).outbound(cart, cart.endpoints[0]);
    assert.deepEqual(
      [
        p.source_workload,
        p.source_app,
        p.source_version,
        p.source_canonical_service,
        p.source_canonical_revision,
      ],
      ['web', 'web', 'v3', 'web', 'v3'],
    );
    assert.deepEqual(
      [
        p.destination_app,
        p.destination_version,
        p.destination_canonical_service,
        p.destination_canonical_revision,
      ],
      ['cart', 'v1', 'carts', 'r1'],
    );
  });

  it('names the caller by the endpoint at its address only when the identity matches', () => {
    const labels = new PeerLabels({ ...self, ip: CART_IP }, () => mesh);
    const verified = labels.inbound(id('web'), WEB_IP, 80);
    assert.deepEqual([verified.source_app, verified.source_version], ['web', 'v3']);
    const impostor = labels.inbound(id('other'), WEB_IP, 80);
    assert.equal(impostor.source_version, 'unknown');
  });
});
