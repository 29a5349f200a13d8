import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { describe, it } from 'node:test';
import { CAPTURE_FLAGS, captureArgs, defaultCapture, parseCaptureArgs } from './capture-spec.js';
import type { CaptureSpec } from './capture-spec.js';
import { natRestoreInput } from './iptables-rules.js';

const spec: CaptureSpec = {
  ...defaultCapture,
  includeInboundPorts: [8080, 8443],
  excludeInboundPorts: [15020],
  includeOutboundPorts: [443],
  excludeOutboundPorts: [25],
  excludeOutboundCidrs: ['169.254.169.254/32', 'fd00::/8'],
};

describe('capture spec', () => {
  it('round-trips through the webhook’s arguments and init-iptables’ parser', () => {
    const { values } = parseArgs({
      args: captureArgs(spec),
      options: Object.fromEntries(CAPTURE_FLAGS.map((f) => [f, { type: 'string' as const }])),
    });
    assert.deepEqual(parseCaptureArgs(values as Record<string, string>), spec);
  });

  it('turns the spec into nat rules, excludes before captures', () => {
    const rules = natRestoreInput(spec).split('\n');
    const at = (r: string): number => rules.indexOf(r);
    assert.ok(
      at('-A WEFT_INBOUND -p tcp --dport 15020 -j RETURN') <
        at('-A WEFT_INBOUND -p tcp --dport 8080 -j WEFT_IN_REDIRECT'),
    );
    assert.ok(
      at('-A WEFT_OUTPUT -d 169.254.169.254/32 -j RETURN') <
        at('-A WEFT_OUTPUT -p tcp --dport 443 -j WEFT_REDIRECT'),
    );
    assert.ok(rules.includes('-A WEFT_OUTPUT -m owner --uid-owner 1337 -j RETURN'));
    assert.equal(rules.at(-2), 'COMMIT');
  });

  it('refuses a bad port or CIDR, naming the flag', () => {
    assert.throws(
      () => parseCaptureArgs({ 'exclude-inbound-ports': '80,x' }),
      /--exclude-inbound-ports: "x" is not a port/,
    );
    assert.throws(
      () => parseCaptureArgs({ 'exclude-outbound-cidrs': '10.0.0.0/40' }),
      /is not a CIDR/,
    );
  });
});
