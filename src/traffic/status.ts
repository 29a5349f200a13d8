// status.conditions of TrafficPolicies, for the control plane to write so that
// `kubectl get trafficpolicy` says whether each is in force:
//   Accepted   True  Accepted        applies to at least one of its Services
//              False Invalid         each field and its problem (applies nowhere)
//              False Conflicted      every Service it targets has an older policy
//              False TargetNotFound  none of its Services exists
//   Conflicted True  Conflicted      another valid policy targets one of its
//                                    Services; the message says, per Service,
//                                    which policy applies (the oldest)
//              False NoConflict
// Reasons follow Gateway API's policy conditions (GEP-713: Accepted with
// Conflicted, Invalid, TargetNotFound). Pure: the world comes in.
import { policiesFor, policyName } from './select.js';
import type { CompiledTrafficPolicy } from './types.js';

export interface TrafficPolicyCondition {
  type: 'Accepted' | 'Conflicted';
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
}

export interface TrafficStatusWorld {
  /** Does the Service exist? Absent: assume it does. */
  serviceExists?(namespace: string, name: string): boolean;
}

/** The API server keeps messages to 32 KiB; stay well inside. */
const MAX_MESSAGE = 4000;
const clip = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s);

interface TargetVerdict {
  readonly service: string;
  readonly found: boolean;
  /** The policies targeting it, in force first. */
  readonly contenders: readonly CompiledTrafficPolicy[];
}

function verdicts(
  p: CompiledTrafficPolicy,
  all: readonly CompiledTrafficPolicy[],
  world: TrafficStatusWorld,
): TargetVerdict[] {
  return p.targets.map((service) => ({
    service,
    found: world.serviceExists?.(p.namespace, service) ?? true,
    contenders: policiesFor(all, { namespace: p.namespace, name: service }),
  }));
}

function conflictLine(p: CompiledTrafficPolicy, v: TargetVerdict): string {
  const winner = v.contenders[0]!;
  const others = v.contenders.filter((c) => c !== p).map(policyName);
  if (winner === p) {
    return `Service ${v.service}: this policy applies (the oldest); ${others.join(', ')} do${others.length === 1 ? 'es' : ''} not`;
  }
  return `Service ${v.service}: ${policyName(winner)} applies instead (older, created ${winner.creationTimestamp})`;
}

function accepted(
  p: CompiledTrafficPolicy,
  vs: readonly TargetVerdict[],
): Omit<TrafficPolicyCondition, 'type' | 'observedGeneration'> {
  if (!p.valid) {
    const list = p.problems.map((x) => `${x.field}: ${x.reason}`).join('; ');
    return {
      status: 'False',
      reason: 'Invalid',
      message: clip(`${list}; the policy applies to no Service until it is fixed`),
    };
  }
  const applied = vs.filter((v) => v.found && v.contenders[0] === p).map((v) => v.service);
  const missing = vs.filter((v) => !v.found).map((v) => v.service);
  if (applied.length > 0) {
    const notFound = missing.length ? `; Service ${missing.join(', ')} not found` : '';
    return {
      status: 'True',
      reason: 'Accepted',
      message: clip(`applies to Service ${applied.join(', ')}${notFound}`),
    };
  }
  const lost = vs.filter((v) => v.found && v.contenders[0] !== p);
  if (lost.length > 0) {
    return {
      status: 'False',
      reason: 'Conflicted',
      message: clip(lost.map((v) => conflictLine(p, v)).join('; ')),
    };
  }
  return {
    status: 'False',
    reason: 'TargetNotFound',
    message: clip(`Service ${missing.join(', ')} not found in ${p.namespace}`),
  };
}

/** The conditions a policy should carry, given every policy in the cluster. */
export function trafficPolicyConditions(
  p: CompiledTrafficPolicy,
  all: readonly CompiledTrafficPolicy[],
  world: TrafficStatusWorld = {},
): TrafficPolicyCondition[] {
  const gen = p.generation === undefined ? {} : { observedGeneration: p.generation };
  const vs = p.valid ? verdicts(p, all, world) : [];
  const contested = vs.filter((v) => v.contenders.length > 1);
  const conflicted: TrafficPolicyCondition = contested.length
    ? {
        type: 'Conflicted',
        status: 'True',
        reason: 'Conflicted',
        message: clip(
          `${contested.map((v) => conflictLine(p, v)).join('; ')} (Gateway API policy attachment: the oldest policy wins)`,
        ),
        ...gen,
      }
    : {
        type: 'Conflicted',
        status: 'False',
        reason: 'NoConflict',
        message: 'no other policy targets its Services',
        ...gen,
      };
  return [{ type: 'Accepted', ...accepted(p, vs), ...gen }, conflicted];
}
