import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSummary, parseGoTestOutput } from './go-test-results.js';

// Shaped as conformance.test -test.v prints it: parallel tests interleave under
// === CONT headers, testify's failure block names the message, the final tree
// repeats results with nested subtests.
const OUTPUT = `=== RUN   TestConformance
    conformance.go:138: Running conformance tests with:
=== RUN   TestConformance/MeshBasic
=== PAUSE TestConformance/MeshBasic
=== RUN   TestConformance/MeshConsumerRoute
    suite.go:580: Skipping MeshConsumerRoute: suite does not support MeshConsumerRoute
=== RUN   TestConformance/MeshHTTPRouteWeight
=== CONT  TestConformance/MeshBasic
    pod.go:67: 2026-12-02T05:23:15.35Z: Request [client grpc://echo:7070] failed, not ready yet: command terminated with exit code 1 (after 29.5s)
=== CONT  TestConformance/MeshHTTPRouteWeight
    helpers.go:301:
        	Error Trace:	helpers.go:301
        	Error:      	Received unexpected error:
        	            	context deadline exceeded
        	Test:       	TestConformance/MeshHTTPRouteWeight
        	Messages:   	error waiting for HTTPRoute to have parents matching expectations
=== NAME  TestConformance/MeshBasic
=== RUN   TestConformance/MeshBasic/sub
--- FAIL: TestConformance (95.30s)
    --- SKIP: TestConformance/MeshConsumerRoute (0.00s)
    --- FAIL: TestConformance/MeshHTTPRouteWeight (60.02s)
    --- PASS: TestConformance/MeshBasic (31.50s)
        --- PASS: TestConformance/MeshBasic/sub (0.50s)
FAIL
`;

test('one result per test below TestConformance, with why a test failed or was skipped', () => {
  assert.deepEqual(parseGoTestOutput(OUTPUT), [
    {
      name: 'TestConformance/MeshConsumerRoute',
      outcome: 'SKIP',
      seconds: 0,
      why: 'Skipping MeshConsumerRoute: suite does not support MeshConsumerRoute',
    },
    {
      name: 'TestConformance/MeshHTTPRouteWeight',
      outcome: 'FAIL',
      seconds: 60.02,
      why: 'error waiting for HTTPRoute to have parents matching expectations',
    },
    { name: 'TestConformance/MeshBasic', outcome: 'PASS', seconds: 31.5 },
  ]);
});

test('a failure that timed out says so, with the last request tried and its answer', () => {
  const out = `=== RUN   TestConformance/MeshHTTPRoute303Redirect
=== RUN   TestConformance/MeshHTTPRoute303Redirect/0_request
=== PAUSE TestConformance/MeshHTTPRoute303Redirect/0_request
=== CONT  TestConformance/MeshHTTPRoute303Redirect/0_request
    pod.go:67: 2026-12-02T05:23:17Z: Request [client grpc://echo:7070] failed, not ready yet: command terminated with exit code 1 (after 1.2s)
    pod.go:72: 2026-12-02T05:23:18Z: Response expectation failed for request: [client http://echo/redirect --method=GET]  not ready yet: wanted status code to be one of [303], got 200 (after 2.5s)
    http.go:306: 2026-12-02T05:23:46Z: timeout while waiting after 25 attempts, 0/3 successes
=== NAME  TestConformance/MeshHTTPRoute303Redirect
    --- FAIL: TestConformance/MeshHTTPRoute303Redirect (30.61s)
        --- FAIL: TestConformance/MeshHTTPRoute303Redirect/0_request (30.00s)
`;
  assert.deepEqual(parseGoTestOutput(out), [
    {
      name: 'TestConformance/MeshHTTPRoute303Redirect',
      outcome: 'FAIL',
      seconds: 30.61,
      why: 'timeout while waiting after 25 attempts, 0/3 successes; last try [client http://echo/redirect --method=GET]: wanted status code to be one of [303], got 200',
    },
  ]);
});

test('a test the suite never finished (its timeout panicked) counts as failed', () => {
  const out = `=== RUN   TestConformance/MeshBasic
    http.go:306: 2026-12-02T05:23:46Z: timeout while waiting after 3 attempts, 0/3 successes
--- PASS: TestConformance/MeshBasic (1.00s)
=== RUN   TestConformance/MeshPorts
    pod.go:72: 2026-12-02T05:23:18Z: Response expectation failed for request: [client http://echo-v2:8080 --method=GET]  not ready yet: expected header X-Header-Set=v2, got  (after 2.5s)
panic: test timed out after 45m0s
`;
  assert.deepEqual(parseGoTestOutput(out), [
    { name: 'TestConformance/MeshBasic', outcome: 'PASS', seconds: 1 },
    {
      name: 'TestConformance/MeshPorts',
      outcome: 'FAIL',
      seconds: 0,
      why: 'did not finish (the suite stopped first); last try [client http://echo-v2:8080 --method=GET]: expected header X-Header-Set=v2, got',
    },
  ]);
});

test('the summary lists the tests that ran, groups skips by reason and counts outcomes', () => {
  const text = formatSummary(parseGoTestOutput(OUTPUT));
  assert.deepEqual(text.split('\n'), [
    'FAIL   60.0s  MeshHTTPRouteWeight  error waiting for HTTPRoute to have parents matching expectations',
    'PASS   31.5s  MeshBasic',
    'SKIP    1 tests: suite does not support MeshConsumerRoute',
    '1 passed, 1 failed, 1 skipped',
  ]);
});
