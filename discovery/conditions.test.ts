import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeConditions, nextConditions } from './conditions.js';

const T0 = '2026-12-01T00:00:00.000Z';
const T1 = new Date('2026-12-01T01:00:00.000Z');

const ready = (status: 'True' | 'False', generation = 1) => ({
  type: 'Ready',
  status,
  reason: status === 'True' ? 'Ready' : 'NotReady',
  message: '',
  observedGeneration: generation,
});

describe('merging conditions', () => {
  it('stamps every condition of a fresh object with now', () => {
    const next = nextConditions(undefined, [ready('True')], T1);
    assert.equal(next.changed, true);
    assert.equal(next.conditions[0]!.lastTransitionTime, T1.toISOString());
  });

  it('is unchanged when only the transition time would differ', () => {
    const next = nextConditions(
      [{ ...ready('True'), lastTransitionTime: T0 }],
      [ready('True')],
      T1,
    );
    assert.deepEqual(next, {
      changed: false,
      conditions: [{ ...ready('True'), lastTransitionTime: T0 }],
    });
  });

  it('keeps the transition time while the status holds, moves it when the status moves', () => {
    const stored = [{ ...ready('True'), lastTransitionTime: T0 }];
    const newGeneration = nextConditions(stored, [ready('True', 2)], T1);
    assert.equal(newGeneration.changed, true);
    assert.equal(newGeneration.conditions[0]!.lastTransitionTime, T0);
    const flipped = nextConditions(stored, [ready('False')], T1);
    assert.equal(flipped.conditions[0]!.lastTransitionTime, T1.toISOString());
  });

  it('counts a stored condition no longer wanted as a change', () => {
    const stored = [
      { ...ready('True'), lastTransitionTime: T0 },
      { type: 'Old', status: 'True', lastTransitionTime: T0 },
    ];
    assert.equal(nextConditions(stored, [ready('True')], T1).changed, true);
  });

  it('takes a fresh time per condition from the caller', () => {
    const next = mergeConditions(
      undefined,
      [{ ...ready('True'), lastTransitionTime: T0 }],
      (c) => `${c.lastTransitionTime}!`,
    );
    assert.equal(next.conditions[0]!.lastTransitionTime, `${T0}!`);
  });
});
