import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubeletErrors } from './tunnel.js';

describe('port-forward error channel', () => {
  it("takes the port frame's empty remainder for nothing, and the kubelet's words for an error", async () => {
    const seen: string[] = [];
    const errors = kubeletErrors((text) => seen.push(text));
    const write = (chunk: Buffer): Promise<void> =>
      new Promise((resolve, reject) => errors.write(chunk, (e) => (e ? reject(e) : resolve())));
    await write(Buffer.alloc(0)); // what @kubernetes/client-node writes after stripping the port
    assert.deepEqual(seen, []);
    await write(Buffer.from('failed to connect to localhost:15014 inside namespace …\n'));
    assert.deepEqual(seen, ['failed to connect to localhost:15014 inside namespace …']);
  });
});
