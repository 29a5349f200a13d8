// The subscription state machine, by table, on an injected clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Outcome } from './subscriptions.js';
import { MAX_SUBSCRIPTIONS } from '../src/mesh/wire.js';
import { MAX_SIDECAR_SUBSCRIPTIONS, Subscriptions } from './subscriptions.js';

const B = 'endpoints/shop/b';

type Step =
  | { at: number; use: string; expect: string; inView?: boolean }
  | { at: number; arrived: string[]; removed?: string[] }
  | { at: number; sweep: string[] };

interface Case {
  readonly name: string;
  readonly steps: readonly Step[];
  /** What each waiter (numbered by the use that made it wait) was told, in order. */
  readonly outcomes: readonly string[];
  readonly state: string | undefined;
}

const CASES: Case[] = [
  {
    name: 'first use subscribes and waits; the resource arriving releases it',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 5, use: B, expect: 'wait' },
      { at: 20, arrived: [B] },
      { at: 30, use: B, expect: 'held' },
    ],
    outcomes: ['0:ready', '1:ready'],
    state: 'held',
  },
  {
    name: 'not found fails the waiters fast, and later uses at once',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 10, arrived: [], removed: [B] },
      { at: 11, use: B, expect: 'missing' },
    ],
    outcomes: ['0:missing'],
    state: 'missing',
  },
  {
    name: 'no answer within the wait: the waiter times out, the subscription stays pending',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 4999, sweep: [] },
      { at: 5000, sweep: [] },
      { at: 5001, use: B, expect: 'wait' },
    ],
    outcomes: ['0:timeout'],
    state: 'pending',
  },
  {
    name: 'a late answer still makes it held',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 6000, sweep: [] },
      { at: 6100, arrived: [B] },
    ],
    outcomes: ['0:timeout'],
    state: 'held',
  },
  {
    name: 'unused for the idle time: dropped (unsubscribe); used within it: kept',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 10, arrived: [B] },
      { at: 50_000, use: B, expect: 'held' },
      { at: 109_999, sweep: [] },
      { at: 110_000, sweep: [B] },
    ],
    outcomes: ['0:ready'],
    state: undefined,
  },
  {
    name: 'a held resource that goes away is missing; coming back, held again',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 10, arrived: [B] },
      { at: 20, arrived: [] },
      { at: 21, use: B, expect: 'missing' },
      { at: 30, arrived: [B] },
      { at: 31, use: B, expect: 'held' },
    ],
    outcomes: ['0:ready'],
    state: 'held',
  },
  {
    // Review item 6: the answer to an unsubscribe arriving after the name was used
    // again used to fail that use's request (503) as if the Service were gone.
    name: 'used again just after its unsubscribe: the late removal is not a "not found"',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 10, arrived: [B] },
      { at: 60_010, sweep: [B] },
      // The view still holds it (its removal is on the way): used as held, subscribed again.
      { at: 60_020, use: B, expect: 'held+subscribe', inView: true },
      { at: 60_030, arrived: [], removed: [B] },
      { at: 60_031, use: B, expect: 'wait' },
      { at: 60_040, arrived: [B] },
    ],
    outcomes: ['0:ready', '2:ready'],
    state: 'held',
  },
  {
    name: 'a removal that answers nothing unsubscribed still means gone',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 10, arrived: [B] },
      { at: 20, arrived: [], removed: [B] },
      { at: 21, use: B, expect: 'missing' },
    ],
    outcomes: ['0:ready'],
    state: 'missing',
  },
  {
    name: 'a pending name is not dropped while a request waits for it',
    steps: [
      { at: 0, use: B, expect: 'wait+subscribe' },
      { at: 70_000, sweep: [B] },
    ],
    outcomes: ['0:timeout'],
    state: undefined,
  },
];

function run(c: Case): { outcomes: string[]; subs: Subscriptions } {
  let now = 0;
  const subs = new Subscriptions({ now: () => now, waitMs: 5000, idleMs: 60_000 });
  const outcomes: string[] = [];
  let uses = 0;
  for (const step of c.steps) {
    now = step.at;
    if ('use' in step) {
      const n = uses++;
      const u = subs.use(step.use, step.inView);
      if (u.kind === 'wait') subs.wait(step.use, (o: Outcome) => outcomes.push(`${n}:${o}`));
      const got = u.subscribe ? `${u.kind}+subscribe` : u.kind;
      assert.equal(got, step.expect, `${c.name}: use at ${step.at}`);
    } else if ('arrived' in step) {
      const has = new Set(step.arrived);
      subs.arrived((n) => has.has(n), new Set(step.removed ?? []));
    } else {
      assert.deepEqual(subs.sweep(), step.sweep, `${c.name}: sweep at ${step.at}`);
    }
  }
  return { outcomes, subs };
}

describe('subscriptions', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { outcomes, subs } = run(c);
      assert.deepEqual(outcomes, c.outcomes);
      assert.equal(subs.state(B), c.state);
    });
  }

  it('names every held or pending subscription for a reconnect', () => {
    let now = 0;
    const subs = new Subscriptions({ now: () => now, waitMs: 5000, idleMs: 60_000 });
    subs.use(B);
    subs.use('pod/198.51.100.7');
    subs.arrived((n) => n === B, new Set());
    now = 1;
    assert.deepEqual(subs.names().sort(), [B, 'pod/198.51.100.7']);
  });

  it('stays under its cap: a new name evicts the least recently used one nobody waits for', () => {
    let now = 0;
    const subs = new Subscriptions({ now: () => now, waitMs: 5000, idleMs: 60_000, max: 2 });
    const [A, C] = ['endpoints/shop/a', 'endpoints/shop/c'];
    subs.use(A);
    subs.use(B);
    subs.arrived((n) => n === A || n === B, new Set());
    now = 10;
    assert.equal(subs.use(A).kind, 'held'); // A used later than B
    now = 20;
    assert.deepEqual(subs.use(C), { kind: 'wait', subscribe: true, evicted: B });
    assert.deepEqual(subs.names().sort(), [A, C]);
    assert.equal(subs.state(B), undefined);
  });

  it('fails a new name closed when every name is waited for', () => {
    const subs = new Subscriptions({ now: () => 0, waitMs: 5000, idleMs: 60_000, max: 1 });
    subs.use(B);
    subs.wait(B, () => undefined);
    assert.deepEqual(subs.use('endpoints/shop/c'), { kind: 'full' });
    assert.equal(subs.size, 1);
  });

  it('stays below the server cap by default', () => {
    assert.ok(MAX_SIDECAR_SUBSCRIPTIONS < MAX_SUBSCRIPTIONS);
  });

  it('a new stream owes no removal for earlier unsubscribes, and adopts what the view holds', () => {
    let now = 0;
    const subs = new Subscriptions({ now: () => now, waitMs: 5000, idleMs: 60_000 });
    subs.use(B);
    subs.arrived((n) => n === B, new Set());
    now = 60_000;
    assert.deepEqual(subs.sweep(), [B]);
    subs.reset(['endpoints/shop/kept']);
    assert.equal(subs.state('endpoints/shop/kept'), 'held');
    // B's removal, if it comes now, is a real "not found" for a new subscription.
    assert.equal(subs.use(B).kind, 'wait');
    const told: Outcome[] = [];
    subs.wait(B, (o) => told.push(o));
    subs.arrived(() => false, new Set([B]));
    assert.deepEqual(told, ['missing']);
  });
});
