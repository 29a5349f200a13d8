import assert from 'node:assert/strict';
import { it } from 'node:test';
import { randomSerial } from './serial.js';

it('randomSerial gives 128-bit positive, distinct serials', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const s = randomSerial();
    assert.match(s, /^[0-7][0-9a-f]{31}$/);
    seen.add(s);
  }
  assert.equal(seen.size, 200);
});
