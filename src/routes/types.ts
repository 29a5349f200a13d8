// The routing contract shared by the sidecar (applying routes), discovery (status,
// streaming) and the plugin (`kubectl weft route-check`): route objects in,
// decisions out, each decision naming the route, rule and match that made it.
// Pure data, no I/O.
import type { CompiledRegex } from './regex.js';
import type { HeaderModifier, ParentReference, RequestRedirect, UrlRewrite } from './schema.js';

export type RouteKind = 'HTTPRoute' | 'GRPCRoute';

/** An HTTPRoute or GRPCRoute as read from the API server (or the discovery stream). */
export interface RouteObject {
  kind: RouteKind;
  namespace: string;
  name: string;
  /** metadata.creationTimestamp (RFC 3339): the first tie-breaker across routes. */
  creationTimestamp: string;
  generation?: number;
  /** The raw `spec`; compileRoute validates it and never throws. */
  spec: unknown;
}

/** The Route condition reasons weft sets when it refuses part of a route. */
export type ProblemReason = 'UnsupportedValue' | 'IncompatibleFilters';

export interface Problem {
  /** The offending field under the object, e.g. `spec.rules[0].matches[1].path.value`. */
  field: string;
  reason: ProblemReason;
  message: string;
}

/** A parentRef that names a Service (the only parent a mesh route has). */
export interface ServiceParent {
  namespace: string;
  name: string;
  /** Undefined: every port of the Service (GEP-1426). */
  port: number | undefined;
  /** Index in spec.parentRefs, for status. */
  index: number;
  /** The parentRef as written (status repeats it). */
  ref: ParentReference;
  /** False when weft refuses this parentRef (sectionName): it gets status, not traffic. */
  attached: boolean;
}

export type StringTest = (value: string) => boolean;

export interface HeaderTest {
  /** Lowercase. */
  readonly name: string;
  readonly test: StringTest;
}

export interface CompiledMatch {
  /** Index in the rule's matches (-1: the implicit PathPrefix "/" of a rule without matches). */
  readonly index: number;
  readonly path?: {
    readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
    readonly value: string;
    readonly test: StringTest;
  };
  readonly method?: string;
  /** gRPC: the `service` and `method` of /service/method. */
  readonly grpc?: { readonly service?: StringTest; readonly method?: StringTest };
  readonly headers: readonly HeaderTest[];
  readonly queryParams: readonly HeaderTest[];
  /** What precedence compares, precomputed (see precedence.ts). */
  readonly rank: readonly number[];
}

export interface BackendRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly port: number | undefined;
  readonly weight: number;
  /** RequestHeaderModifier / ResponseHeaderModifier set on this backend only. */
  readonly requestHeaders?: HeaderModifier;
  readonly responseHeaders?: HeaderModifier;
}

export interface Mirror {
  readonly backend: BackendRef;
  /** Mirror when random() < this (percent/100 or numerator/denominator; 1 when neither). */
  readonly fraction: number;
}

export type CompiledFilter =
  | { readonly type: 'RequestHeaderModifier'; readonly modifier: HeaderModifier }
  | { readonly type: 'ResponseHeaderModifier'; readonly modifier: HeaderModifier }
  | { readonly type: 'URLRewrite'; readonly rewrite: UrlRewrite }
  | { readonly type: 'RequestRedirect'; readonly redirect: RequestRedirect }
  | { readonly type: 'RequestMirror'; readonly mirror: Mirror };

export interface CompiledRule {
  /** Index in spec.rules. */
  readonly index: number;
  readonly name: string | undefined;
  readonly matches: readonly CompiledMatch[];
  readonly filters: readonly CompiledFilter[];
  readonly backends: readonly BackendRef[];
  /** Milliseconds; 0 disables (the spec's "0s"); undefined: not set. */
  readonly timeouts: { readonly request?: number; readonly backendRequest?: number };
  /** Experimental-channel retry, as written (attempts/backoff undefined: weft's defaults). */
  readonly retry?: {
    readonly attempts?: number;
    readonly codes: readonly number[];
    readonly backoffMs?: number;
  };
}

export interface CompiledRoute {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: string;
  readonly generation: number | undefined;
  /** False when the route as a whole cannot be applied (no rule survives, or the envelope is bad). */
  readonly valid: boolean;
  readonly problems: readonly Problem[];
  /** Accepted but worth telling the author (hostnames ignored in a mesh...). */
  readonly warnings: readonly string[];
  readonly parents: readonly ServiceParent[];
  /** The valid rules; invalid ones are dropped and named in problems (PartiallyInvalid). */
  readonly rules: readonly CompiledRule[];
  /** spec.rules.length, to tell "some rules dropped" from "all". */
  readonly ruleCount: number;
  /** Backends of every valid rule and mirror (for status: ResolvedRefs). */
  readonly backendRefs: readonly { readonly field: string; readonly ref: BackendRef }[];
}

/** One request as the matcher sees it. Header names lowercase, as Node gives them. */
export interface RouteRequest {
  readonly method: string;
  /** The request target: path and query, e.g. `/a/b?x=1`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
}

export interface RouteMatch {
  readonly route: CompiledRoute;
  readonly rule: CompiledRule;
  readonly match: CompiledMatch;
}

export type { CompiledRegex };
