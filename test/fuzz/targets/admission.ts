// AdmissionReview JSON through the webhook's pure path: decode
// (src/k8s/admission.ts) → decide → inject → JSONPatch (webhook/admit.ts), as a
// function call. The webhook's port is reachable from inside the cluster, so the
// body is anyone's. Invariants: decode returns or refuses with bad_request;
// admission never answers 500 (an untyped error inside injection); an injected
// pod is what the patch makes of the input; injecting that pod again changes
// nothing (the webhook may run twice).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import jsonpatch from 'fast-json-patch';
import { ErrorCode } from '../../../src/errors.js';
import { parseAdmissionReview } from '../../../src/k8s/admission.js';
import { admit } from '../../../webhook/admit.js';
import { Annotation } from '../../../webhook/annotations.js';
import { inject } from '../../../webhook/inject.js';
import { InjectionConfigSchema } from '../../../webhook/injection-config.js';
import type { PodLike } from '../../../webhook/inject.js';
import { anyString, near } from '../arbitraries.js';
import type { FuzzTarget } from '../target.js';
import { parsesOrRefuses, violation } from '../target.js';

const config = InjectionConfigSchema.parse({});
const enabled = { name: 'shop', labels: { 'weft.dev/inject': 'enabled' } };

/** Any JSON value, shallow: goes anywhere a field is expected. */
const junk = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(null, [], {}, '', 0, -1, 1e308, true, '__proto__'),
);
/** A field that is usually the right type, sometimes anything. */
const maybe = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6, arbitrary: good }, junk);

const name = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('app', 'web', 'weft-proxy', 'weft-init', 'side') },
  anyString,
);
const portRef = fc.oneof(
  fc.integer({ min: -1, max: 70000 }),
  name,
  fc.constantFrom('8080', 'http'),
);
const probe = fc.oneof(
  fc.record({
    httpGet: maybe(
      fc.record(
        {
          port: portRef,
          path: anyString,
          scheme: fc.constantFrom('HTTP', 'HTTPS'),
          host: anyString,
          httpHeaders: maybe(fc.array(fc.record({ name: anyString, value: anyString }))),
        },
        { requiredKeys: ['port'] },
      ),
    ),
  }),
  fc.record({ tcpSocket: maybe(fc.record({ port: portRef })) }),
  fc.record({ exec: fc.record({ command: fc.array(anyString, { maxLength: 2 }) }) }),
  junk,
);
const container = fc.record(
  {
    name: maybe(name),
    image: maybe(fc.constant('example.com/app:1')),
    ports: maybe(
      fc.array(
        fc.record(
          {
            name: maybe(name),
            containerPort: maybe(fc.constantFrom(80, 8080, 15000, 15001, 15006, 15020, 0, 70000)),
          },
          { requiredKeys: ['containerPort'] },
        ),
        { maxLength: 3 },
      ),
    ),
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    env: maybe(fc.array(fc.record({ name: name, value: anyString }), { maxLength: 2 })),
  },
  { requiredKeys: ['name'] },
);
const volume = fc.record({ name: maybe(name), emptyDir: fc.constant({}) });
const status = fc
  .record({
    version: maybe(fc.constant('0.1.0')),
    initContainers: maybe(fc.array(name, { maxLength: 3 })),
    containers: maybe(fc.array(name, { maxLength: 3 })),
    volumes: maybe(fc.array(name, { maxLength: 3 })),
    annotations: maybe(fc.array(anyString, { maxLength: 3 })),
    native: maybe(fc.boolean()),
  })
  .map((s) => JSON.stringify(s));
const annotationValue = fc.oneof(
  near(['80', '8080', ',', '*', '10.0.0.0/8', '100m', 'Mi', 'true', 'debug'], 5),
  anyString,
);
const annotations = fc.dictionary(
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...Object.values(Annotation)) },
    fc.constantFrom('prometheus.io/port', 'kubectl.kubernetes.io/default-container'),
    anyString,
  ),
  fc.oneof({ weight: 6, arbitrary: annotationValue }, status, junk),
  { maxKeys: 4 },
);
const pod = fc.record(
  {
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Pod'),
    metadata: maybe(
      fc.record(
        {
          name: maybe(name),
          namespace: maybe(fc.constantFrom('shop', 'kube-system')),
          labels: maybe(
            fc.dictionary(fc.constantFrom('weft.dev/inject', 'app'), fc.oneof(anyString, junk), {
              maxKeys: 2,
            }),
          ),
          annotations: maybe(annotations),
        },
        { requiredKeys: [] },
      ),
    ),
    spec: maybe(
      fc.record(
        {
          containers: maybe(fc.array(container, { maxLength: 3 })),
          initContainers: maybe(fc.array(container, { maxLength: 2 })),
          volumes: maybe(fc.array(volume, { maxLength: 3 })),
          hostNetwork: maybe(fc.boolean()),
        },
        { requiredKeys: ['containers'] },
      ),
    ),
  },
  { requiredKeys: ['spec'] },
);
const request = fc.record(
  {
    uid: maybe(fc.constant('d0c1e8a1-0000-4000-8000-000000000001')),
    kind: maybe(
      fc.record({
        group: fc.constantFrom('', 'apps'),
        version: fc.constantFrom('v1', 'v1beta1'),
        kind: fc.constantFrom('Pod', 'Deployment'),
      }),
    ),
    operation: maybe(fc.constantFrom('CREATE', 'UPDATE')),
    namespace: maybe(fc.constantFrom('shop', 'weft-system')),
    object: maybe(pod),
    dryRun: maybe(fc.boolean()),
  },
  { requiredKeys: ['uid', 'kind', 'operation', 'object'] },
);
const review = fc.record(
  {
    apiVersion: maybe(fc.constant('admission.k8s.io/v1')),
    kind: maybe(fc.constant('AdmissionReview')),
    request: maybe(request),
  },
  { requiredKeys: ['apiVersion', 'kind', 'request'] },
);

/** The admission body as it arrives: JSON text, parsed the way express.json does. */
const body = fc.oneof({ weight: 8, arbitrary: review.map((r) => JSON.stringify(r)) }, anyString);

function checkInjected(input: PodLike, patch: string): void {
  const ops = JSON.parse(Buffer.from(patch, 'base64').toString()) as jsonpatch.Operation[];
  const patched = jsonpatch.applyPatch(structuredClone(input), ops, true, false).newDocument;
  const expected = inject(input, config);
  if (!isDeepStrictEqual(patched, expected)) violation('the patch does not give the injected pod');
  if (!isDeepStrictEqual(inject(patched, config), patched)) {
    violation('injecting the injected pod again changed it');
  }
}

export const admissionTarget: FuzzTarget<string> = {
  name: 'admission-review',
  weight: 1.5,
  quickRuns: 300,
  maxMsPerInput: 100,
  arbitrary: body,
  check(text) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return; // express.json answers 400 before weft sees it
    }
    const request = parsesOrRefuses(() => parseAdmissionReview(json), [ErrorCode.BadRequest]);
    if (!request) return;
    const admission = admit(request, config, () => ({
      ...enabled,
      name: request.namespace ?? 'shop',
    }));
    if (admission.response.status?.code === 500) {
      // Re-run the mutation alone to report the untyped error and its stack.
      parsesOrRefuses(() => inject(request.object as PodLike, config), [ErrorCode.BadRequest]);
      violation(`admission answered 500: ${admission.reason}`);
    }
    if (admission.response.patch)
      checkInjected(request.object as PodLike, admission.response.patch);
  },
};
