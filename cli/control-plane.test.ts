// `weft control-plane`'s flags reach the components, and what the injector puts in
// each pod follows them: the discovery port sidecars dial is the one discovery listens on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { injectionConfigOf } from '../webhook/main.js';
import { proxyContainer } from '../webhook/sidecar-spec.js';
import { controlPlaneConfigs } from './control-plane.js';

function sidecarEnv(args: string[]): Record<string, string | undefined> {
  const { webhook } = controlPlaneConfigs(args);
  const container = proxyContainer({
    config: injectionConfigOf(webhook, true),
    image: 'weft',
    logLevel: 'info',
    resources: {},
    probers: {},
    native: true,
  });
  return Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
}

describe('weft control-plane flags', () => {
  it("gives injected sidecars discovery's configured port", () => {
    assert.equal(sidecarEnv([]).WEFT_DISCOVERY_ADDRESS, 'weft-ca.weft-system.svc:15010');
    assert.equal(
      sidecarEnv(['--discovery-listen', '0.0.0.0:16010']).WEFT_DISCOVERY_ADDRESS,
      'weft-ca.weft-system.svc:16010',
    );
    assert.equal(
      sidecarEnv(['--ca-address', 'ca.corp:443', '--discovery-listen', '0.0.0.0:16010'])
        .WEFT_DISCOVERY_ADDRESS,
      'ca.corp:16010',
    );
    assert.equal(
      sidecarEnv(['--discovery-address', 'a.corp:1,b.corp:2']).WEFT_DISCOVERY_ADDRESS,
      'a.corp:1,b.corp:2',
    );
  });

  it('hands sidecars the cluster domain', () => {
    assert.equal(sidecarEnv([]).WEFT_CLUSTER_DOMAIN, 'cluster.local');
    assert.equal(
      sidecarEnv(['--cluster-domain', 'corp.example']).WEFT_CLUSTER_DOMAIN,
      'corp.example',
    );
  });

  it("takes discovery's tuning as numbers, refusing what is not one", () => {
    const { discovery } = controlPlaneConfigs([
      ...['--debounce-ms', '50', '--debounce-max-ms', '2000'],
      ...['--ping-interval-ms', '3000', '--ping-deadline-ms', '1000'],
    ]);
    assert.deepEqual(
      [
        discovery.debounceMs,
        discovery.debounceMaxMs,
        discovery.pingIntervalMs,
        discovery.pingDeadlineMs,
      ],
      [50, 2000, 3000, 1000],
    );
    assert.throws(() => controlPlaneConfigs(['--ping-deadline-ms', 'soon']), /--ping-deadline-ms/);
    assert.throws(
      () => controlPlaneConfigs(['--debounce-ms', '500', '--debounce-max-ms', '100']),
      /--debounce-ms/,
    );
  });
  it('takes --require-reference-grant as a boolean switch, off by default (GEP-1294)', () => {
    const grant = (args: string[]): boolean =>
      controlPlaneConfigs(args).discovery.requireReferenceGrant;
    assert.equal(grant([]), false);
    assert.equal(grant(['--require-reference-grant']), true);
    assert.equal(grant(['--require-reference-grant=true']), true);
    assert.equal(grant(['--require-reference-grant=false']), false);
    assert.throws(
      () => controlPlaneConfigs(['--require-reference-grant=maybe']),
      /--require-reference-grant/,
    );
  });
});
