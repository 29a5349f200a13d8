// TrafficPolicies → the view's `traffic/<ns>/<name>` resources. Pure: discovery
// keeps the policies its informer sees and calls this on every (debounced)
// rebuild. Every policy reaches every sidecar, spec as stored: a policy applies
// to the callers of its Services, and any sidecar may call them. The sidecar
// compiles it with src/traffic (an invalid one applies nowhere).
import type { TrafficPolicyObject } from '../traffic/index.js';
import type { Resource } from './view.js';
import { trafficKey, withVersion } from './view.js';

/** One resource per policy object: an unchanged policy keeps its resource (no rehash). */
const built = new WeakMap<TrafficPolicyObject, Resource>();

function trafficResource(p: TrafficPolicyObject): Resource {
  let res = built.get(p);
  if (!res) {
    res = withVersion({
      kind: 'traffic',
      name: trafficKey(p.namespace, p.name),
      policy: {
        namespace: p.namespace,
        name: p.name,
        creationTimestamp: p.creationTimestamp,
        ...(p.generation !== undefined ? { generation: p.generation } : {}),
        spec: p.spec ?? {},
      },
    });
    built.set(p, res);
  }
  return res;
}

/** Adds a resource for every TrafficPolicy to `into` (the shared view). */
export function addTrafficResources(
  into: Map<string, Resource>,
  policies: Iterable<TrafficPolicyObject>,
): void {
  for (const p of policies) {
    const res = trafficResource(p);
    into.set(res.name, res);
  }
}
