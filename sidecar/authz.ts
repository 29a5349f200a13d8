// Inbound authorization, decided and accounted for in one place for HTTP requests
// (layers/authorize.ts) and opaque TCP connections (inbound.ts): the pure
// evaluate() of src/authz (the one `kubectl weft authz check` runs) over the
// policies discovery streamed for this pod, then the decision counted in
// weft_authz_decisions_total and, where it is news (a deny, an AUDIT match, a
// dry-run policy that would deny), logged with the policy and rule that decided.
// A peer can trigger every line here, so they are rate-limited per policy.
import type { Registry } from 'prom-client';
import type { AuthzRequest, Decision } from '../src/authz/index.js';
import { evaluate } from '../src/authz/index.js';
import type { LimitedLogger } from '../src/log-limit.js';
import type { AuthzPolicies } from '../src/mesh/authz-policies.js';
import { CellCounter } from './metric-cells.js';

/** Distinct `policy` label values before the rest are counted as `other`. */
export const MAX_POLICY_LABELS = 100;

// Before the first view the policies are unknown: default-allow would fail open.
const NO_VIEW: Decision = Object.freeze({
  allow: false,
  reason: 'no-view',
  audit: [],
  dryRun: [],
  considered: [],
});

const DEFAULT_ALLOW: Decision = Object.freeze({
  allow: true,
  reason: 'default-allow',
  audit: [],
  dryRun: [],
  considered: [],
});

/** What the log line says of the request (never used to decide). */
export interface RequestSummary {
  readonly peer: string | undefined;
  readonly source: string;
  readonly port: number;
  readonly method?: string | undefined;
  readonly path?: string | undefined;
}

/** `policy` and `rule` for the access log: the decider, or why nothing decided. */
export function decidedBy(d: Decision): { policy: string; rule?: number } {
  if (!d.policy) return { policy: d.reason };
  return d.rule === undefined ? { policy: d.policy } : { policy: d.policy, rule: d.rule };
}

export class Authorizer {
  // Cells, not a prom-client Counter: its child validates and hashes the labels per request.
  private readonly counter: CellCounter;
  private readonly policyLabels = new Set<string>();

  constructor(
    registry: Registry,
    private readonly log: LimitedLogger,
  ) {
    this.counter = new CellCounter(
      'weft_authz_decisions_total',
      'Inbound authorization decisions, by the deciding policy (or default-allow / no-allow-matched), AUDIT matches and dry-run outcomes.',
      registry,
    );
  }

  decide(authz: AuthzPolicies, req: AuthzRequest, summary: RequestSummary): Decision {
    const d = authz.noView
      ? NO_VIEW
      : authz.policies.length
        ? evaluate(authz.policies, req)
        : DEFAULT_ALLOW;
    this.record(authz, d, summary);
    return d;
  }

  private record(authz: AuthzPolicies, d: Decision, summary: RequestSummary): void {
    const action = d.policy ? (authz.byKey.get(d.policy)?.action ?? 'ALLOW') : actionOf(d);
    this.count(action, d.allow ? 'allow' : 'deny', d.policy ?? d.reason);
    if (!d.allow) {
      this.log.log(
        'info',
        'authz denied',
        { ...decidedBy(d), ...summary, considered: d.considered.slice(0, 5) },
        `authz|deny|${d.policy ?? d.reason}`,
      );
    }
    for (const a of d.audit) {
      this.count('AUDIT', 'audit', a.policy);
      this.log.log('info', 'authz audit', { ...a, ...summary }, `authz|audit|${a.policy}`);
    }
    for (const r of d.dryRun) {
      const dry = authz.byKey.get(r.policy)?.action ?? 'ALLOW';
      this.count(dry, r.wouldAllow ? 'dry-run-allow' : 'dry-run-deny', r.policy);
      if (r.wouldAllow) continue;
      const rule = r.rule >= 0 ? ` rule ${r.rule}` : ' (no rule matched)';
      this.log.log(
        'info',
        `would deny by ${r.policy}${rule}`,
        { dryRun: true, policy: r.policy, rule: r.rule, ...summary },
        `authz|dry-run|${r.policy}`,
      );
    }
  }

  private count(action: string, decision: string, policy: string): void {
    const label = this.bounded(policy);
    const k = `${action}|${decision}|${label}`;
    this.counter.cell(k, { action, decision, policy: label }).inc();
  }

  /** The first MAX_POLICY_LABELS policies keep their name; later ones count as `other`. */
  private bounded(policy: string): string {
    if (this.policyLabels.has(policy)) return policy;
    if (this.policyLabels.size >= MAX_POLICY_LABELS) return 'other';
    this.policyLabels.add(policy);
    return policy;
  }
}

/** The action behind a decision no single policy made. */
const actionOf = (d: Decision): string => (d.reason === 'no-allow-matched' ? 'ALLOW' : 'NONE');
