// The authorization contract shared by the sidecar (enforcement), discovery
// (status, streaming) and the plugin (`kubectl weft authz check`): policies in,
// decisions out, every decision naming what decided it. Pure data, no I/O.

/** An AuthorizationPolicy as read from the API server (or the discovery stream). */
export interface PolicyObject {
  namespace: string;
  name: string;
  /** The raw `spec`; compilePolicy validates it and never throws. */
  spec: unknown;
  annotations?: Record<string, string>;
}

export type PolicyAction = 'ALLOW' | 'DENY' | 'AUDIT';

export interface Problem {
  /** The offending field as a path under the object, e.g. `spec.rules[0].from[1].source`. */
  field: string;
  reason: string;
}

/** What evaluate() needs of one request, prepared from a parsed policy. */
export interface CompiledPolicy {
  namespace: string;
  name: string;
  action: PolicyAction;
  /** `weft.dev/dry-run: "true"`: evaluated and reported, never enforced. */
  dryRun: boolean;
  valid: boolean;
  problems: Problem[];
  /** Accepted, but something an author should know (TCP rules, the list-item gotcha...). */
  warnings: string[];
  /** selector.matchLabels; undefined = every workload in scope (namespace, or mesh in the root). */
  readonly selector: Readonly<Record<string, string>> | undefined;
  /** The rules as matchers; internal to src/authz. */
  readonly rules: readonly CompiledRule[];
  /** Which rules a request can match, built with them (rule-index.ts); internal to src/authz. */
  readonly index: RuleIndex;
}

/** The workload a policy may apply to: the pod's namespace and labels. */
export interface Workload {
  namespace: string;
  labels: Record<string, string>;
}

export interface AuthzRequest {
  source: {
    /** SPIFFE ID of a verified peer (`spiffe://td/ns/x/sa/y`); absent for plaintext. */
    principal?: string;
    /** The connection's peer address (`source.ip`, ipBlocks). */
    ip: string;
    /** The original client (`remote.ip`, remoteIpBlocks); defaults to `ip`. */
    remoteIp?: string;
  };
  destination: { ip: string; port: number };
  sni?: string;
  /** Absent on TCP (opaque) traffic. Header names lowercase, as Node gives them. */
  http?: {
    method: string;
    path: string;
    host: string;
    headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  };
}

export interface Decision {
  allow: boolean;
  reason:
    | 'default-allow'
    | 'denied-by-policy'
    | 'allowed-by-policy'
    | 'no-allow-matched'
    // The sidecar has not yet applied its first view from discovery (fails closed).
    | 'no-view';
  /** The decider, `ns/name`, and its rule index (-1 when an invalid policy decided). */
  policy?: string;
  rule?: number;
  /** AUDIT policies that matched (first matching rule of each). */
  audit: { policy: string; rule: number }[];
  /** Dry-run policies' would-be outcome (rule -1: no rule matched). */
  dryRun: { policy: string; rule: number; wouldAllow: boolean }[];
  /** For a `no-allow-matched` deny: each ALLOW policy and why it did not match. */
  considered: { policy: string; why: string }[];
}

// ---- internal matcher data (built by compile.ts, read by evaluate.ts) ----

/** One request, prepared once per evaluate() so the checks stay cheap. */
export interface RequestContext {
  readonly req: AuthzRequest;
  readonly tcp: boolean;
  /** The peer's identity without scheme (`cluster.local/ns/x/sa/y`), if verified. */
  readonly principal: string | undefined;
  readonly namespace: string | undefined;
  /** `ns/sa`, what serviceAccounts names. */
  readonly serviceAccount: string | undefined;
  /** Path without query or fragment. */
  readonly path: string | undefined;
  readonly host: string | undefined;
  /** Parsed lazily: most policies never look at addresses. */
  ip(which: 'source' | 'remote' | 'destination'): Uint8Array | undefined;
}

/** The outcome of a check: whether it holds, and (lazily) why not. */
export interface Check {
  /** The spec field it checks, e.g. `from[0].source.principals`. */
  readonly field: string;
  /** Needs an HTTP request (methods, paths, hosts, request headers). */
  readonly httpOnly: boolean;
  test(ctx: RequestContext): boolean;
  /** Why test() was false, for the explanation (only called on a deny). */
  why(ctx: RequestContext): string;
  /** A positive check on an indexed attribute: what test() true implies of its value. */
  readonly key?: IndexKey | undefined;
}

/** The values a check's attribute must equal, or start with, for the check to hold. */
export interface IndexKey {
  readonly attr: IndexedAttribute;
  readonly exact: readonly string[];
  readonly prefixes: readonly string[];
}

/** An attribute rules are indexed by: read from a prepared HTTP request as a string. */
export interface IndexedAttribute {
  readonly name: string;
  get(ctx: RequestContext): string | undefined;
}

/** A policy's rules by the values they require (rule-index.ts). */
export interface RuleIndex {
  readonly attrs: readonly AttributeIndex[];
  /** Rules no key applies to: tried for every request. */
  readonly residual: readonly number[];
}

export interface AttributeIndex {
  readonly attr: IndexedAttribute;
  /** Value → the rules (ascending) that one of their keys names exactly. */
  readonly exact: ReadonlyMap<string, readonly number[]>;
  /** Prefix → the rules (ascending) keyed by it. */
  readonly prefixes: ReadonlyMap<string, readonly number[]>;
  /** The distinct prefix lengths, ascending. */
  readonly lengths: readonly number[];
}

/** A list entry (one source, one operation): its checks are ANDed. */
export type Clause = readonly Check[];

export interface CompiledRule {
  /** Any one from[] entry must hold; empty = any source. */
  readonly from: readonly Clause[];
  /** Any one to[] entry must hold; empty = any operation. */
  readonly to: readonly Clause[];
  /** Every condition must hold. */
  readonly when: Clause;
  /** Uses an HTTP-only field somewhere (TCP semantics depend on it). */
  readonly httpOnly: boolean;
}
