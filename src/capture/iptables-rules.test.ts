import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultCapture } from './capture-spec.js';
import { natRestoreInput } from './iptables-rules.js';

describe('iptables rules: the proxy’s own ports', () => {
  it('always lets the health port through inbound, once, whatever the exclusions', () => {
    for (const excludeInboundPorts of [[], [15020], [9000, 15020]]) {
      const rules = natRestoreInput({ ...defaultCapture, excludeInboundPorts }).split('\n');
      const health = rules.filter((r) => r === '-A WEFT_INBOUND -p tcp --dport 15020 -j RETURN');
      assert.equal(health.length, 1, JSON.stringify(excludeInboundPorts));
      assert.ok(
        rules.indexOf(health[0]!) < rules.indexOf('-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT'),
      );
    }
  });

  it('keeps admin and the capture ports captured, so the inbound listener refuses them', () => {
    const rules = natRestoreInput(defaultCapture);
    assert.doesNotMatch(rules, /--dport (15000|15001|15006) -j RETURN/);
    assert.match(rules, /-A WEFT_INBOUND -p tcp -j WEFT_IN_REDIRECT/);
  });
});

describe('iptables rules: a pod calling a Service that includes itself', () => {
  const output = (input: string): string[] =>
    input.split('\n').filter((r) => r.startsWith('-A WEFT_OUTPUT '));

  it('sends the proxy’s dials to its pod’s IP inbound, except from 127.0.0.6, before any RETURN', () => {
    // In iptables-save's own spelling, so the rules read as the pod's table shows them.
    assert.deepEqual(output(natRestoreInput(defaultCapture)), [
      '-A WEFT_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
      '-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --uid-owner 1337 -j WEFT_IN_REDIRECT',
      '-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --gid-owner 1337 -j WEFT_IN_REDIRECT',
      '-A WEFT_OUTPUT -o lo -j RETURN',
      '-A WEFT_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A WEFT_OUTPUT -m owner --gid-owner 1337 -j RETURN',
      '-A WEFT_OUTPUT -p tcp -j WEFT_REDIRECT',
    ]);
  });

  it('comes before the exclusions too, and names the configured proxy UID and GID', () => {
    const rules = output(
      natRestoreInput({
        ...defaultCapture,
        proxyUid: 2000,
        proxyGid: 3000,
        excludeOutboundPorts: [5432],
        excludeOutboundCidrs: ['198.51.100.0/24'],
        includeOutboundPorts: [80],
      }),
    );
    assert.deepEqual(rules.slice(0, 4), [
      '-A WEFT_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
      '-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --uid-owner 2000 -j WEFT_IN_REDIRECT',
      '-A WEFT_OUTPUT ! -d 127.0.0.1/32 -o lo -m owner --gid-owner 3000 -j WEFT_IN_REDIRECT',
      '-A WEFT_OUTPUT -o lo -j RETURN',
    ]);
    assert.equal(rules.filter((r) => r.includes('WEFT_IN_REDIRECT')).length, 2);
  });
});
