// The "one test drives both", sidecar half: every case of the shared
// table (src/authz/cases.ts) through discovery's selection, the sidecar's view
// and compile and its authorize layer (test/support/authz-sidecar.ts). The
// decision, the deciding policy and rule must be the table's. The CLI half,
// `kubectl weft authz check` on the same rows against a real API server, is
// test/integration/authz-table.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { AUTHZ_CASES } from '../src/authz/cases.js';
import { limitLogger } from '../src/log-limit.js';
import { createLogger } from '../src/log.js';
import { asExpected, sidecarDecision } from '../test/support/authz-sidecar.js';
import { Authorizer } from './authz.js';

describe('the sidecar agrees with the authorization table', () => {
  const authorizer = new Authorizer(
    new Registry(),
    limitLogger(createLogger({}, 'error', () => undefined)),
  );
  for (const c of AUTHZ_CASES) {
    it(c.name, async () => {
      const d = await sidecarDecision(c, authorizer);
      assert.deepEqual(asExpected(d, c.expect), c.expect);
    });
  }
});
