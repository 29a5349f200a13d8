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
