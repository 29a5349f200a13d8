// Istio's evaluation, exactly: any matching DENY → deny; no ALLOW policy for the
// workload → allow; any matching ALLOW → allow; else deny. AUDIT never changes
// the decision. Dry-run policies are evaluated and reported, never enforced.
// Pure and allocation-light: the caller passes the policies selectPolicies chose.
import { prepare } from './context.js';
import { candidates } from './rule-index.js';
import type { Clause, CompiledPolicy, CompiledRule, Decision, RequestContext } from './types.js';

const ref = (p: CompiledPolicy): string => `${p.namespace}/${p.name}`;

function clauseHolds(c: Clause, ctx: RequestContext, skipHttp: boolean): boolean {
  for (const check of c) {
    if (skipHttp && check.httpOnly) continue;
    if (!check.test(ctx)) return false;
  }
  return true;
}

/**
 * TCP semantics (Istio's): an ALLOW rule with HTTP-only fields never matches TCP;
 * a DENY or AUDIT rule matches TCP on the fields it can check.
 */
function ruleMatches(r: CompiledRule, ctx: RequestContext, p: CompiledPolicy): boolean {
  const skipHttp = ctx.tcp && r.httpOnly;
  if (skipHttp && p.action === 'ALLOW') return false;
  return (
    anyHolds(r.from, ctx, skipHttp) &&
    anyHolds(r.to, ctx, skipHttp) &&
    clauseHolds(r.when, ctx, skipHttp)
  );
}

/** One entry of from/to must hold; none listed = any. A loop, not .some(): this runs per request. */
function anyHolds(entries: readonly Clause[], ctx: RequestContext, skipHttp: boolean): boolean {
  if (entries.length === 0) return true;
  for (const c of entries) if (clauseHolds(c, ctx, skipHttp)) return true;
  return false;
}

/** The index of the first matching rule, or -1, trying every rule in order. */
export function firstMatchScan(p: CompiledPolicy, ctx: RequestContext): number {
  for (let i = 0; i < p.rules.length; i++) if (ruleMatches(p.rules[i]!, ctx, p)) return i;
  return -1;
}

/**
 * The index of the first matching rule, or -1: on HTTP only the rules the index
 * gives (rule-index.ts: the others cannot match), on TCP every rule.
 */
export function firstMatch(p: CompiledPolicy, ctx: RequestContext): number {
  if (ctx.tcp) return firstMatchScan(p, ctx);
  for (const i of candidates(p.index, ctx)) if (ruleMatches(p.rules[i]!, ctx, p)) return i;
  return -1;
}

function clauseWhy(c: Clause, ctx: RequestContext): string {
  return c.find((check) => !check.test(ctx))?.why(ctx) ?? 'matched';
}

function ruleWhy(r: CompiledRule, ctx: RequestContext, p: CompiledPolicy): string {
  if (ctx.tcp && r.httpOnly) return 'uses HTTP-only fields, so it is ignored on TCP';
  if (r.from.length > 0 && !r.from.some((c) => clauseHolds(c, ctx, false))) {
    return r.from.map((c) => clauseWhy(c, ctx)).join(' / ');
  }
  if (r.to.length > 0 && !r.to.some((c) => clauseHolds(c, ctx, false))) {
    return r.to.map((c) => clauseWhy(c, ctx)).join(' / ');
  }
  return ruleMatches(r, ctx, p) ? 'matched' : clauseWhy(r.when, ctx);
}

/** Why an ALLOW policy did not match this request (the deny explanation). */
export function explain(p: CompiledPolicy, ctx: RequestContext): string {
  if (!p.valid) {
    const first = p.problems[0];
    return `invalid, matches nothing: ${first ? `${first.field}: ${first.reason}` : ''}`;
  }
  if (p.rules.length === 0) return 'has no rules: allows nothing';
  const shown = p.rules.slice(0, EXPLAINED_RULES).map((r, i) => `rule ${i}: ${ruleWhy(r, ctx, p)}`);
  const more = p.rules.length - EXPLAINED_RULES;
  return [...shown, ...(more > 0 ? [`${more} more rules did not match`] : [])].join('; ');
}

/** Rules explained per policy: enough to see the pattern, bounded for a log line. */
const EXPLAINED_RULES = 8;

/**
 * The explanation is computed when read, not per denied request: a peer can
 * cause denials at will, and the sidecar may not log each one.
 */
