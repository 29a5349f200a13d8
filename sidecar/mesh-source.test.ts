import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { MeshSource } from './mesh-source.js';

const quiet = createLogger({}, 'error');

describe('mesh source before any config', () => {
  it('fails closed (STRICT inbound) when the mesh comes from discovery', () => {
    const source = new MeshSource({ discovery: true }, 'shop', new Registry(), quiet);
    assert.equal(source.current().inbound(8080).mode, 'STRICT');
  });

  it('stays PERMISSIVE for a bare sidecar with no source at all', () => {
    const source = new MeshSource({}, 'shop', new Registry(), quiet);
    assert.equal(source.current().inbound(8080).mode, 'PERMISSIVE');
  });
});
