import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../src/log.js';
import { MeshConfigSchema } from '../src/mesh/config.js';
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

describe('mesh source and routes', () => {
  const route = (generation: number, rules: unknown[]) => ({
    kind: 'HTTPRoute' as const,
    namespace: 'shop',
    name: 'cart',
    creationTimestamp: '2026-01-01T00:00:00Z',
    generation,
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'cart' }], rules },
  });
  const bad = [{ filters: [{ type: 'CORS', cors: {} }] }];
  const config = (generation: number, endpoints: number) =>
    MeshConfigSchema.parse({
      services: [
        {
          name: 'cart',
          namespace: 'shop',
          ports: [{ port: 80 }],
          endpoints: Array.from({ length: endpoints }, (_, i) => ({
            address: `198.51.100.${i + 1}`,
            identity: 'spiffe://cluster.local/ns/shop/sa/cart',
          })),
        },
      ],
      routes: [route(generation, bad)],
    });

  it('logs a refused route once per version, not on every config, and never throws', () => {
    const lines: string[] = [];
    const log = createLogger({}, 'warn', (l) => lines.push(l));
    const source = new MeshSource({ discovery: true }, 'shop', new Registry(), log);
    const refused = (): string[] => lines.filter((l) => l.includes('route refused'));
    source.setConfig(config(1, 1));
    source.setConfig(config(1, 2)); // an endpoint change: the same route version
    source.setConfig(config(1, 3));
    assert.equal(refused().length, 1);
    assert.match(refused()[0]!, /shop\/cart/);
    assert.match(refused()[0]!, /spec\.rules\[0\]\.filters\[0\]/);
    source.setConfig(config(2, 3)); // a new generation is logged again
    assert.equal(refused().length, 2);
    // Compiled with the config: the request path only looks the table up.
    assert.equal(source.current().routes.compiled.length, 1);
  });
});
