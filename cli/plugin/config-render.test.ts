import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SidecarView } from '../../src/debug/sidecar-view.js';
import { configSummary } from './config-render.js';

const NOW = new Date('2026-12-02T05:00:00.000Z');

const view = SidecarView.parse({
  apiVersion: 'weft.dev/v1alpha1',
  kind: 'SidecarView',
  source: 'discovery',
  discovery: {
    addresses: ['weft-ca.weft-system.svc:15010'],
    connectedTo: 'weft-ca.weft-system.svc:15010',
    synced: true,
    version: 'v9',
    applied: { version: 'v9', at: '2026-12-02T04:59:50.000Z' },
    refused: { error: 'service cart.shop: port 0', at: '2026-12-02T04:58:00.000Z' },
  },
  identity: {
    spiffeId: 'spiffe://cluster.local/ns/shop/sa/web',
    serial: '0a1b',
    notBefore: '2026-12-02T04:00:00.000Z',
    notAfter: '2026-12-03T04:00:00.000Z',
  },
  config: {
    inbound: { mode: 'PERMISSIVE', ports: [{ port: 5432, mode: 'DISABLE' }] },
    services: [
      {
        name: 'cart',
        namespace: 'shop',
        addresses: ['198.51.100.7'],
        ports: [{ port: 80, targetPort: 8080, name: 'http' }],
        endpoints: [
          {
            address: '203.0.113.5',
            identity: 'spiffe://cluster.local/ns/shop/sa/cart',
            workload: 'cart',
            portMtls: [{ port: 9090, mtls: false }],
          },
          {
            address: '203.0.113.6',
            identity: 'spiffe://cluster.local/ns/shop/sa/legacy',
            mtls: false,
          },
        ],
      },
    ],
    authorization: [
      { namespace: 'shop', name: 'deny-admin', spec: { action: 'DENY' } },
      { namespace: 'weft-system', name: 'mesh', spec: {}, dryRun: true },
    ],
    routes: [
      {
        kind: 'HTTPRoute',
        namespace: 'shop',
        name: 'cart-canary',
        creationTimestamp: '2026-12-01T00:00:00Z',
        spec: {},
      },
    ],
    self: {
      workload: 'web',
      labels: { app: 'web', canonicalService: 'web', canonicalRevision: 'v1' },
    },
  },
});

describe('kubectl weft config, summarised', () => {
  it('shows the stream, identity, inbound mode, services, endpoints with port-level mTLS, policies and routes', () => {
    assert.equal(
      configSummary('shop/web-1', view, NOW),
      [
        'Pod:        shop/web-1',
        'Identity:   spiffe://cluster.local/ns/shop/sa/web (serial 0a1b, expires 2026-12-03T04:00:00.000Z, in 23h)',
        'Source:     discovery, connected to weft-ca.weft-system.svc:15010, synced',
        'Version:    v9 (applied 10s ago)',
        'Refused:    2m ago: service cart.shop: port 0',
        'Inbound:    PERMISSIVE; port 5432 DISABLE',
        'Workload:   web (web, v1)',
        '',
        'SERVICE     ADDRESSES      PORTS          ENDPOINTS',
        'cart.shop   198.51.100.7   80→8080/http   2',
        '',
        'ENDPOINT      SERVICE     IDENTITY                                   TRANSPORT                   WORKLOAD',
        '203.0.113.5   cart.shop   spiffe://cluster.local/ns/shop/sa/cart     mTLS; port 9090 plaintext   cart',
        '203.0.113.6   cart.shop   spiffe://cluster.local/ns/shop/sa/legacy   plaintext                   -',
        '',
        'POLICY             ACTION   DRY RUN',
        'shop/deny-admin    DENY     no',
        'weft-system/mesh   ALLOW    yes',
        '',
        'ROUTE              KIND',
        'shop/cart-canary   HTTPRoute',
        '',
      ].join('\n'),
    );
  });

  it("shows a scoped sidecar's Services it has not called as not subscribed, not as 0 endpoints", () => {
    const pay = { ...view.config.services[0]!, name: 'pay', endpoints: [] };
    const none = { ...view.config.services[0]!, name: 'empty', endpoints: [] };
    const scoped = SidecarView.parse({
      ...view,
      discovery: { ...view.discovery, scoped: true, subscribed: ['shop/cart', 'shop/empty'] },
      config: { ...view.config, services: [view.config.services[0]!, none, pay] },
    });
    const text = configSummary('shop/web-1', scoped, NOW);
    assert.match(text, /^Scoped: {5}endpoints of 2 services held$/m);
    assert.match(text, /^cart\.shop +198\.51\.100\.7 +80→8080\/http +2$/m);
    assert.match(text, /^empty\.shop +198\.51\.100\.7 +80→8080\/http +0$/m);
    assert.match(text, /^pay\.shop +198\.51\.100\.7 +80→8080\/http +not subscribed$/m);
  });
});
