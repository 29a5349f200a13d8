import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SidecarView } from '../../src/debug/sidecar-view.js';
import { SynczReport } from '../../src/debug/syncz.js';
import { debugGet, parseAnswer } from './debug-get.js';
import { PluginError, PluginExit } from './errors.js';
import { direct } from './tunnel.js';

const good = {
  apiVersion: 'weft.dev/v1alpha1',
  kind: 'SyncStatus',
  controlPlane: 'weft-control-plane-a',
  streams: [
    {
      pod: 'shop/web-1',
      uid: 'u1',
      address: '127.0.10.1',
      identity: 'spiffe://cluster.local/ns/shop/sa/web',
      connectedAt: '2026-12-02T05:00:00.000Z',
      pending: false,
    },
  ],
};

const refusal = (text: string, re: RegExp): void =>
  assert.throws(
    () => parseAnswer(SynczReport, text, 'control-plane pod a'),
    (err: unknown) =>
      err instanceof PluginError && err.exitCode === PluginExit.Unreachable && re.test(err.message),
  );

describe('debug answers are held to their schema', () => {
  it('takes a valid /debug/syncz', () => {
    assert.equal(parseAnswer(SynczReport, JSON.stringify(good), 'x').streams[0]!.pod, 'shop/web-1');
  });

  it('refuses what is not JSON', () =>
    refusal('<html>', /control-plane pod a answered something that is not JSON/));

  it('refuses a stream without its pod, naming the path', () => {
    const bad = { ...good, streams: [{ ...good.streams[0], pod: undefined }] };
    refusal(JSON.stringify(bad), /unexpected document \(streams\.0\.pod: /);
  });

  it('refuses a pod that is not namespace/name, a bad time, an unknown field', () => {
    const s = good.streams[0]!;
    refusal(JSON.stringify({ ...good, streams: [{ ...s, pod: 'web-1' }] }), /namespace\/name/);
    refusal(
      JSON.stringify({ ...good, streams: [{ ...s, connectedAt: 'yesterday' }] }),
      /connectedAt/,
    );
    refusal(JSON.stringify({ ...good, extra: 1 }), /unexpected document/);
    refusal(JSON.stringify({ ...good, kind: 'SidecarView' }), /kind/);
  });

  it('refuses a sidecar view that carries a private key', () => {
    const view = {
      apiVersion: 'weft.dev/v1alpha1',
      kind: 'SidecarView',
      source: 'file',
      identity: {
        spiffeId: 'spiffe://cluster.local/ns/shop/sa/web',
        serial: '01',
        notBefore: '2026-12-02T05:00:00.000Z',
        notAfter: '2026-12-03T05:00:00.000Z',
        keyPem: '-----BEGIN PRIVATE KEY-----',
      },
      config: {},
    };
    assert.throws(() => parseAnswer(SidecarView, JSON.stringify(view), 'sidecar'), /identity/);
  });
});

describe('debugGet', () => {
  let server: http.Server;
  let port = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/good') return res.end(JSON.stringify(good));
      if (req.url === '/bad') return res.end(JSON.stringify({ ...good, controlPlane: '' }));
      res.writeHead(503).end('not ready\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const get = (path: string): Promise<unknown> =>
    debugGet(direct({ host: '127.0.0.1', port }), path, SynczReport, 'replica a');

  it('reads and checks an answer', async () => {
    assert.deepEqual(await get('/good'), good);
  });

  it('says in one line why an answer is unusable, with exit 3', async () => {
    for (const [path, re] of [
      ['/bad', /^replica a answered an unexpected document \(controlPlane: /],
      ['/other', /^replica a answered 503 to GET \/other: not ready$/],
    ] as const) {
      await assert.rejects(
        get(path),
        (err: unknown) =>
          err instanceof PluginError &&
          err.exitCode === PluginExit.Unreachable &&
          re.test(err.message),
      );
    }
  });

  it('says it cannot reach a replica that does not listen', async () => {
    await assert.rejects(
      debugGet(direct({ host: '127.0.0.1', port: 1 }), '/x', SynczReport, 'replica b'),
      /^Error: cannot reach replica b: connect ECONNREFUSED/,
    );
  });
});
