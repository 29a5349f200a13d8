import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WeftError } from '../errors.js';
import { parseMeshConfig } from './load.js';
import { compileMesh, splitHost } from './mesh-index.js';
import { detectProtocol, protocolOf } from './protocol.js';

const ID = 'spiffe://cluster.local/ns/shop/sa/cart';
const config = parseMeshConfig(
  JSON.stringify({
    inbound: { mode: 'PERMISSIVE', ports: [{ port: 5432, mode: 'STRICT', protocol: 'tcp' }] },
    services: [
      {
        name: 'cart',
        namespace: 'shop',
        addresses: ['10.96.0.10'],
        ports: [
          { port: 80, targetPort: 8080, name: 'http-web' },
          { port: 9000, appProtocol: 'grpc' },
        ],
        endpoints: [{ address: '10.0.0.5', identity: ID, workload: 'cart' }],
      },
      { name: 'db', namespace: 'data', ports: [{ port: 5432, name: 'tcp-pg' }] },
    ],
  }),
  'mesh.json',
);

describe('mesh config', () => {
  it('fills defaults', () => {
    assert.equal(config.clusterDomain, 'cluster.local');
    assert.deepEqual(config.services[0]!.loadBalancer, { policy: 'ROUND_ROBIN' });
    assert.equal(config.services[0]!.endpoints[0]!.mtls, true);
    assert.deepEqual(parseMeshConfig('', 'empty').inbound, { mode: 'STRICT', ports: [] });
  });

  it('refuses bad files naming the field', () => {
    const bad: [string, RegExp][] = [
      [
        '{"services":[{"name":"a","namespace":"b","ports":[{"port":0}]}]}',
        /services\.0\.ports\.0\.port/,
      ],
      [
        `{"services":[{"name":"a","namespace":"b","ports":[{"port":1}],"endpoints":[{"address":"1.2.3.4","identity":"spiffe://x/y"}]}]}`,
        /services\.0\.endpoints\.0\.identity: must be a workload SPIFFE ID/,
      ],
      ['{"inbound":{"mode":"OFF"}}', /inbound\.mode/],
      ['{"servces":[]}', /servces/],
      [
        '{"services":[{"name":"a","namespace":"b","ports":[{"port":1}],"loadBalancer":{"policy":"RING_HASH"}}]}',
        /hashOn/,
      ],
      ['{ not yaml', /mesh\.json: not YAML or JSON/],
    ];
    for (const [text, message] of bad) {
      assert.throws(
        () => parseMeshConfig(text, 'mesh.json'),
        (e: unknown) => {
          assert.ok(e instanceof WeftError);
          assert.match(e.message, message);
          return true;
        },
      );
    }
  });
});

describe('protocol choice', () => {
  it('takes appProtocol, then the port-name prefix, else detects', () => {
    assert.equal(protocolOf({ appProtocol: 'kubernetes.io/h2c', name: 'tcp-x' }), 'http2');
    assert.equal(protocolOf({ name: 'grpc-api' }), 'grpc');
    assert.equal(protocolOf({ name: 'http' }), 'http');
    assert.equal(protocolOf({ name: 'tcp-db' }), 'tcp');
    assert.equal(protocolOf({ name: 'web' }), 'detect');
    assert.equal(protocolOf({}), 'detect');
  });

  it('sniffs HTTP/1, the HTTP/2 preface and everything else as TCP', () => {
    assert.equal(detectProtocol(Buffer.from('GET / HTTP/1.1\r\n'), false), 'http');
    assert.equal(detectProtocol(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), false), 'http2');
    assert.equal(detectProtocol(Buffer.from('PRI *'), false), undefined);
    assert.equal(detectProtocol(Buffer.from([0x16, 3, 1]), false), 'tcp');
    assert.equal(detectProtocol(Buffer.from('\x00\x00\x00\x08'), true), 'tcp');
  });
});

describe('mesh index', () => {
  const mesh = compileMesh(config, 'shop');

  it('finds a service by every name the cluster DNS gives it', () => {
    for (const host of [
      'cart',
      'cart:80',
      'cart.shop',
      'cart.shop.svc',
      'Cart.Shop.svc.cluster.local:80',
    ]) {
      assert.equal(mesh.byHost(host, 80)?.service.name, 'cart', host);
    }
    assert.equal(mesh.byHost('cart:9000', 80)?.protocol, 'grpc');
    // A short name is this namespace's only.
    assert.equal(mesh.byHost('db', 5432), undefined);
    assert.equal(mesh.byHost('db.data', 5432)?.protocol, 'tcp');
    assert.equal(mesh.byHost('unknown', 80), undefined);
  });

  it('finds a service by ClusterIP and a pod by its address and target port', () => {
    assert.equal(mesh.byDestination('10.96.0.10', 80)?.port.targetPort, 8080);
    assert.equal(mesh.byDestination('10.96.0.10', 81), undefined);
    assert.equal(mesh.byDestination('10.0.0.5', 8080)?.endpoint?.identity, ID);
    assert.equal(mesh.serviceAt('10.0.0.5', 8080)?.name, 'cart');
    assert.equal(mesh.endpointAt('10.0.0.5')?.endpoint.workload, 'cart');
    assert.deepEqual([...mesh.identities(config.services[0]!)], [ID]);
  });

  it('gives each inbound port its mode', () => {
    assert.deepEqual(mesh.inbound(5432), { mode: 'STRICT', protocol: 'tcp' });
    assert.deepEqual(mesh.inbound(8080), { mode: 'PERMISSIVE', protocol: 'detect' });
  });

  it('splits hosts and ports', () => {
    assert.deepEqual(splitHost('[::1]:8080'), { name: '[::1]', port: 8080 });
    assert.deepEqual(splitHost('a.b'), { name: 'a.b' });
  });
});
