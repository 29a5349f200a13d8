// The mesh config loader (src/mesh/load.ts → config.ts → mesh-index.ts): today a
// file, next a stream from the control plane. Any text either parses into a
// config the index compiles and answers lookups on, or is refused as
// config_invalid naming the field; never a crash, never seconds of work.
import fc from 'fast-check';
import YAML from 'yaml';
import { ErrorCode } from '../../../src/errors.js';
import { parseMeshConfig } from '../../../src/mesh/load.js';
import { compileMesh } from '../../../src/mesh/mesh-index.js';
import { anyString, mutated, near } from '../arbitraries.js';
import type { FuzzTarget } from '../target.js';
import { parsesOrRefuses } from '../target.js';

const label = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z]([-a-z0-9]{0,6}[a-z0-9])?$/) },
  anyString,
);
const ip = fc.oneof(fc.ipV4(), fc.ipV6(), anyString);
const portNumber = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  fc.constantFrom(0, -1, 65536, 1.5, Number.MAX_SAFE_INTEGER, '80'),
);
const identity = fc.oneof(
  fc.tuple(label, label).map(([ns, sa]) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`),
  anyString,
);
const servicePort = fc.record(
  {
    port: portNumber,
    targetPort: portNumber,
    name: near(['http', 'grpc', 'tcp', '-', 'web', 'h2c', 'HTTP'], 4),
    appProtocol: fc.constantFrom('http', 'grpc', 'kubernetes.io/h2c', 'HTTP2', 'tcp', 'x'),
  },
  { requiredKeys: ['port'] },
);
const endpoint = fc.record(
  { address: ip, identity, workload: label, mtls: fc.boolean() },
  { requiredKeys: ['address', 'identity'] },
);
const loadBalancer = fc.oneof(
  fc.constantFrom('ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM').map((policy) => ({ policy })),
  fc.record({
    policy: fc.constant('RING_HASH'),
    hashOn: fc.oneof(
      label.map((header) => ({ header })),
      label.map((cookie) => ({ cookie })),
    ),
  }),
);
const service = fc.record(
  {
    name: label,
    namespace: label,
    addresses: fc.array(ip, { maxLength: 3 }),
    ports: fc.array(servicePort, { minLength: 1, maxLength: 3 }),
    loadBalancer,
    endpoints: fc.array(endpoint, { maxLength: 4 }),
  },
  { requiredKeys: ['name', 'namespace', 'ports'] },
);
const mode = fc.constantFrom('STRICT', 'PERMISSIVE', 'DISABLE', 'strict');
const config = fc.record(
  {
    clusterDomain: fc.oneof(fc.constant('cluster.local'), label),
    inbound: fc.record(
      {
        mode,
        ports: fc.array(
          fc.record(
            { port: portNumber, mode, protocol: fc.constantFrom('http', 'tcp', 'grpc', 'x') },
            { requiredKeys: ['port'] },
          ),
          { maxLength: 3 },
        ),
      },
      { requiredKeys: [] },
    ),
    services: fc.array(service, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const asJson = config.map((c) => JSON.stringify(c));
const asYaml = config.map((c) => YAML.stringify(c));
/** YAML's own features: anchors and aliases, tags, deep nesting, odd scalars. */
const yamlFeatures = near(
  [
    'services:\n',
    '- &a {name: x, namespace: y, ports: [{port: 80}]}\n',
    '- *a\n',
    'x: &b [*b]\n',
    '!!binary AAAA',
    '!!js/function "x"',
    '[[[[[[[[[[',
    '{{{{{{{{',
    '? complex\n: key\n',
    '<<: *a\n',
    '0x1F',
    '.inf',
    '~',
    '---\n',
    '%YAML 1.1\n',
    '  ',
    '"\\u0000"',
  ],
  20,
);
const deep = fc
  .tuple(fc.integer({ min: 1, max: 1000 }), fc.constantFrom('[', '{a: ', '- '))
  .map(([n, open]) => open.repeat(n));

export const meshConfigTarget: FuzzTarget<{ text: string; host: string; port: number }> = {
  name: 'mesh-config',
  weight: 0.1,
  quickRuns: 100,
  maxMsPerInput: 500,
  arbitrary: fc.record({
    text: fc.oneof(
      { weight: 3, arbitrary: asYaml },
      { weight: 2, arbitrary: asJson },
      mutated(asYaml),
      yamlFeatures,
      deep,
      anyString,
    ),
    host: fc.oneof(label, fc.ipV4(), anyString, fc.constant('[::1]:80')),
    port: fc.integer({ min: 0, max: 70000 }),
  }),
  check({ text, host, port }) {
    const parsed = parsesOrRefuses(
      () => parseMeshConfig(text, 'fuzz.yaml'),
      [ErrorCode.ConfigInvalid],
    );
    if (!parsed) return;
    // An accepted config must compile and answer every lookup without throwing.
    const mesh = compileMesh(parsed, 'shop');
    mesh.byHost(host, port);
    mesh.byDestination(host, port);
    mesh.inbound(port);
    mesh.endpointAt(host);
    mesh.serviceAt(host, port);
    for (const s of parsed.services) mesh.identities(s);
  },
};
