import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './log.js';
import { limitLogger } from './log-limit.js';

function capture(): {
  lines: Record<string, unknown>[];
  limited: ReturnType<typeof limitLogger>;
  tick: (ms: number) => void;
} {
  const lines: Record<string, unknown>[] = [];
  let t = 0;
  const log = createLogger({}, 'debug', (l) =>
    lines.push(JSON.parse(l) as Record<string, unknown>),
  );
  const limited = limitLogger(log, { burst: 2, windowMs: 1000, maxKeys: 2, now: () => t });
  return { lines, limited, tick: (ms) => (t += ms) };
}

test('a key writes its burst, then is counted and summarised when the window closes', () => {
  const { lines, limited, tick } = capture();
  for (let i = 0; i < 10; i++) limited.warn('refused', { reason: 'x' });
  assert.equal(lines.length, 2);
  tick(1000);
  limited.warn('refused', { reason: 'x' });
  assert.equal(lines.length, 4);
  assert.equal(lines[2]?.suppressed, 8);
  assert.equal(lines[3]?.suppressed, undefined);
});

test('keys are limited independently and bounded in number', () => {
  const { lines, limited } = capture();
  for (const key of ['a', 'b', 'c', 'a']) limited.warn('refused', {}, key);
  // 'a' was forgotten when 'c' arrived (maxKeys 2), so its next line is written again.
  assert.equal(lines.length, 4);
});
