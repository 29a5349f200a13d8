// The short fuzz run inside `npm test`'s unit phase: every target for its
// quickRuns inputs with a fresh seed (printed, so a failure reproduces with
// `npm run fuzz -- --only NAME --seed SEED`), the whole smuggling corpus through
// the sidecar, and the known findings checked to still reproduce.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { h2Exchange, h2Request } from './http/h2-wire.js';
import { SidecarUnderTest, xfccFor } from './http/sidecar-harness.js';
import { SMUGGLING_CORPUS } from './http/smuggling-corpus.js';
import { exchange, parseResponses } from './http/wire.js';
import { KNOWN_FINDINGS, knownFinding } from './known-findings.js';
import { runTarget } from './run-target.js';
import { http1Target } from './targets/http1.js';
import { TARGETS } from './targets/index.js';

const seed = Number(process.env.WEFT_FUZZ_SEED ?? randomInt(2 ** 31 - 1));

// A crash in a callback no property awaits must fail the run, not pass silently.
const crashes: unknown[] = [];
const onCrash = (err: unknown): void => void crashes.push(err);
before(() => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
});
after(() => {
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  assert.deepEqual(crashes, [], 'no uncaught exception or unhandled rejection during fuzzing');
});

describe(`parser fuzzing (seed ${seed})`, () => {
  for (const target of TARGETS) {
    it(`${target.name}: ${target.quickRuns} inputs, typed refusals only`, async () => {
      // A loaded CI machine gets three times the per-input time bound.
      const result = await runTarget(target, { runs: target.quickRuns, seed, slack: 3 });
      assert.equal(result.failure, undefined, `${target.name}, seed ${seed}:\n${result.failure}`);
      assert.equal(result.runs, target.quickRuns);
    });
  }
});

describe('the smuggling corpus through the sidecar', () => {
  before(() => http1Target.open!());
  after(() => http1Target.close!());

  it(`forwards every one of ${SMUGGLING_CORPUS.length} shapes as the app reads it, or refuses it`, async () => {
    for (const [i, entry] of SMUGGLING_CORPUS.entries()) {
      try {
        await http1Target.check(entry);
      } catch (err) {
        if (knownFinding(http1Target.name, err)) continue;
        assert.fail(`corpus entry ${i} ${JSON.stringify(entry.slice(0, 80))}: ${String(err)}`);
      }
    }
  });
});

// The sidecar properties hold vacuously if nothing is ever forwarded: prove the
// harness carries a well-formed request of each protocol to the app.
describe('the sidecar harness forwards well-formed requests', () => {
  const sidecar = new SidecarUnderTest();
  before(() => sidecar.open());
  after(() => sidecar.close());

  it('HTTP/1.1: one GET reaches the app with the sidecar XFCC and is answered 200', async () => {
    const id = sidecar.next();
    const raw = 'GET /x HTTP/1.1\r\nHost: app\r\nX-Forwarded-Client-Cert: forged\r\n\r\n';
    const answer = await exchange(sidecar.port, Buffer.from(raw), {
      halfClose: false,
      timeoutMs: 5000,
      enough: (got) => parseResponses(got).length >= 1,
    });
    assert.deepEqual(
      parseResponses(answer.received).map((r) => r.status),
      [200],
    );
    const got = sidecar.forwarded.get(xfccFor(id)) ?? [];
    assert.deepEqual(
      got.map((r) => [r.method, r.url, r.headers.host]),
      [['GET', '/x', 'app']],
    );
  });

  it('HTTP/2: one GET reaches the app with the sidecar XFCC and is answered', async () => {
    const id = sidecar.next();
    const request = h2Request([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/x'],
      [':authority', 'app'],
      ['x-forwarded-client-cert', 'forged'],
    ]);
    assert.deepEqual(await h2Exchange(sidecar.h2Port, request, 5000), { ended: 'response' });
    const got = sidecar.forwardedH2.get(xfccFor(id)) ?? [];
    assert.deepEqual(
      got.map((r) => [r.pseudo[':method'], r.pseudo[':path']]),
      [['GET', '/x']],
    );
  });
});

describe('known findings (test/fuzz/known-findings.ts)', () => {
  for (const finding of KNOWN_FINDINGS) {
    it(`${finding.id} still reproduces: delete the entry once its fix lands`, async () => {
      const target = TARGETS.find((t) => t.name === finding.target)!;
      await target.open?.();
      try {
        await assert.rejects(
          async () => target.check(finding.reproducer as never),
          (err: unknown) => finding.matches(err),
        );
      } finally {
        await target.close?.();
      }
    });
  }
});
