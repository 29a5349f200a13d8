import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeerAuthentication } from './peer-authentication.js';
import { modeOnPort, parsePeerAuthentication, resolveInboundModes } from './peer-authentication.js';

function pa(
  namespace: string,
  name: string,
  spec: unknown,
  created = '2026-01-01T00:00:00Z',
): PeerAuthentication {
  const r = parsePeerAuthentication({
    metadata: { namespace, name, creationTimestamp: created },
    spec,
  });
  assert.ok('policy' in r, JSON.stringify(r));
  return r.policy;
}

const pod = { namespace: 'shop', labels: { app: 'cart' } };
// As discovery passes them: an iterator over its cache, not an array.
const resolve = (policies: PeerAuthentication[]) =>
  resolveInboundModes(policies.values(), pod, 'weft-system');

describe('PeerAuthentication', () => {
  it('defaults to PERMISSIVE with no policy (as Istio)', () => {
    assert.deepEqual(resolve([]).mode, { mode: 'PERMISSIVE', by: 'default' });
  });

  it('takes the most specific level that sets a mode; UNSET inherits', () => {
    const mesh = pa('weft-system', 'mesh', { mtls: { mode: 'STRICT' } });
    const ns = pa('shop', 'ns', { mtls: { mode: 'PERMISSIVE' } });
    const unsetNs = pa('shop', 'ns', { mtls: { mode: 'UNSET' } });
    const workload = pa('shop', 'cart', {
      selector: { matchLabels: { app: 'cart' } },
      mtls: { mode: 'DISABLE' },
    });
    const other = pa('shop', 'other', {
      selector: { matchLabels: { app: 'db' } },
      mtls: { mode: 'DISABLE' },
    });
    const elsewhere = pa('other', 'ns', { mtls: { mode: 'DISABLE' } });
    const cases: [PeerAuthentication[], string, string][] = [
      [[mesh], 'STRICT', 'weft-system/mesh'],
      [[mesh, ns], 'PERMISSIVE', 'shop/ns'],
      [[mesh, unsetNs], 'STRICT', 'weft-system/mesh'],
      [[mesh, ns, workload], 'DISABLE', 'shop/cart'],
      [[mesh, other, elsewhere], 'STRICT', 'weft-system/mesh'],
      // A selector policy in the root namespace is not mesh-wide.
      [
        [
          pa('weft-system', 'sel', {
            selector: { matchLabels: { app: 'cart' } },
            mtls: { mode: 'STRICT' },
          }),
        ],
        'PERMISSIVE',
        'default',
      ],
    ];
    for (const [policies, mode, by] of cases) {
      assert.deepEqual(
        resolve(policies).mode,
        { mode, by },
        JSON.stringify(policies.map((p) => p.name)),
      );
    }
  });

  it('applies portLevelMtls of the workload policy only; the oldest policy wins a tie', () => {
    const workload = pa('shop', 'cart', {
      selector: { matchLabels: { app: 'cart' } },
      mtls: { mode: 'STRICT' },
      portLevelMtls: { '8080': { mode: 'DISABLE' }, '9090': { mode: 'UNSET' } },
    });
    const newer = pa(
      'shop',
      'newer',
      { selector: { matchLabels: {} }, mtls: { mode: 'DISABLE' } },
      '2026-02-01T00:00:00Z',
    );
    const nsPorts = pa('shop', 'ns', { portLevelMtls: { '5432': { mode: 'DISABLE' } } });
    const modes = resolve([newer, workload, nsPorts]);
    assert.equal(modes.mode.mode, 'STRICT');
    assert.equal(modeOnPort(modes, 8080), 'DISABLE');
    assert.equal(modes.ports.get(8080)?.by, 'shop/cart:8080');
    assert.equal(modeOnPort(modes, 9090), 'STRICT');
    assert.equal(modeOnPort(modes, 5432), 'STRICT');
  });

  it('refuses a bad spec naming the field', () => {
    const bad = parsePeerAuthentication({
      metadata: { namespace: 'a', name: 'b' },
      spec: { mtls: { mode: 'OFF' } },
    });
    assert.ok('error' in bad);
    assert.match(bad.error, /^a\/b: spec\.mtls\.mode/);
    const port = parsePeerAuthentication({
      metadata: { namespace: 'a', name: 'b' },
      spec: { portLevelMtls: { http: { mode: 'STRICT' } } },
    });
    assert.ok('error' in port && /portLevelMtls/.test(port.error));
  });
});
