// Filters and backendRefs of a rule → their compiled form, with the spec's
// combination rules: one of each filter type except RequestMirror, never
// URLRewrite with RequestRedirect (IncompatibleFilters), ReplacePrefixMatch only
// on a rule whose every match is a PathPrefix, each filter carrying exactly the
// config its type names.
import type { HttpBackendRef, HttpFilter, PathModifier, RequestMirror } from './schema.js';
import type { BackendRef, CompiledFilter, CompiledMatch, Mirror, ProblemReason } from './types.js';

export interface RuleSink {
  readonly namespace: string;
  problem(field: string, message: string, reason?: ProblemReason): void;
}

const CONFIG_FIELD = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  URLRewrite: 'urlRewrite',
  RequestRedirect: 'requestRedirect',
  RequestMirror: 'requestMirror',
} as const;

export function backendRef(
  s: RuleSink,
  field: string,
  b: Pick<HttpBackendRef, 'group' | 'kind' | 'name' | 'namespace' | 'port' | 'weight'>,
): BackendRef {
  const group = b.group ?? '';
  const kind = b.kind ?? 'Service';
  if (group === '' && kind === 'Service' && b.port === undefined) {
    s.problem(`${field}.port`, 'must have port for Service reference');
  }
  return {
    group,
    kind,
    namespace: b.namespace ?? s.namespace,
    name: b.name,
    port: b.port,
    weight: b.weight ?? 1,
  };
}

function mirror(s: RuleSink, field: string, m: RequestMirror): Mirror {
  if (m.percent !== undefined && m.fraction !== undefined) {
    s.problem(field, 'only one of percent or fraction may be specified');
  }
  let fraction = 1;
  if (m.percent !== undefined) fraction = m.percent / 100;
  if (m.fraction) {
    const d = m.fraction.denominator ?? 100;
    if (m.fraction.numerator > d) {
      s.problem(`${field}.fraction`, 'numerator must be less than or equal to denominator');
    }
    fraction = Math.min(1, m.fraction.numerator / d);
  }
  return { backend: backendRef(s, `${field}.backendRef`, m.backendRef), fraction };
}

function pathModifier(s: RuleSink, field: string, p: PathModifier | undefined): void {
  if (!p) return;
  const full = p.replaceFullPath !== undefined;
  const prefix = p.replacePrefixMatch !== undefined;
  if (p.type === 'ReplaceFullPath' ? !full || prefix : !prefix || full) {
    s.problem(
      field,
      `type ${p.type} needs ${p.type === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch'} and only that`,
    );
  }
}

function one(s: RuleSink, field: string, f: HttpFilter): CompiledFilter | undefined {
  const want = CONFIG_FIELD[f.type];
  const given = Object.keys(f).filter((k) => k !== 'type');
  if (given.length !== 1 || given[0] !== want) {
    s.problem(field, `filter type ${f.type} needs ${want} and only that`);
    return undefined;
  }
  switch (f.type) {
    case 'RequestHeaderModifier':
      return { type: f.type, modifier: f.requestHeaderModifier ?? {} };
    case 'ResponseHeaderModifier':
      return { type: f.type, modifier: f.responseHeaderModifier ?? {} };
    case 'URLRewrite':
      pathModifier(s, `${field}.urlRewrite.path`, f.urlRewrite?.path);
      return { type: f.type, rewrite: f.urlRewrite ?? {} };
    case 'RequestRedirect':
      pathModifier(s, `${field}.requestRedirect.path`, f.requestRedirect?.path);
      return { type: f.type, redirect: f.requestRedirect ?? {} };
    case 'RequestMirror':
      return f.requestMirror
        ? { type: f.type, mirror: mirror(s, `${field}.requestMirror`, f.requestMirror) }
        : undefined;
  }
}

function usesPrefixReplacement(f: CompiledFilter): boolean {
  const p =
    f.type === 'URLRewrite'
      ? f.rewrite.path
      : f.type === 'RequestRedirect'
        ? f.redirect.path
        : undefined;
  return p?.type === 'ReplacePrefixMatch';
}

export function compileFilters(
  s: RuleSink,
  field: string,
  filters: readonly HttpFilter[],
  matches: readonly CompiledMatch[],
): CompiledFilter[] {
  const out: CompiledFilter[] = [];
  const seen = new Set<string>();
  filters.forEach((f, i) => {
    if (f.type !== 'RequestMirror' && seen.has(f.type)) {
      s.problem(`${field}[${i}]`, `${f.type} filter cannot be repeated`, 'IncompatibleFilters');
    }
    seen.add(f.type);
    const c = one(s, `${field}[${i}]`, f);
    if (c) out.push(c);
  });
  if (seen.has('URLRewrite') && seen.has('RequestRedirect')) {
    s.problem(
      field,
      'may specify either RequestRedirect or URLRewrite, but not both',
      'IncompatibleFilters',
    );
  }
  if (out.some(usesPrefixReplacement) && matches.some((m) => m.path?.type !== 'PathPrefix')) {
    s.problem(
      field,
      'ReplacePrefixMatch is only compatible with PathPrefix matches',
      'IncompatibleFilters',
    );
  }
  return out;
}

/** Header filters on a backendRef (the spec allows the same types there). */
export function backendFilters(
  s: RuleSink,
  field: string,
  filters: readonly HttpFilter[],
): Pick<BackendRef, 'requestHeaders' | 'responseHeaders'> {
  const c = compileFilters(s, field, filters, []);
  const out: {
    requestHeaders?: BackendRef['requestHeaders'];
    responseHeaders?: BackendRef['responseHeaders'];
  } = {};
  c.forEach((f, i) => {
    if (f.type === 'RequestHeaderModifier') out.requestHeaders = f.modifier;
    else if (f.type === 'ResponseHeaderModifier') out.responseHeaders = f.modifier;
    else s.problem(`${field}[${i}]`, `${f.type} on a backendRef is not implemented by weft`);
  });
  return out;
}
