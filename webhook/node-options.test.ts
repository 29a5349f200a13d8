import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_PROXY_MEMORY_LIMIT_BYTES } from '../src/sidecar-node-options.js';
import { quantityValue } from './annotations.js';
import { InjectionConfigSchema } from './injection-config.js';

describe("weft-proxy's default memory limit", () => {
  it('is the one the tests and benches run the sidecar with', () => {
    const limit = InjectionConfigSchema.parse({}).proxyResources.memoryLimit;
    assert.equal(quantityValue(limit), DEFAULT_PROXY_MEMORY_LIMIT_BYTES);
  });
});
