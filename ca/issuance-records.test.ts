import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MAX_RECORDS_PER_IDENTITY, mergeRecords } from './issuance-records.js';
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

it('mergeRecords caps the list so writes stay bounded', () => {
  const many = Array.from({ length: 80 }, (_, i) => rec(`s${i}`, '2027-01-01T00:00:00Z'));
  const merged = mergeRecords(many, rec('new', '2027-01-01T00:00:00Z'), now);
  assert.equal(merged.length, MAX_RECORDS_PER_IDENTITY);
  assert.equal(merged[0]!.serial, 'new');
});
