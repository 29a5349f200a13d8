import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quantityValue, readOverrides } from './annotations.js';

describe('readOverrides', () => {
  it('reads every override', () => {
    const o = readOverrides({
      'weft.dev/include-inbound-ports': '*',
      'weft.dev/exclude-outbound-cidrs': '10.0.0.0/8, fd00::/8',
      'weft.dev/proxy-memory-request': '64Mi',
      'weft.dev/proxy-memory-limit': '1Gi',
      'weft.dev/native-sidecar': 'true',
      unrelated: 'x',
    });
    assert.equal(o.includeInboundPorts, '*');
    assert.deepEqual(o.excludeOutboundCidrs, ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(o.resources, { memoryRequest: '64Mi', memoryLimit: '1Gi' });
    assert.equal(o.nativeSidecar, true);
  });

  const refused: [Record<string, string>, RegExp][] = [
    [
      { 'weft.dev/exclude-outbound-cidrs': '10.0.0.0/33' },
      /exclude-outbound-cidrs="10.0.0.0\/33": "10.0.0.0\/33" is not a CIDR/,
    ],
    [{ 'weft.dev/include-outbound-ports': '70000' }, /"70000" is not a port/],
    [
      { 'weft.dev/proxy-cpu-request': 'lots' },
      /proxy-cpu-request="lots": not a Kubernetes quantity/,
    ],
    [
      { 'weft.dev/proxy-cpu-request': '2', 'weft.dev/proxy-cpu-limit': '500m' },
      /proxy-cpu-request="2" exceeds weft.dev\/proxy-cpu-limit="500m"/,
    ],
    [{ 'weft.dev/proxy-image': 'Not An Image' }, /not an image reference/],
    [{ 'weft.dev/log-level': 'trace' }, /must be one of debug, info, warn, error/],
    [{ 'weft.dev/native-sidecar': 'yes' }, /must be "true" or "false"/],
    [{ 'weft.dev/inject': 'true' }, /unknown weft annotation/],
  ];
  for (const [annotations, pattern] of refused) {
    it(`refuses ${JSON.stringify(annotations)}`, () => {
      assert.throws(() => readOverrides(annotations), pattern);
    });
  }
});

it('quantityValue compares Kubernetes quantities', () => {
  assert.equal(quantityValue('500m'), 0.5);
  assert.equal(quantityValue('1Gi'), 2 ** 30);
  assert.ok(quantityValue('1G') < quantityValue('1Gi'));
  assert.ok(Number.isNaN(quantityValue('1 Gi')));
});
