// Field → check builders for compile-rule.ts. Each builder validates its
// values (reporting problems against the field's path) and returns the check,
// or nothing when the field is unset or empty (Istio: empty = not set).
import type { Attribute } from './attributes.js';
import { makeCheck } from './checks.js';
import { compileBlocks } from './ip-match.js';
import { compilePaths } from './path-match.js';
import { indexKey } from './rule-index.js';
import { compileStrings } from './string-match.js';
import type { Check, PolicyAction, Problem } from './types.js';

/** What every builder shares while one policy compiles. */
export interface Builder {
  readonly action: PolicyAction;
  readonly problems: Problem[];
  readonly warnings: string[];
}

export interface FieldArgs<T> {
  readonly field: string;
  readonly attr: Attribute<T>;
  readonly values: readonly string[] | undefined;
  readonly negate: boolean;
}

function starWarning(b: Builder, field: string, stars: readonly string[]): void {
  for (const s of stars) {
    b.warnings.push(
      `${field}: "${s}" has a * that is not leading or trailing; it matches literally`,
    );
  }
}

/** exact / prefix* / *suffix / * over a text attribute; `fold` for case-insensitive hosts. */
export function stringCheck(b: Builder, a: FieldArgs<string>, fold = false): Check | undefined {
  if (!a.values?.length) return undefined;
  const c = compileStrings(a.values, fold);
  starWarning(b, a.field, c.literalStars);
  const key = indexKey(a.attr, c.keys);
  return makeCheck({ ...a, values: a.values, match: c.match, action: b.action, key });
}

export function pathCheck(b: Builder, a: FieldArgs<string>): Check | undefined {
  if (!a.values?.length) return undefined;
  const c = compilePaths(a.values);
  for (const reason of c.errors) b.problems.push({ field: a.field, reason });
  starWarning(b, a.field, c.literalStars);
  const key = indexKey(a.attr, c.keys);
  return makeCheck({ ...a, values: a.values, match: c.match, action: b.action, key });
}

export function ipCheck(b: Builder, a: FieldArgs<Uint8Array>): Check | undefined {
  if (!a.values?.length) return undefined;
  const c = compileBlocks(a.values);
  for (const reason of c.errors) b.problems.push({ field: a.field, reason });
  return makeCheck({ ...a, values: a.values, match: c.match, action: b.action });
}

export function portCheck(b: Builder, a: FieldArgs<string>): Check | undefined {
  if (!a.values?.length) return undefined;
  for (const v of a.values) {
    if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
      b.problems.push({ field: a.field, reason: `"${v}" is not a port number 1-65535` });
    }
  }
  const set = new Set(a.values.map((v) => String(Number(v))));
  const key = indexKey(a.attr, { exact: [...set], prefixes: [] });
  const match = (v: string): boolean => set.has(v);
  return makeCheck({ ...a, values: a.values, match, action: b.action, key });
}

/** principals / source.principal: Istio's form, without the spiffe:// scheme. */
export function principalCheck(b: Builder, a: FieldArgs<string>): Check | undefined {
  for (const v of a.values ?? []) {
    if (v.startsWith('spiffe://')) {
      b.problems.push({
        field: a.field,
        reason: `"${v}": write principals without the scheme, as Istio does (${v.slice(9)})`,
      });
    }
  }
  return stringCheck(b, a);
}

/** serviceAccounts: `<namespace>/<serviceaccount>`, exact only (Istio's rule). */
export function serviceAccountCheck(b: Builder, a: FieldArgs<string>): Check | undefined {
  if (!a.values?.length) return undefined;
  for (const v of a.values) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v)) {
      b.problems.push({
        field: a.field,
        reason: `"${v}" must be <namespace>/<serviceaccount> (exact; no wildcards)`,
      });
    }
  }
  const set = new Set(a.values);
  return makeCheck({ ...a, values: a.values, match: (v) => set.has(v), action: b.action });
}