function considered(p: CompiledPolicy, ctx: RequestContext): { policy: string; why: string } {
  let why: string | undefined;
  return {
    policy: ref(p),
    get why(): string {
      return (why ??= explain(p, ctx));
    },
  };
}

interface Tally {
  deny?: { policy: string; rule: number };
  allow?: { policy: string; rule: number };
  decision: Decision;
}

/** A policy list split by what evaluation does with each policy, in the list's order. */
interface Split {
  /** DENY and AUDIT policies, dry-run or not: each is checked for a match. */
  readonly denyAudit: readonly CompiledPolicy[];
  /** Enforced ALLOW policies: the first that matches allows. */
  readonly allows: readonly CompiledPolicy[];
  /** Dry-run ALLOW policies: reported, never enforced. */
  readonly dryAllows: readonly CompiledPolicy[];
}

// The sidecar passes the same list for every request until its config changes:
// split once per list, not per request.
const splits = new WeakMap<readonly CompiledPolicy[], Split>();

function split(policies: readonly CompiledPolicy[]): Split {
  let s = splits.get(policies);
  if (!s) {
    const allow = policies.filter((p) => p.action === 'ALLOW');
    s = {
      denyAudit: policies.filter((p) => p.action !== 'ALLOW'),
      allows: allow.filter((p) => !p.dryRun),
      dryAllows: allow.filter((p) => p.dryRun),
    };
    splits.set(policies, s);
  }
  return s;
}

function runDeniesAndAudits(policies: Split, ctx: RequestContext, t: Tally): void {
  for (const p of policies.denyAudit) {
    const hit = firstMatch(p, ctx);
    if (hit < 0) continue;
    const rule = p.valid ? hit : -1; // an invalid policy decides as a whole
    if (p.action === 'AUDIT') t.decision.audit.push({ policy: ref(p), rule });
    else if (p.dryRun) t.decision.dryRun.push({ policy: ref(p), rule, wouldAllow: false });
    else t.deny ??= { policy: ref(p), rule };
  }
}

function runAllows(policies: Split, ctx: RequestContext, t: Tally): void {
  for (const p of policies.allows) {
    const rule = firstMatch(p, ctx);
    if (rule >= 0) {
      t.allow = { policy: ref(p), rule };
      return;
    }
  }
}

/**
 * Dry-run ALLOW policies: one that matches would allow (unless a DENY, real or
 * dry-run, matched too); when none matches and no enforced ALLOW did either, each
 * would deny (rule -1): that is the request the policy, once enforced, refuses.
 */
function runDryRunAllows(policies: Split, ctx: RequestContext, t: Tally): void {
  const dry = policies.dryAllows;
  if (dry.length === 0) return;
  const denied = t.deny !== undefined || t.decision.dryRun.length > 0;
  const hits = dry.map((p) => ({ p, rule: firstMatch(p, ctx) }));
  const anyHit = hits.some((h) => h.rule >= 0) || t.allow !== undefined;
  for (const { p, rule } of hits) {
    if (rule >= 0) t.decision.dryRun.push({ policy: ref(p), rule, wouldAllow: !denied });
    else if (!anyHit) t.decision.dryRun.push({ policy: ref(p), rule: -1, wouldAllow: false });
  }
}

/** The decision, filled in place: evaluate() owns it, so no copy is made per request. */
function decided(
  d: Decision,
  allow: boolean,
  reason: Decision['reason'],
  by?: { policy: string; rule: number },
): Decision {
  d.allow = allow;
  d.reason = reason;
  if (by) {
    d.policy = by.policy;
    d.rule = by.rule;
  }
  return d;
}

export function evaluate(
  policies: readonly CompiledPolicy[],
  req: Parameters<typeof prepare>[0],
): Decision {
  const ctx = prepare(req);
  const byAction = split(policies);
  const decision: Decision = {
    allow: false,
    reason: 'no-allow-matched',
    audit: [],
    dryRun: [],
    considered: [],
  };
  const t: Tally = { decision };
  runDeniesAndAudits(byAction, ctx, t);
  if (t.deny) {
    runDryRunAllows(byAction, ctx, t);
    return decided(decision, false, 'denied-by-policy', t.deny);
  }
  if (byAction.allows.length > 0) runAllows(byAction, ctx, t);
  runDryRunAllows(byAction, ctx, t);
  if (byAction.allows.length === 0) return decided(decision, true, 'default-allow');
  if (t.allow) return decided(decision, true, 'allowed-by-policy', t.allow);
  decision.considered = byAction.allows.map((p) => considered(p, ctx));
  return decision;
}
