// A policy object → the compiled form evaluate() runs. Never throws: a policy
// that cannot be applied comes back `valid: false` with its problems, in a
// fail-closed form: an invalid DENY (or CUSTOM, or unknown action) denies
// everything in the scope it might cover, an invalid ALLOW or AUDIT matches
// nothing (an ALLOW still switches its workloads to deny-by-default).
import { z } from 'zod';
import type { Builder } from './compile-fields.js';
import { compileRule } from './compile-rule.js';
import { indexRules } from './rule-index.js';
import type { Rule } from './schema.js';
import { AuthorizationPolicySpec, DRY_RUN_ANNOTATION } from './schema.js';
import type { CompiledPolicy, CompiledRule, PolicyAction, PolicyObject, Problem } from './types.js';

/** The rule an invalid DENY becomes: every request in its scope, TCP included. */
const MATCH_ALL: CompiledRule = { from: [], to: [], when: [], httpOnly: false };

const Selector = z.strictObject({ matchLabels: z.record(z.string(), z.string()).optional() });

function field(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`),
    'spec',
  );
}

/** The action as written; anything that is not ALLOW/AUDIT/absent is taken as DENY (fail closed). */
function actionOf(spec: unknown): { action: PolicyAction; written: unknown } {
  const written = (spec as { action?: unknown } | null | undefined)?.action;
  if (written === undefined || written === 'ALLOW') return { action: 'ALLOW', written };
  if (written === 'AUDIT') return { action: 'AUDIT', written };
  return { action: 'DENY', written };
}

/** The scope an invalid policy covers: its selector if that much parses, else the namespace. */
function selectorOf(spec: unknown): Record<string, string> | undefined {
  const raw = (spec as { selector?: unknown } | null | undefined)?.selector;
  const s = Selector.safeParse(raw);
  return s.success ? s.data.matchLabels : undefined;
}

function unsupported(spec: AuthorizationPolicySpec): Problem[] {
  const problems: Problem[] = [];
  if (spec.action === 'CUSTOM') {
    problems.push({
      field: 'spec.action',
      reason:
        'CUSTOM (external authorizer) is not supported by weft; the policy denies what it selects until it is removed',
    });
  } else if (spec.provider) {
    problems.push({ field: 'spec.provider', reason: 'provider is only for action CUSTOM' });
  }
  for (const f of ['targetRef', 'targetRefs'] as const) {
    if (spec[f]) {
      problems.push({ field: `spec.${f}`, reason: `${f} is not supported by weft; use selector` });
    }
  }
  return problems;
}

/** Istio #24665: `from` and `to` written as two list items are two ORed rules. */
function splitRuleWarning(rules: readonly Rule[]): string[] {
  const onlyFrom = rules.findIndex((r) => r.from?.length && !r.to?.length && !r.when?.length);
  const onlyTo = rules.findIndex((r) => r.to?.length && !r.from?.length && !r.when?.length);
  if (onlyFrom < 0 || onlyTo < 0) return [];
  return [
    `spec.rules[${onlyFrom}] has only from and spec.rules[${onlyTo}] only to: they are separate rules (ORed), so spec.rules[${onlyTo}] matches requests from any source; put from and to in one rule to require both (istio/istio#24665)`,
  ];
}

export function compilePolicy(p: PolicyObject): CompiledPolicy {
  const { action } = actionOf(p.spec);
  const base = {
    namespace: p.namespace,
    name: p.name,
    action,
    dryRun: p.annotations?.[DRY_RUN_ANNOTATION] === 'true',
  };
  const invalid = (problems: Problem[], warnings: string[] = []): CompiledPolicy => {
    const rules = action === 'DENY' ? [MATCH_ALL] : [];
    const selector = selectorOf(p.spec);
    return { ...base, valid: false, problems, warnings, selector, rules, index: indexRules(rules) };
  };
  const parsed = AuthorizationPolicySpec.safeParse(p.spec ?? {});
  if (!parsed.success) {
    return invalid(parsed.error.issues.map((i) => ({ field: field(i.path), reason: i.message })));
  }
  const spec = parsed.data;
  const b: Builder = { action, problems: unsupported(spec), warnings: [] };
  const rules = (spec.rules ?? []).map((r, i) => compileRule(b, `spec.rules[${i}]`, r));
  const warnings = [...b.warnings, ...splitRuleWarning(spec.rules ?? [])];
  if (b.problems.length > 0) return invalid(b.problems, warnings);
  return {
    ...base,
    valid: true,
    problems: [],
    warnings,
    selector: spec.selector?.matchLabels,
    rules,
    index: indexRules(rules),
  };
}
