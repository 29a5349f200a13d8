// A policy's rule index, built when the policy compiles, so that a request is
// tried against the few rules it could match instead of all of them. A rule is
// keyed by one field it cannot match without: a positive check (never a not-
// field) on the path, principal, destination port or method whose values are all
// exact or `prefix*` (wildcards `*`, `*suffix`, path templates, hosts: no key).
// From a rule's from[] (every entry must have such a check: the union of their
// keys), its to[] (likewise) or one of its when[] conditions (each must hold),
// the most selective is kept. Rules with no key are the residual, tried always.
//
// A request is tried against the rules its values key plus the residual, in rule
// order, so the first that matches is the one a scan of every rule finds: Istio's
// deciding rule. A rule left out has a check that cannot hold. Not so on TCP, where
// DENY and AUDIT rules skip their HTTP-only checks: there evaluate() scans.
import { ATTRIBUTES } from './attributes.js';
import type { StringKeys } from './string-match.js';
import type {
  AttributeIndex,
  Clause,
  CompiledRule,
  IndexKey,
  IndexedAttribute,
  RequestContext,
  RuleIndex,
} from './types.js';

/** The indexed attributes, most selective first (a path names one endpoint; GET names most). */
const RANK: ReadonlyMap<IndexedAttribute, number> = new Map<IndexedAttribute, number>([
  [ATTRIBUTES.path, 0],
  [ATTRIBUTES.principal, 1],
  [ATTRIBUTES.port, 2],
  [ATTRIBUTES.method, 3],
]);

/** The key of a positive check on `attr` whose values are `keys`; none if attr is not indexed. */
export function indexKey(
  attr: IndexedAttribute,
  keys: StringKeys | undefined,
): IndexKey | undefined {
  if (!keys || !RANK.has(attr)) return undefined;
  return { attr, exact: keys.exact, prefixes: keys.prefixes };
}

interface Keyed {
  readonly rank: number;
  readonly keys: readonly IndexKey[];
}

const rankOf = (k: IndexKey): number => RANK.get(k.attr) ?? Infinity;

/** The best key among ANDed checks: any one of them must hold. */
function clauseKey(c: Clause): IndexKey | undefined {
  let best: IndexKey | undefined;
  for (const check of c)
    if (check.key && (!best || rankOf(check.key) < rankOf(best))) best = check.key;
  return best;
}

/** ORed entries: one must hold, so every entry needs a key; ranked by its worst. */
function entriesKeyed(entries: readonly Clause[]): Keyed | undefined {
  if (entries.length === 0) return undefined;
  const keys: IndexKey[] = [];
  for (const c of entries) {
    const k = clauseKey(c);
    if (!k) return undefined;
    keys.push(k);
  }
  return { rank: Math.max(...keys.map(rankOf)), keys };
}

/** A necessary condition of the rule as keys (one must match), or none. */
export function ruleKeys(r: CompiledRule): readonly IndexKey[] | undefined {
  const when = clauseKey(r.when);
  const options = [
    entriesKeyed(r.from),
    entriesKeyed(r.to),
    when ? { rank: rankOf(when), keys: [when] } : undefined,
  ];
  let best: Keyed | undefined;
  for (const o of options) if (o && (!best || o.rank < best.rank)) best = o;
  return best?.keys;
}

interface Building {
  readonly attr: IndexedAttribute;
  readonly exact: Map<string, number[]>;
  readonly prefixes: Map<string, number[]>;
}

/** Adds rule `i` to a list; rules are added in order, so lists stay ascending and unique. */
function add(map: Map<string, number[]>, value: string, i: number): void {
  const list = map.get(value);
  if (!list) map.set(value, [i]);
  else if (list[list.length - 1] !== i) list.push(i);
}

export function indexRules(rules: readonly CompiledRule[]): RuleIndex {
  const byAttr = new Map<IndexedAttribute, Building>();
  const residual: number[] = [];
  for (const [i, r] of rules.entries()) {
    const keys = ruleKeys(r);
    if (!keys) residual.push(i);
    for (const k of keys ?? []) {
      let b = byAttr.get(k.attr);
      if (!b) byAttr.set(k.attr, (b = { attr: k.attr, exact: new Map(), prefixes: new Map() }));
      for (const v of k.exact) add(b.exact, v, i);
      for (const p of k.prefixes) add(b.prefixes, p, i);
    }
  }
  const attrs: AttributeIndex[] = [...byAttr.values()].map((b) => ({
    ...b,
    lengths: [...new Set([...b.prefixes.keys()].map((p) => p.length))].sort((x, y) => x - y),
  }));
  return { attrs, residual };
}

const NONE: readonly number[] = [];

/** The rules one attribute's value keys: its exact list and each prefix it starts with. */
function lookup(a: AttributeIndex, ctx: RequestContext, lists: (readonly number[])[]): void {
  const v = a.attr.get(ctx);
  if (v === undefined) return;
  const exact = a.exact.get(v);
  if (exact) lists.push(exact);
  for (const len of a.lengths) {
    if (len > v.length) return;
    const l = a.prefixes.get(v.slice(0, len));
    if (l) lists.push(l);
  }
}

/**
 * The rules an HTTP request may match, ascending: every rule not listed has a
 * check that cannot hold for it. Usually one list as built (no copy).
 */
export function candidates(ix: RuleIndex, ctx: RequestContext): readonly number[] {
  const lists: (readonly number[])[] = [];
  for (const a of ix.attrs) lookup(a, ctx, lists);
  if (ix.residual.length > 0) lists.push(ix.residual);
  if (lists.length === 0) return NONE;
  if (lists.length === 1) return lists[0]!;
  const all = lists.flat().sort((x, y) => x - y);
  return all.filter((v, i) => i === 0 || v !== all[i - 1]);
}
