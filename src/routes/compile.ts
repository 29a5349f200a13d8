// A route object → the compiled form the matcher runs. Never throws. Problems are
// kept per rule: a rule weft cannot apply is dropped and named (the spec's
// PartiallyInvalid "Dropped Rule"), the others still apply; a route whose
// envelope is bad, or none of whose rules survives, is not applied at all
// (Accepted False), and requests to its Service fall back to the other routes,
// or to the Service itself when none is left.
import { z } from 'zod';
import { compileRule } from './compile-rule.js';
import { GATEWAY_GROUP, Hostname, ParentReference } from './schema.js';
import type { CompiledRoute, CompiledRule, Problem, RouteObject, ServiceParent } from './types.js';
import { zodProblems } from './zod-problems.js';

const ParentRefs = z.array(ParentReference).max(32).optional();
const Envelope = z.strictObject({
  parentRefs: ParentRefs,
  hostnames: z.array(Hostname).max(16).optional(),
  rules: z.array(z.unknown()).max(16).optional(),
});

/** Is this parentRef a Service (the CRD defaults group and kind to a Gateway)? */
export function isServiceRef(p: {
  group?: string | undefined;
  kind?: string | undefined;
}): boolean {
  return (p.group ?? GATEWAY_GROUP) === '' && (p.kind ?? 'Gateway') === 'Service';
}

function parents(
  r: RouteObject,
  refs: readonly ParentReference[],
  problems: Problem[],
): ServiceParent[] {
  const out: ServiceParent[] = [];
  refs.forEach((p, index) => {
    if (!isServiceRef(p)) return; // a Gateway's (or another mesh's) parent: not weft's
    const sectionName = p.sectionName !== undefined;
    if (sectionName) {
      problems.push({
        field: `spec.parentRefs[${index}].sectionName`,
        reason: 'UnsupportedValue',
        message: 'sectionName is not used for a Service parent; use port',
      });
    }
    out.push({
      namespace: p.namespace ?? r.namespace,
      name: p.name,
      port: p.port,
      index,
      ref: p,
      attached: !sectionName,
    });
  });
  return out;
}

export function compileRoute(r: RouteObject): CompiledRoute {
  const base = {
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    creationTimestamp: r.creationTimestamp,
    generation: r.generation,
  };
  const env = Envelope.safeParse(r.spec ?? {});
  if (!env.success) {
    // The parents still get a status saying why, when their own refs parse.
    const refs = ParentRefs.safeParse((r.spec as { parentRefs?: unknown } | null)?.parentRefs);
    return {
      ...base,
      valid: false,
      problems: zodProblems('spec', env.error),
      warnings: [],
      parents: refs.success ? parents(r, refs.data ?? [], []) : [],
      rules: [],
      ruleCount: 0,
      backendRefs: [],
    };
  }
  const problems: Problem[] = [];
  const ps = parents(r, env.data.parentRefs ?? [], problems);
  const warnings = env.data.hostnames?.length
    ? ['spec.hostnames has no effect on a Service parent (GEP-1426); match the Host header instead']
    : [];
  // The CRD defaults an absent rules list to one rule matching every request.
  const raw = env.data.rules ?? [{}];
  const rules: CompiledRule[] = [];
  raw.forEach((rule, i) => {
    const c = compileRule(r.kind, r.namespace, rule, i);
    if ('rule' in c) rules.push(c.rule);
    else problems.push(...c.problems);
  });
  return {
    ...base,
    valid: rules.length > 0,
    problems,
    warnings,
    parents: ps,
    rules,
    ruleCount: raw.length,
    backendRefs: rules.flatMap((rule) => [
      ...rule.backends.map((ref, i) => ({
        field: `spec.rules[${rule.index}].backendRefs[${i}]`,
        ref,
      })),
      ...rule.filters.flatMap((f, i) =>
        f.type === 'RequestMirror'
          ? [
              {
                field: `spec.rules[${rule.index}].filters[${i}].requestMirror.backendRef`,
                ref: f.mirror.backend,
              },
            ]
          : [],
      ),
    ]),
  };
}
