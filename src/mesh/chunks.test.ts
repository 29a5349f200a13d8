// A message split over lines is applied whole, or refused whole.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkAssembler, MAX_PARTS } from './chunks.js';
import type { ServerMessage } from './wire.js';

const part = (
  nonce: string,
  resources: unknown[],
  more: boolean,
  removed: string[] = [],
): ServerMessage => ({
  type: 'snapshot',
  nonce,
  version: 'v1',
  resources,
  removed,
  ...(more ? { more: true as const } : {}),
});

describe('chunk assembler', () => {
  it('passes a single line through and joins parts into one message', () => {
    const a = new ChunkAssembler();
    assert.deepEqual(a.push(part('n0', [1], false))?.resources, [1]);
    assert.equal(a.push(part('n1', [1, 2], true, ['gone'])), undefined);
    assert.equal(a.push(part('n1', [3], true)), undefined);
    const whole = a.push(part('n1', [4], false));
    assert.deepEqual(whole, {
      type: 'snapshot',
      nonce: 'n1',
      version: 'v1',
      resources: [1, 2, 3, 4],
      removed: ['gone'],
    });
  });

  it('refuses a part of another message inside one, and too many parts', () => {
    const a = new ChunkAssembler();
    a.push(part('n1', [1], true));
    assert.throws(() => a.push(part('n2', [1], false)), /inside message n1/);
    const b = new ChunkAssembler();
    assert.throws(() => {
      for (let i = 0; i <= MAX_PARTS; i++) b.push(part('n3', [i], true));
    }, /over 64 parts/);
    // After a refusal it starts clean.
    assert.deepEqual(b.push(part('n4', [1], false))?.resources, [1]);
  });
});
