// The findings the fuzzing made, kept as fixed inputs once fixed: each must now
// pass its target's property, and the leak one must not add up over connections.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SidecarUnderTest } from './http/sidecar-harness.js';
import { exchange } from './http/wire.js';
import { http1Target } from './targets/http1.js';
import { http2Target } from './targets/http2.js';

// Pipelined requests, then bytes llhttp refuses: the connection ends while the
// second request's response is still queued behind the first.
const PIPELINED_THEN_REFUSED =
  'POST /upload HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' +
  'GET /admin HTTP/1.1\r\nHost: app\r\n\r\nGET / HTTP/1.1\r\n\r\n0\r\n\r\n';

describe('fixed fuzz findings', () => {
  it('h2-repeated-field-with-empty-value-dropped: the app reads x-a as a direct client sends it', async () => {
    await http2Target.open!();
    try {
      await http2Target.check([
        [':method', 'GET'],
        [':scheme', 'http'],
        [':path', '/x'],
        [':authority', 'app'],
        ['x-a', 'b'],
        ['x-a', ''],
        ['cookie', 'a=1'],
        ['cookie', ''],
      ]);
    } finally {
      await http2Target.close!();
    }
  });

  it('http1-upgrade-without-host: an HTTP/1.1 Upgrade with no Host is refused, not given one', async () => {
    await http1Target.open!();
    try {
      await http1Target.check(
        'GET / HTTP/1.1\r\n#ost: app\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n' +
          'GET / HTTP/1.1\r\n\r\n0\r\n\r\n',
      );
    } finally {
      await http1Target.close!();
    }
  });

  it('http1-pipelined-request-never-finishes: every request settles when the client leaves', async () => {
    await http1Target.open!();
    try {
      await http1Target.check(PIPELINED_THEN_REFUSED);
    } finally {
      await http1Target.close!();
    }
  });
});

describe('pipelined requests cut by a parse error, 1000 connections', () => {
  const sidecar = new SidecarUnderTest();
  before(() => sidecar.open());
  after(() => sidecar.close());

  it('leave no exchange inside the sidecar once the clients are gone', async () => {
    const bytes = Buffer.from(PIPELINED_THEN_REFUSED, 'latin1');
    const ids: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      ids.push(sidecar.next());
      const answers = await Promise.all(
        Array.from({ length: 50 }, () =>
          exchange(sidecar.port, bytes, { halfClose: false, timeoutMs: 5000 }),
        ),
      );
      // The sidecar refuses the stray bytes and closes each connection itself.
      assert.ok(answers.every((a) => a.closedByPeer && a.received.includes('400 Bad Request')));
    }
    const left = await Promise.all(ids.map((id) => sidecar.settle(id, 3000)));
    assert.equal(
      left.reduce((a, b) => a + b, 0),
      0,
      'exchanges still in flight',
    );
    assert.equal(sidecar.inflight.size, 0);
  });
});
