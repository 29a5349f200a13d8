// One check per field of a source, operation or condition: `principals` is a
// positive check (the value must match one entry), `notPrincipals` a negative
// one (it must match none). An absent value (a plaintext peer has no principal;
// a request may lack a header) never satisfies a positive check. For a negative
// check on a peer field it depends on the action, so that a missing identity
// never loosens security: an ALLOW check fails (it cannot allow a plaintext
// peer), a DENY or AUDIT check holds (it still denies or audits it).
import type { Attribute } from './attributes.js';
import type { Check, IndexKey, PolicyAction, RequestContext } from './types.js';

export interface CheckSpec<T> {
  readonly field: string;
  readonly attr: Attribute<T>;
  readonly values: readonly string[];
  readonly match: (value: T) => boolean;
  readonly negate: boolean;
  readonly action: PolicyAction;
  /** What a holding positive check implies of the value (the rule index); ignored when negated. */
  readonly key?: IndexKey | undefined;
}

function list(values: readonly string[]): string {
  const shown = values.slice(0, 5).join(', ');
  return `[${shown}${values.length > 5 ? `, ... ${values.length - 5} more` : ''}]`;
}

export function makeCheck<T>(s: CheckSpec<T>): Check {
  const absentHolds = s.negate && !(s.attr.peer && s.action === 'ALLOW');
  const { attr, match, negate } = s; // locals: test() runs per request
  const test = (ctx: RequestContext): boolean => {
    const v = attr.get(ctx);
    if (v === undefined) return absentHolds;
    return match(v) !== negate;
  };
  const why = (ctx: RequestContext): string => {
    const shown = s.attr.show(ctx);
    if (s.attr.get(ctx) === undefined) {
      return s.attr.peer
        ? `${s.field}: no verified peer identity (plaintext)`
        : `${s.field}: ${s.attr.name} is absent`;
    }
    return s.negate
      ? `${s.field}: ${s.attr.name} ${shown} matches ${list(s.values)}`
      : `${s.field}: ${s.attr.name} ${shown} not in ${list(s.values)}`;
  };
  const key = s.negate ? undefined : s.key;
  return { field: s.field, httpOnly: s.attr.httpOnly, test, why, ...(key ? { key } : {}) };
}
