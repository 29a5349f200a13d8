import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SyncStream, SynczReport } from '../../src/debug/syncz.js';
import {
  proxyCells,
  proxyRows,
  proxyStatusDocument,
  proxyStatusTable,
} from './proxy-status-model.js';

const NOW = new Date('2026-12-02T05:00:00.000Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();

const stream = (pod: string, extra: Partial<SyncStream> = {}): SyncStream => ({
  pod,
  uid: `uid-${pod}`,
  address: '127.0.10.1',
  identity: `spiffe://cluster.local/ns/${pod.split('/')[0]}/sa/web`,
  connectedAt: ago(3 * 3600),
  sent: { version: 'v2abcdef1234567', nonce: 'n-2', at: ago(5) },
  pending: false,
  acked: { version: 'v2abcdef1234567', at: ago(4) },
  ...extra,
});
const report = (controlPlane: string, streams: SyncStream[]): SynczReport => ({
  apiVersion: 'weft.dev/v1alpha1',
  kind: 'SyncStatus',
  controlPlane,
  streams,
});

describe('proxy-status rows', () => {
  const reports = [
    report('weft-control-plane-a', [
      stream('shop/web-1'),
      stream('shop/cart-1', {
        nacked: { version: 'v1', error: 'service cart.shop: bad port\n 99999', at: ago(2) },
      }),
    ]),
    report('weft-control-plane-b', [
      stream('shop/web-2', { pending: true, acked: undefined }),
      stream('other/api-1'),
    ]),
  ];
  const meshed = ['shop/web-1', 'shop/cart-1', 'shop/web-2', 'shop/db-0', 'other/api-1'];

  it('takes every replica, marks the state of each stream, and lists meshed pods with none', () => {
    const rows = proxyRows(reports, meshed, undefined);
    assert.deepEqual(
      rows.map((r) => [r.pod, r.controlPlane ?? '-', r.state]),
      [
        ['other/api-1', 'weft-control-plane-b', 'SYNCED'],
        ['shop/cart-1', 'weft-control-plane-a', 'NACKED'],
        ['shop/db-0', '-', 'NOT CONNECTED'],
        ['shop/web-1', 'weft-control-plane-a', 'SYNCED'],
        ['shop/web-2', 'weft-control-plane-b', 'STALE'],
      ],
    );
  });

  it('keeps to the namespace asked about', () => {
    const rows = proxyRows(reports, meshed, 'other');
    assert.deepEqual(
      rows.map((r) => r.pod),
      ['other/api-1'],
    );
  });

  it('a NACK older than the last ACK is history: the stream is SYNCED', () => {
    const s = stream('shop/web-1', { nacked: { version: 'v1', error: 'x', at: ago(60) } });
    assert.equal(proxyRows([report('a', [s])], [], undefined)[0]!.state, 'SYNCED');
  });

  it('fills every column', () => {
    const rows = proxyRows(reports, meshed, 'shop');
    const cells = Object.fromEntries(rows.map((r) => [r.pod, proxyCells(r, NOW)]));
    assert.deepEqual(cells['shop/cart-1'], [
      'cart-1.shop',
      'weft-control-plane-a',
      'NACKED',
      'v2abcdef1234',
      '4s ago',
      '2s ago: service cart.shop: bad port 99999',
      '3h',
    ]);
    assert.deepEqual(cells['shop/web-2'], [
      'web-2.shop',
      'weft-control-plane-b',
      'STALE',
      '-',
      'never',
      '-',
      '3h',
    ]);
    assert.deepEqual(cells['shop/db-0'], ['db-0.shop', '-', 'NOT CONNECTED', '-', '-', '-', '-']);
  });

  it('cuts a long NACK reason in the table, keeps it whole in the document', () => {
    const long = 'x'.repeat(500);
    const rows = proxyRows(
      [report('a', [stream('shop/web-1', { nacked: { version: 'v1', error: long, at: ago(1) } })])],
      [],
      undefined,
    );
    assert.equal(proxyCells(rows[0]!, NOW)[5], `1s ago: ${'x'.repeat(59)}…`);
    const doc = proxyStatusDocument(rows) as { items: { stream: SyncStream }[] };
    assert.equal(doc.items[0]!.stream.nacked?.error, long);
  });

  it('prints a kubectl-style table with the headers istioctl users know', () => {
    const text = proxyStatusTable(proxyRows(reports, meshed, 'other'), NOW);
    assert.equal(
      text,
      [
        'NAME          CONTROL PLANE          STATUS   VERSION        LAST ACK   LAST NACK   AGE',
        'api-1.other   weft-control-plane-b   SYNCED   v2abcdef1234   4s ago     -           3h',
        '',
      ].join('\n'),
    );
  });
});
