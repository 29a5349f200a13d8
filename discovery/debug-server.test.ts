import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../src/config/parse.js';
import { SynczReport } from '../src/debug/syncz.js';
import { createLogger } from '../src/log.js';
import { DiscoveryConfigSchema } from './config.js';
import { replicaName, startDebugServer } from './debug-server.js';
import type { ConnectionStatus } from './stream-server.js';

const stream: ConnectionStatus = {
  pod: 'shop/web-1',
  uid: 'u1',
  address: '127.0.10.1',
  identity: 'spiffe://cluster.local/ns/shop/sa/web',
  connectedAt: '2026-12-02T05:00:00.000Z',
  sent: { version: 'v2', nonce: 'n-2', at: '2026-12-02T05:00:01.000Z' },
  pending: false,
  acked: { version: 'v2', at: '2026-12-02T05:00:01.500Z' },
};

describe('discovery debug endpoint', () => {
  it('serves /debug/syncz in its schema, read-only, and nothing else', async () => {
    const logs: string[] = [];
    const debug = await startDebugServer(
      { host: '127.0.0.1', port: 0 },
      () => [stream],
      createLogger({}, 'info', (l) => logs.push(l)),
    );
    try {
      const base = `http://127.0.0.1:${debug.port}`;
      const res = await fetch(`${base}/debug/syncz`);
      assert.equal(res.status, 200);
      const report = SynczReport.parse(await res.json());
      assert.deepEqual(report.streams, [stream]);
      assert.equal(report.controlPlane, replicaName());
      assert.equal((await fetch(`${base}/debug/syncz`, { method: 'POST' })).status, 405);
      assert.equal((await fetch(`${base}/debug/other`)).status, 404);
    } finally {
      await debug.close();
    }
  });

  it('names the replica from POD_NAME, else the hostname', () => {
    assert.equal(
      replicaName({ POD_NAME: 'weft-control-plane-7d9-abcde' }),
      'weft-control-plane-7d9-abcde',
    );
    assert.ok(replicaName({}).length > 0);
  });

  it('refuses a debug address other than loopback: no pod of the mesh may reach it', () => {
    assert.throws(
      () => parseConfig(DiscoveryConfigSchema, { debugListen: '0.0.0.0:15014' }),
      /--debug-listen: must be a loopback address/,
    );
    assert.throws(
      () => parseConfig(DiscoveryConfigSchema, { debugListen: '10.1.2.3:15014' }),
      /loopback/,
    );
    for (const ok of ['127.0.0.1:15014', '[::1]:15014', 'localhost:0']) {
      assert.ok(parseConfig(DiscoveryConfigSchema, { debugListen: ok }).debugListen);
    }
  });
});
