import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterNetwork } from './network.js';

describe('clusterNetwork', () => {
  it('derives the node, pod, API Service and DNS addresses from the defaults', () => {
    assert.deepEqual(clusterNetwork(), {
      nodeCidr: '198.18.0.0/24',
      serviceCidr: '198.19.0.0/24',
      bridge: 'weft0',
      nodeIp: '198.18.0.1',
      prefixLength: 24,
      podRangeStart: '198.18.0.10',
      podRangeEnd: '198.18.0.254',
      apiServiceIp: '198.19.0.1',
      dnsIp: '198.18.0.1',
    });
  });

  it('takes other ranges as parameters', () => {
    const net = clusterNetwork({ nodeCidr: '198.18.4.0/23', serviceCidr: '198.18.8.0/28' });
    assert.equal(net.nodeIp, '198.18.4.1');
    assert.equal(net.podRangeEnd, '198.18.5.254');
    assert.equal(net.apiServiceIp, '198.18.8.1');
  });

  it('refuses private ranges, the machine subnet, overlaps and malformed ranges', () => {
    assert.throws(() => clusterNetwork({ nodeCidr: '10.1.0.0/24' }), /overlaps 10\.0\.0\.0\/8/);
    assert.throws(() => clusterNetwork({ serviceCidr: '192.0.2.0/24' }), /overlaps 192\.0\.2/);
    assert.throws(() => clusterNetwork({ serviceCidr: '198.18.0.0/25' }), /overlap/);
    assert.throws(() => clusterNetwork({ nodeCidr: '198.18.0.1/24' }), /network address/);
    assert.throws(() => clusterNetwork({ nodeCidr: '198.18.0.0/8' }), /prefix length/);
  });
});
