import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_PROXY_MEMORY_LIMIT_BYTES,
  SIDECAR_NODE_OPTIONS,
  sidecarNodeOptions,
} from './sidecar-node-options.js';

describe("the sidecar's V8 options", () => {
  it('bound the old generation by half the memory limit', () => {
    assert.equal(
      sidecarNodeOptions(256 * 2 ** 20),
      '--max-semi-space-size=1 --max-old-space-size=128',
    );
    assert.equal(sidecarNodeOptions(1e9), '--max-semi-space-size=1 --max-old-space-size=476');
    assert.equal(SIDECAR_NODE_OPTIONS, sidecarNodeOptions(DEFAULT_PROXY_MEMORY_LIMIT_BYTES));
  });

  it("leave V8's own sizing without a limit, and never go below what V8 starts with", () => {
    assert.equal(sidecarNodeOptions(undefined), '--max-semi-space-size=1');
    assert.equal(sidecarNodeOptions(NaN), '--max-semi-space-size=1');
    assert.equal(
      sidecarNodeOptions(8 * 2 ** 20),
      '--max-semi-space-size=1 --max-old-space-size=16',
    );
  });
});
