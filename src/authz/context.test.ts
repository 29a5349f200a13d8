import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepare } from './context.js';
import type { AuthzRequest } from './types.js';

const request = (
  principal: string | undefined,
  path = '/',
  ip = '198.51.100.20',
): AuthzRequest => ({
  source: { ...(principal ? { principal } : {}), ip },
  destination: { ip: '198.51.100.10', port: 8080 },
  http: { method: 'GET', path, host: 'echo', headers: {} },
});

describe('request context', () => {
  it('splits each peer identity afresh when peers alternate', () => {
    const a = 'spiffe://cluster.local/ns/a/sa/one';
    const b = 'spiffe://cluster.local/ns/b/sa/two';
    for (const [id, ns, sa] of [
      [a, 'a', 'a/one'],
      [b, 'b', 'b/two'],
      [a, 'a', 'a/one'],
      [a, 'a', 'a/one'],
    ] as const) {
      const ctx = prepare(request(id));
      assert.equal(ctx.principal, id.slice('spiffe://'.length));
      assert.equal(ctx.namespace, ns);
      assert.equal(ctx.serviceAccount, sa);
    }
  });

  it('gives no identity to a plaintext peer or one not shaped as weft issues them', () => {
    for (const id of [undefined, 'spiffe://cluster.local/ns/a', 'https://x/ns/a/sa/b']) {
      const ctx = prepare(request(id));
      assert.deepEqual(
        [ctx.principal, ctx.namespace, ctx.serviceAccount],
        [undefined, undefined, undefined],
      );
    }
    // And the next verified peer is read again, not the last one kept.
    assert.equal(prepare(request('spiffe://td/ns/n/sa/s')).serviceAccount, 'n/s');
  });

  it('matches paths without their query or fragment, whichever comes first', () => {
    const paths: [string, string][] = [
      ['/a', '/a'],
      ['/a?x=1', '/a'],
      ['/a#top', '/a'],
      ['/a?x#y', '/a'],
      ['/a#y?x', '/a'],
      ['/?', '/'],
    ];
    for (const [path, want] of paths) assert.equal(prepare(request(undefined, path)).path, want);
  });

  it('parses addresses on first use, and an unparsable one as absent', () => {
    const ctx = prepare(request(undefined, '/', '198.51.100.20'));
    assert.deepEqual([...ctx.ip('source')!], [198, 51, 100, 20]);
    assert.equal(ctx.ip('source'), ctx.ip('source'));
    assert.equal(prepare(request(undefined, '/', 'not-an-ip')).ip('source'), undefined);
    assert.deepEqual([...ctx.ip('destination')!], [198, 51, 100, 10]);
  });
});
