import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Pool } from './undici-pool.js';

describe("undici's Pool, loaded alone", () => {
  it('has the request API before the index is loaded, and is the class the index exports', async () => {
    const pool = new Pool('http://127.0.0.1:9');
    assert.equal(typeof pool.request, 'function');
    assert.equal(typeof pool.dispatch, 'function');
    void pool.close();
    assert.equal(Pool, (await import('undici')).Pool);
  });
});
