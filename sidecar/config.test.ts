import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, parseFlags } from '../src/config/parse.js';
import { SidecarConfigSchema, sidecarFlags, withEnvironment } from './config.js';
import type { SidecarConfig } from './config.js';

const base = ['--ca-address', 'ca:15012', '--token-file', 't', '--trust-bundle-file', 'b'];
const parse = (args: string[], env: NodeJS.ProcessEnv = {}): SidecarConfig =>
  parseConfig(
    SidecarConfigSchema,
    withEnvironment(parseFlags([...base, ...args], sidecarFlags), env),
  );

describe('sidecar config', () => {
  it('refuses a mesh file and discovery together, naming both', () => {
    assert.throws(
      () => parse(['--mesh-config', 'mesh.yaml', '--discovery-address', 'cp:15010']),
      /--mesh-config and --discovery-address are mutually exclusive/,
    );
    // The injector's environment counts the same as the flag.
    assert.throws(
      () => parse(['--mesh-config', 'mesh.yaml'], { WEFT_DISCOVERY_ADDRESS: 'cp:15010' }),
      /mutually exclusive/,
    );
    assert.deepEqual(parse(['--discovery-address', 'a:1,b:2']).discoveryAddress, ['a:1', 'b:2']);
  });

  it('takes the cluster domain from the injector, cluster.local by default', () => {
    assert.equal(parse([]).clusterDomain, 'cluster.local');
    assert.equal(parse([], { WEFT_CLUSTER_DOMAIN: 'corp.example' }).clusterDomain, 'corp.example');
    assert.throws(() => parse(['--cluster-domain', 'Bad Domain']), /--cluster-domain/);
  });
});
