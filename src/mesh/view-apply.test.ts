import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WeftError } from '../errors.js';
import { MeshConfigSchema } from './config.js';
import { LineReader, encodeLine } from './ndjson.js';
import { applyMessage } from './view-apply.js';
import { diffView } from './view-diff.js';
import type { Resource, View } from './view.js';
import { routeKey, toMeshConfig, versionsOf, viewVersion, withVersion } from './view.js';
import { ClientMessage, ServerMessage } from './wire.js';

const svc = (name: string, port = 80): Resource =>
  withVersion({
    kind: 'service',
    name: `service/shop/${name}`,
    service: { name, namespace: 'shop', addresses: ['10.96.0.1'], ports: [{ port }] },
  });
const eps = (name: string, ips: string[]): Resource =>
  withVersion({
    kind: 'endpoints',
    name: `endpoints/shop/${name}`,
    endpoints: ips.map((address) => ({
      address,
      identity: 'spiffe://cluster.local/ns/shop/sa/x',
      mtls: true,
    })),
  });
const viewOf = (...rs: Resource[]): View => new Map(rs.map((r) => [r.name, r]));

function message(held: View, desired: View, type: 'snapshot' | 'delta' = 'delta'): ServerMessage {
  const d = diffView(new Map(Object.entries(versionsOf(held))), desired);
  return ServerMessage.parse({
    type,
    nonce: 'n1',
    version: viewVersion(desired),
    resources: d.resources,
    removed: d.removed,
  });
}

describe('view apply', () => {
  const v1 = viewOf(svc('cart'), eps('cart', ['10.1.0.1']));
  const v2 = viewOf(svc('cart'), eps('cart', ['10.1.0.1', '10.1.0.2']), svc('db', 5432));

  it('applies a snapshot, then a delta carrying only what changed', () => {
    const first = applyMessage(new Map(), message(new Map(), v1, 'snapshot'), 'cluster.local');
    assert.ok(first.ok);
    assert.equal(first.config.services[0]!.endpoints.length, 1);
    const delta = message(v1, v2);
    assert.deepEqual(delta.resources.map((r) => (r as Resource).name).sort(), [
      'endpoints/shop/cart',
      'service/shop/db',
    ]);
    const second = applyMessage(first.view, delta, 'cluster.local');
    assert.ok(second.ok);
    assert.deepEqual(
      second.config.services.map((s) => [s.name, s.endpoints.length]),
      [
        ['cart', 2],
        ['db', 0],
      ],
    );
    const back = applyMessage(second.view, message(v2, v1), 'cluster.local');
    assert.ok(back.ok);
    assert.deepEqual([...back.view.keys()].sort(), [...v1.keys()].sort());
  });

  it('carries routes with their raw spec, never refusing a spec it does not compile', () => {
    const route = (name: string, spec: unknown): Resource =>
      withVersion({
        kind: 'route',
        name: routeKey('HTTPRoute', 'shop', name),
        route: { kind: 'HTTPRoute', namespace: 'shop', name, creationTimestamp: '', spec },
      });
    const v3 = viewOf(...v1.values(), route('b', { rules: 'not rules' }), route('a', {}));
    const r = applyMessage(v1, message(v1, v3), 'cluster.local');
    assert.ok(r.ok);
    assert.ok(r.view.has('route/httproute/shop/a'));
    const names = toMeshConfig(r.view, 'cluster.local').routes.map((x) => x.name);
    assert.deepEqual(names, ['a', 'b']);
  });

  it('re-validates only the services a change touched, and compiles as a full validation does', () => {
    const many = (n: number, moved: string): View =>
      viewOf(
        ...Array.from({ length: n }, (_, i) => [
          svc(`s${i}`),
          eps(`s${i}`, [i === 3 ? moved : `10.1.0.${i}`]),
        ]).flat(),
      );
    const first = applyMessage(
      new Map(),
      message(new Map(), many(6, '10.2.0.1'), 'snapshot'),
      'cluster.local',
    );
    assert.ok(first.ok);
    const second = applyMessage(
      first.view,
      message(first.view, many(6, '10.2.0.2')),
      'cluster.local',
    );
    assert.ok(second.ok);
    const [a, b] = [first.config.services, second.config.services];
    // Unchanged services: the very entry validated before; the changed one: a new entry.
    assert.deepEqual(
      a.map((s, i) => s === b[i]),
      [true, true, true, false, true, true],
    );
    assert.deepEqual(
      b[3]!.endpoints.map((e) => e.address),
      ['10.2.0.2'],
    );
    // The same config a validation of everything gives (defaults included).
    assert.deepEqual(
      second.config,
      MeshConfigSchema.parse({
        clusterDomain: 'cluster.local',
        inbound: { mode: 'STRICT', ports: [] },
        services: [...second.view.values()]
          .filter((r) => r.kind === 'service')
          .map((r) => {
            const e = second.view.get(`endpoints/shop/${r.service.name}`);
            return { ...r.service, endpoints: e?.kind === 'endpoints' ? e.endpoints : [] };
          }),
      }),
    );
  });

  it('refuses a whole message when one resource does not fit, naming it', () => {
    const bad = message(v1, v2);
    bad.resources.push({
      kind: 'service',
      name: 'service/shop/Bad',
      version: 'x',
      service: { name: 'Bad', namespace: 'shop', addresses: [], ports: [] },
    });
    const r = applyMessage(v1, bad, 'cluster.local');
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.rejected.includes('service/shop/Bad'));
    assert.match(!r.ok ? r.error : '', /service\/shop\/Bad: service\.name/);
  });

  it('refuses a message that does not lead to the version the server names', () => {
    const m = message(v1, v2);
    const r = applyMessage(new Map(), { ...m, version: viewVersion(v2) }, 'cluster.local');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /view diverged/);
  });

  it('validates client messages and frames NDJSON with a bound', () => {
    assert.equal(ClientMessage.parse({ type: 'hello' }).type, 'hello');
    assert.throws(() => ClientMessage.parse({ type: 'nack', nonce: 'n' }));
    const reader = new LineReader(64);
    const line = encodeLine({ type: 'ack', nonce: 'a', version: 'b' });
    assert.deepEqual(reader.push(Buffer.from(line.slice(0, 10))), []);
    assert.deepEqual(reader.push(Buffer.from(line.slice(10) + line)), [
      { type: 'ack', nonce: 'a', version: 'b' },
      { type: 'ack', nonce: 'a', version: 'b' },
    ]);
    assert.throws(
      () => reader.push(Buffer.alloc(100, 0x61)),
      (e: unknown) => e instanceof WeftError && /over 64 bytes/.test(e.message),
    );
    assert.throws(() => new LineReader(64).push(Buffer.from('{no\n')), /not JSON/);
  });
});
