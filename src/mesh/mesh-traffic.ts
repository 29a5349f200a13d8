// The TrafficPolicies in a mesh config, compiled once per config change (never
// per request) with src/traffic, and the settings in force per Service looked up
// once per Service and kept with the config. Each answer carries a `key` naming
// the policy version (or weft's defaults), so the sidecar keeps a Service's
// running state (retry budget, pool counters, outlier ejections) across config
// pushes that leave its policy alone, and starts afresh when the policy changes.
import { compileTrafficPolicy, trafficFor } from '../traffic/index.js';
import type { CompiledTrafficPolicy, ServiceTraffic } from '../traffic/index.js';
import type { TrafficPolicyEntry } from './config.js';
import { contentHash } from './view.js';

export interface ServiceTrafficKeyed extends ServiceTraffic {
  /** `ns/name@generation@created` of the policy in force, or `default`. */
  readonly key: string;
}

export interface TrafficProblems {
  readonly key: string;
  readonly policy: string;
  readonly problems: readonly { field: string; reason: string }[];
}

export interface MeshTraffic {
  readonly compiled: readonly CompiledTrafficPolicy[];
  /** What callers of the Service apply (weft's defaults when no valid policy targets it). */
  forService(service: { readonly namespace: string; readonly name: string }): ServiceTrafficKeyed;
  /** Invalid policies, for the sidecar to log once per version. */
  readonly problems: readonly TrafficProblems[];
  readonly byVersion: ReadonlyMap<string, CompiledTrafficPolicy>;
}

/**
 * A policy's version: its generation and creation time, and a hash of its spec (a
 * policy deleted and made again within one second has the same first two; see
 * routeVersionKey).
 */
export function trafficVersionKey(e: TrafficPolicyEntry): string {
  const spec = contentHash(JSON.stringify(e.spec) ?? '');
  return `${e.namespace}/${e.name}@${e.generation ?? '-'}@${e.creationTimestamp}@${spec}`;
}

export function compileTraffic(
  entries: readonly TrafficPolicyEntry[],
  previous?: MeshTraffic,
): MeshTraffic {
  const byVersion = new Map<string, CompiledTrafficPolicy>();
  const keys = entries.map(trafficVersionKey);
  const compiled = entries.map((e, i) => {
    const c = previous?.byVersion.get(keys[i]!) ?? compileTrafficPolicy(e);
    byVersion.set(keys[i]!, c);
    return c;
  });
  const keyOf = new Map(compiled.map((c, i) => [`${c.namespace}/${c.name}`, keys[i]!]));
  const problems = compiled.flatMap((c, i) =>
    c.valid ? [] : [{ key: keys[i]!, policy: `${c.namespace}/${c.name}`, problems: c.problems }],
  );
  // Keyed by the config's own Services, so bounded by it.
  const cache = new Map<string, ServiceTrafficKeyed>();
  return {
    compiled,
    problems,
    byVersion,
    forService(service) {
      const name = `${service.namespace}/${service.name}`;
      let t = cache.get(name);
      if (!t) {
        const found = trafficFor(compiled, service);
        t = { ...found, key: found.policy ? (keyOf.get(found.policy) ?? found.policy) : 'default' };
        cache.set(name, t);
      }
      return t;
    },
  };
}
