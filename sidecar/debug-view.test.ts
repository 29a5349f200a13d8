import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SidecarView } from '../src/debug/sidecar-view.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
import type { MeshIndex } from '../src/mesh/mesh-index.js';
import { compileMesh } from '../src/mesh/mesh-index.js';
import { sidecarView } from './debug-view.js';

const KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAsecret\n-----END PRIVATE KEY-----\n';
const CHAIN = '-----BEGIN CERTIFICATE-----\nMIIBleaf\n-----END CERTIFICATE-----\n';

describe("the sidecar's /debug/view", () => {
  const config = MeshConfigSchema.parse({
    services: [
      {
        name: 'cart',
        namespace: 'shop',
        addresses: ['198.51.100.7'],
        ports: [{ port: 80, targetPort: 8080, name: 'http' }],
        endpoints: [{ address: '203.0.113.5', identity: 'spiffe://cluster.local/ns/shop/sa/cart' }],
      },
    ],
  });
  const cert = {
    spiffeId: 'spiffe://cluster.local/ns/shop/sa/web',
    serial: '0a1b',
    notBefore: new Date('2026-12-02T05:00:00Z'),
    notAfter: new Date('2026-12-03T05:00:00Z'),
    certChainPem: CHAIN,
    keyPem: KEY,
    trustBundlePem: CHAIN,
  };
  const creds = { certificate: () => cert };
  const mesh = (): MeshIndex => compileMesh(config, 'shop');

  it('reports the view, the stream and the identity, in its schema', () => {
    const view = sidecarView({
      mesh,
      creds,
      discovery: () => ({ addresses: ['weft-ca:15010'], synced: true, version: 'v9' }),
    });
    const parsed = SidecarView.parse(JSON.parse(JSON.stringify(view)));
    assert.equal(parsed.source, 'discovery');
    assert.equal(parsed.identity?.spiffeId, 'spiffe://cluster.local/ns/shop/sa/web');
    assert.equal(parsed.identity?.notAfter, '2026-12-03T05:00:00.000Z');
    assert.deepEqual(parsed.config.services[0]!.endpoints[0]!.address, '203.0.113.5');
  });

  it('carries no key and no certificate body', () => {
    const text = JSON.stringify(sidecarView({ mesh, creds }));
    assert.ok(!text.includes('PRIVATE KEY'), 'no key');
    assert.ok(!text.includes('BEGIN CERTIFICATE'), 'no chain');
    assert.ok(!text.includes('secret'), 'no key material');
    assert.equal(SidecarView.parse(JSON.parse(text)).source, 'file');
  });
});
