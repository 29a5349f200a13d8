import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allows, proxyIdBypass, specWeakenings, weakenings } from './capture-policy.js';
import type { CaptureOverridesSpec } from './capture-policy.js';
import { defaultCapture } from './capture-spec.js';

const worst = (s: CaptureOverridesSpec): string | undefined => weakenings(s)[0]?.extent;

describe('capture policy', () => {
  it('grades what an override does to capture', () => {
    assert.equal(worst({}), undefined);
    assert.equal(worst({ includeInboundPorts: '*' }), undefined);
    assert.equal(worst({ includeInboundPorts: [] }), 'disabled');
    assert.equal(worst({ includeInboundPorts: [8080] }), 'broad');
    assert.equal(worst({ includeOutboundPorts: [443] }), 'broad');
    assert.equal(worst({ excludeInboundPorts: [9100] }), 'narrow');
    assert.equal(worst({ excludeOutboundPorts: [1, 2, 3, 4, 5, 6, 7, 8] }), 'narrow');
    assert.equal(worst({ excludeOutboundPorts: [1, 2, 3, 4, 5, 6, 7, 8, 9] }), 'broad');
    assert.equal(worst({ excludeOutboundCidrs: ['169.254.169.254/32', 'fd00::1/128'] }), 'narrow');
    assert.equal(worst({ excludeOutboundCidrs: ['10.1.2.0/24'] }), 'narrow');
    assert.equal(worst({ excludeOutboundCidrs: ['10.1.0.0/23'] }), 'broad');
    assert.equal(worst({ excludeOutboundCidrs: ['fd00::/119'] }), 'broad');
    assert.equal(worst({ excludeOutboundCidrs: ['0.0.0.0/0'] }), 'disabled');
    assert.equal(worst({ excludeOutboundCidrs: ['::/0'] }), 'disabled');
    const nine = Array.from({ length: 9 }, (_, i) => `192.0.2.${i}/32`);
    assert.equal(worst({ excludeOutboundCidrs: nine }), 'broad');
  });

  it('lists the worst first', () => {
    const w = weakenings({ excludeInboundPorts: [9100], excludeOutboundCidrs: ['0.0.0.0/0'] });
    assert.deepEqual(
      w.map((x) => [x.field, x.extent]),
      [
        ['excludeOutboundCidrs', 'disabled'],
        ['excludeInboundPorts', 'narrow'],
      ],
    );
  });

  it('lets each policy allow up to its extent', () => {
    const narrow = { field: 'excludeInboundPorts', extent: 'narrow', detail: '' } as const;
    const off = { field: 'includeInboundPorts', extent: 'disabled', detail: '' } as const;
    assert.deepEqual(
      (['none', 'narrow', 'any'] as const).map((p) => [allows(p, narrow), allows(p, off)]),
      [
        [false, false],
        [true, false],
        [true, true],
      ],
    );
  });

  it('leaves out what weft always excludes (the health port) from a programmed spec', () => {
    assert.deepEqual(specWeakenings({ ...defaultCapture, excludeInboundPorts: [15020] }), []);
  });

  it('finds containers running as the proxy’s UID or GID, from the pod or the container', () => {
    const pod = {
      securityContext: { runAsUser: 1000 },
      initContainers: [{ name: 'weft-init', securityContext: { runAsUser: 0 } }],
      containers: [
        { name: 'app' },
        { name: 'weft-proxy', securityContext: { runAsUser: 1337 } },
        { name: 'uid', securityContext: { runAsUser: 1337 } },
        { name: 'gid', securityContext: { runAsGroup: 1337 } },
      ],
    };
    const found = proxyIdBypass(pod, ['weft-init', 'weft-proxy'], 1337, 1337);
    assert.deepEqual(
      found.map((w) => w.detail.split(' ')[1]),
      ['uid', 'gid'],
    );
    const podWide = { securityContext: { runAsUser: 1337 }, containers: [{ name: 'app' }] };
    assert.equal(proxyIdBypass(podWide, [], 1337, 1337)[0]?.extent, 'disabled');
  });
});
