import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namespacePolicy, proxyImage } from './override-policy.js';

const o = (proxyImage?: string) => ({ resources: {}, ...(proxyImage ? { proxyImage } : {}) });

describe('override policy', () => {
  it('takes the proxy image from the installation unless it allows the annotation’s', () => {
    assert.equal(proxyImage(o(), 'weft:1', []), 'weft:1');
    assert.throws(
      () => proxyImage(o('evil.example/root:1'), 'weft:1', []),
      /annotation weft\.dev\/proxy-image="evil\.example\/root:1": not an image the installation allows \(--allow-proxy-image: none\)/,
    );
    const allowed = ['registry.example.com/mesh/weft:*', 'other.example/weft:2'];
    assert.equal(
      proxyImage(o('registry.example.com/mesh/weft:debug'), 'w', allowed),
      'registry.example.com/mesh/weft:debug',
    );
    assert.equal(proxyImage(o('other.example/weft:2'), 'w', allowed), 'other.example/weft:2');
    assert.throws(() => proxyImage(o('other.example/weft:3'), 'w', allowed), /not an image/);
    assert.throws(
      () => proxyImage(o('registry.example.com/mesh/weftx'), 'w', allowed),
      /not an image/,
    );
  });

  it('reads the namespace’s policy, else the installation’s; a bad value refuses (403)', () => {
    assert.deepEqual(namespacePolicy({ name: 'a' }, 'narrow'), {
      level: 'narrow',
      source: "the installation's --capture-overrides",
    });
    assert.equal(
      namespacePolicy({ name: 'a', annotations: { 'weft.dev/capture-overrides': 'any' } }, 'none')
        .level,
      'any',
    );
    assert.throws(
      () =>
        namespacePolicy({ name: 'a', annotations: { 'weft.dev/capture-overrides': 'all' } }, 'any'),
      (e: { status: number; message: string }) =>
        e.status === 403 &&
        /namespace a annotation weft\.dev\/capture-overrides="all"/.test(e.message),
    );
  });
});
