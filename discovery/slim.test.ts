import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { buildServiceResources } from '../src/mesh/build-view.js';
import { checkPeer } from './peer-check.js';
import { realisticPod } from '../test/support/realistic-pod.js';
import { slimMetadata, slimPod } from './slim.js';

const decoded = (): V1Pod => JSON.parse(JSON.stringify(realisticPod(1))) as V1Pod;

describe('slim objects', () => {
  it('drops managedFields, containers and conditions, in place', () => {
    const pod = decoded();
    const bytes = JSON.stringify(pod).length;
    const same = slimPod(pod);
    assert.equal(same, pod, 'in place: the informer holds this very object');
    assert.equal(pod.metadata?.managedFields, undefined);
    assert.deepEqual(pod.spec?.containers, []);
    assert.equal(pod.spec?.initContainers, undefined);
    assert.equal(pod.status?.conditions, undefined);
    const after = JSON.stringify(pod).length;
    assert.ok(after * 4 < bytes, `${after} bytes of ${bytes}`);
  });

  it('keeps everything the view and the peer check read', () => {
    const full = decoded();
    const slim = slimPod(decoded());
    for (const pod of [full, slim]) assert.equal(pod.metadata?.name, full.metadata?.name);
    assert.deepEqual(slim.metadata?.labels, full.metadata?.labels);
    assert.deepEqual(slim.metadata?.annotations, full.metadata?.annotations);
    assert.deepEqual(slim.metadata?.ownerReferences, full.metadata?.ownerReferences);
    assert.equal(slim.metadata?.uid, full.metadata?.uid);
    assert.equal(slim.metadata?.resourceVersion, full.metadata?.resourceVersion);
    assert.equal(slim.spec?.serviceAccountName, 'cart');
    const ip = full.status!.podIP!;
    const lookup = (pod: V1Pod) => ({
      pods: new Map([['shop/p', pod]]),
      podsByIp: new Map([[ip, new Set(['shop/p'])]]),
      trustDomain: 'cluster.local',
    });
    const id = 'spiffe://cluster.local/ns/shop/sa/cart';
    assert.deepEqual(checkPeer(lookup(slim), ip, id), checkPeer(lookup(full), ip, id));
    // The same view from either.
    const objects = (pod: V1Pod) => ({
      services: new Map([
        [
          'shop/cart',
          {
            metadata: { name: 'cart', namespace: 'shop' },
            spec: { clusterIP: '198.51.100.1', ports: [{ port: 80 }] },
          },
        ],
      ]),
      slices: new Map([
        [
          'shop/cart-1',
          {
            metadata: {
              name: 'cart-1',
              namespace: 'shop',
              labels: { 'kubernetes.io/service-name': 'cart' },
            },
            addressType: 'IPv4',
            endpoints: [
              { addresses: [ip], targetRef: { kind: 'Pod', namespace: 'shop', name: 'p' } },
            ],
          },
        ],
      ]),
      pods: new Map([['shop/p', pod]]),
      peerAuthentications: new Map(),
      trustDomain: 'cluster.local',
      rootNamespace: 'weft-system',
    });
    assert.deepEqual(
      [...buildServiceResources(objects(slim)).values()],
      [...buildServiceResources(objects(full)).values()],
    );
  });

  it("drops kubectl's last-applied copy from any object", () => {
    const svc = slimMetadata({
      metadata: {
        name: 's',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"big":true}',
          keep: 'me',
        },
        managedFields: [{ manager: 'kubectl' }],
      },
    });
    assert.deepEqual(svc.metadata, { name: 's', annotations: { keep: 'me' } });
  });
});
