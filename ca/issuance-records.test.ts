import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { Counter, Registry } from 'prom-client';
import { workloadIdentity } from '../src/identity.js';
import { createLogger } from '../src/log.js';
import { IssuanceRecorder, MAX_RECORDS_PER_IDENTITY, mergeRecords } from './issuance-records.js';
import type { IssuanceRecord } from './issuance-records.js';

const now = new Date('2026-06-01T00:00:00Z');
const rec = (serial: string, notAfter: string): IssuanceRecord => ({
  serial,
  notBefore: '2026-05-31T00:00:00Z',
  notAfter,
  path: 'sidecar',
});

it('mergeRecords puts the new record first and drops expired and duplicate serials', () => {
  const merged = mergeRecords(
    [
      rec('a', '2026-06-02T00:00:00Z'),
      rec('b', '2026-05-31T12:00:00Z'),
      rec('c', '2026-06-03T00:00:00Z'),
    ],
    rec('c', '2026-06-03T00:00:00Z'),
    now,
  );
  assert.deepEqual(
    merged.map((r) => r.serial),
    ['c', 'a'],
  );
});

it('mergeRecords keeps the newest issuance even when it expired before its write', () => {
  const issued = (serial: string, notBefore: string, notAfter: string): IssuanceRecord => ({
    ...rec(serial, notAfter),
    notBefore,
  });
  // A 1 s certificate whose coalesced write ran after it expired: still on record (the
  // audit's certificate-expired reads it); the older expired one goes as before.
  const merged = mergeRecords(
    [issued('old', '2026-05-30T00:00:00Z', '2026-05-31T00:00:00Z')],
    issued('short', '2026-05-31T23:59:58Z', '2026-05-31T23:59:59Z'),
    now,
  );
  assert.deepEqual(
    merged.map((r) => r.serial),
    ['short'],
  );
});

it('mergeRecords caps the list so writes stay bounded', () => {
  const many = Array.from({ length: 80 }, (_, i) => rec(`s${i}`, '2027-01-01T00:00:00Z'));
  const merged = mergeRecords(many, rec('new', '2027-01-01T00:00:00Z'), now);
  assert.equal(merged.length, MAX_RECORDS_PER_IDENTITY);
  assert.equal(merged[0]!.serial, 'new');
});

describe('IssuanceRecorder', () => {
  /** A record store whose writes take `delayMs`; counts writes and what they carried. */
  function fakeApi(delayMs: number) {
    const objects = new Map<string, { status?: { certificates?: IssuanceRecord[] } }>();
    const stats = { writes: 0, inFlight: 0, maxInFlight: 0 };
    const api = {
      getNamespacedCustomObject: ({ namespace, name }: Ref) =>
        Promise.resolve(objects.get(`${namespace}/${name}`) ?? {}),
      replaceNamespacedCustomObjectStatus: async ({
        namespace,
        name,
        body,
      }: Ref & { body: object }) => {
        stats.writes++;
        stats.inFlight++;
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
        await new Promise((r) => setTimeout(r, delayMs));
        stats.inFlight--;
        objects.set(`${namespace}/${name}`, body);
      },
    };
    return { api: api as unknown as CustomObjectsApi, objects, stats };
  }
  type Ref = { namespace: string; name: string };
  const quiet = createLogger({}, 'error', () => undefined);
  const id = (sa: string) => workloadIdentity('cluster.local', 'shop', sa);

  it('coalesces 20 000 records for one identity into a few writes, keeping the newest', async () => {
    const { api, objects, stats } = fakeApi(5);
    const recorder = new IssuanceRecorder(api, quiet);
    for (let i = 0; i < 20_000; i++)
      recorder.record(id('web'), rec(`s${i}`, '2099-01-01T00:00:00Z'), '');
    assert.equal(await recorder.flush(5000), 0);
    assert.ok(stats.writes <= 3, `${stats.writes} writes`);
    const certs = objects.get('shop/web')!.status!.certificates!;
    assert.equal(certs.length, MAX_RECORDS_PER_IDENTITY);
    assert.equal(certs[0]!.serial, 's19999');
  });

  it('bounds identities waiting and writes in flight; drops the oldest and counts it', async () => {
    const { api, stats } = fakeApi(20);
    const registry = new Registry();
    const dropped = new Counter({ name: 'dropped', help: 'h', registers: [registry] });
    const recorder = new IssuanceRecorder(api, quiet, { maxPending: 10, maxWriters: 2, dropped });
    for (let i = 0; i < 100; i++)
      recorder.record(id(`sa${i}`), rec(`s${i}`, '2099-01-01T00:00:00Z'), '');
    assert.ok(recorder.backlog <= 12, `backlog ${recorder.backlog}`);
    await recorder.flush(5000);
    assert.ok(stats.maxInFlight <= 2, `in flight ${stats.maxInFlight}`);
    assert.equal((await dropped.get()).values[0]!.value, 100 - 12);
  });

  it('gives up at the flush deadline, dropping and counting what still waits', async () => {
    const { api } = fakeApi(1000);
    const recorder = new IssuanceRecorder(api, quiet, { maxWriters: 1 });
    for (let i = 0; i < 5; i++)
      recorder.record(id(`sa${i}`), rec(`s${i}`, '2099-01-01T00:00:00Z'), '');
    const started = Date.now();
    assert.equal(await recorder.flush(200), 4);
    assert.ok(Date.now() - started < 500);
  });
});
