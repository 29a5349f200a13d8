import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { captureArgs, defaultCapture } from '../capture/capture-spec.js';
import type { CaptureSpec } from '../capture/capture-spec.js';
import { podFacts } from './pod-facts.js';
import { captureFacts } from './capture-facts.js';
import { audit } from './findings.js';
import type { Inventory } from './model.js';

/** A pod as the webhook stores it, with weft-init programmed from `capture`. */
const injected = (
  name: string,
  capture: Partial<CaptureSpec> = {},
  extra: Partial<V1Pod['spec']> = {},
): V1Pod => ({
  metadata: {
    name,
    namespace: 'shop',
    labels: { app: 'cart' },
    annotations: { 'weft.dev/status': '{"version":"0.1.0"}' },
  },
  spec: {
    serviceAccountName: 'cart',
    initContainers: [
      {
        name: 'weft-init',
        image: 'weft',
        args: [
          'init-iptables',
          ...captureArgs({ ...defaultCapture, excludeInboundPorts: [15020], ...capture }),
        ],
      },
    ],
    containers: [{ name: 'app', image: 'app' }],
    ...extra,
  },
});

function findings(...pods: V1Pod[]): [string, string, string, string][] {
  const inv: Inventory = {
    trustDomain: 'cluster.local',
    namespaces: [{ name: 'shop', injectionEnabled: true, bundle: 'R' }],
    pods: pods.map(podFacts),
    records: [],
    roots: 'R',
  };
  return audit(inv, { now: new Date(0), expiringWithinMs: 0 }).map((f) => [
    f.code,
    f.severity,
    f.object,
    f.message,
  ]);
}

describe('audit: capture of running pods', () => {
  it('finds nothing wrong with the default capture or narrow exclusions', () => {
    assert.deepEqual(
      findings(
        injected('ok'),
        injected('narrow', {
          excludeOutboundCidrs: ['169.254.169.254/32'],
          excludeInboundPorts: [15020, 9100],
        }),
      ),
      [],
    );
  });

  it('reports capture switched off, the review’s two annotations: high', () => {
    const f = findings(
      injected('no-in', { includeInboundPorts: [] }),
      injected('no-out', { excludeOutboundCidrs: ['0.0.0.0/0', '::/0'] }),
    );
    assert.deepEqual(
      f.map(([code, sev, obj]) => [code, sev, obj]),
      [
        ['capture-disabled', 'high', 'pod/no-in'],
        ['capture-disabled', 'high', 'pod/no-out'],
      ],
    );
    assert.match(f[0]![3], /no inbound port is captured/);
    assert.match(
      f[1]![3],
      /0\.0\.0\.0\/0 excluded from outbound capture: the whole address family; ::\/0/,
    );
  });

  it('reports capture mostly bypassed: high', () => {
    const f = findings(
      injected('only-443', { includeOutboundPorts: [443] }),
      injected('wide', { excludeOutboundCidrs: ['10.0.0.0/8'] }),
    );
    assert.deepEqual(
      f.map(([code, sev, obj]) => [code, sev, obj]),
      [
        ['capture-bypassed', 'high', 'pod/only-443'],
        ['capture-bypassed', 'high', 'pod/wide'],
      ],
    );
  });

  it('reports a container running as the proxy’s UID', () => {
    const pod = injected(
      'uid',
      {},
      { containers: [{ name: 'app', image: 'a', securityContext: { runAsUser: 1337 } }] },
    );
    assert.match(findings(pod)[0]![3], /container app runs as UID 1337/);
  });

  it('reports a pod carrying weft.dev/status without weft-init, or with arguments weft never writes', () => {
    const forged = injected('forged');
    forged.spec!.initContainers = [];
    assert.deepEqual(
      captureFacts(forged).unreadable,
      'has no weft-init container: nothing captures its traffic',
    );
    const odd = injected('odd');
    odd.spec!.initContainers![0]!.args = ['init-iptables', '--flush-everything'];
    assert.match(captureFacts(odd).unreadable ?? '', /weft-init's arguments are not weft's/);
    assert.deepEqual(
      findings(forged, odd).map(([c, , o]) => [c, o]),
      [
        ['capture-disabled', 'pod/forged'],
        ['capture-disabled', 'pod/odd'],
      ],
    );
  });

  it('reads no capture for a pod that is not injected', () => {
    const plain = injected('plain');
    delete plain.metadata!.annotations;
    assert.equal(podFacts(plain).capture, undefined);
  });
});
