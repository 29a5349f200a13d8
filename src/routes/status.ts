// A route's status for each Service parent weft owns, as the spec asks of a
// controller (shared_types.go, RouteParentStatus): Accepted, ResolvedRefs and,
// when some rules were dropped, PartiallyInvalid. Pure: the world (which Services
// exist, which cross-namespace references are granted) and the clock come in.
// Mesh notes: NotAllowedByListeners and NoMatchingListenerHostname are Gateway
// reasons and never appear; a cross-namespace backendRef needs no ReferenceGrant
// in a mesh (GEP-1426: routes augment Services, they expose nothing new) unless
// the caller asks for grants (`requireReferenceGrant`), then RefNotPermitted.
import type { BackendRef, CompiledRoute, Problem, ServiceParent } from './types.js';
import type { ParentReference } from './schema.js';

export const CONTROLLER_NAME = 'weft.dev/mesh';

/** The condition message limit of metav1.Condition. */
const MAX_MESSAGE = 32_768;

export interface Condition {
  type: 'Accepted' | 'ResolvedRefs' | 'PartiallyInvalid';
  status: 'True' | 'False';
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: typeof CONTROLLER_NAME;
  conditions: Condition[];
}

export interface StatusWorld {
  /** The Service's port numbers, or undefined when there is no such Service. */
  servicePorts(namespace: string, name: string): readonly number[] | undefined;
  /** Only asked when requireReferenceGrant: may `from` (a route) refer to `to`? */
  referenceGranted?(
    from: { namespace: string; kind: string },
    to: { namespace: string; kind: string; name: string },
  ): boolean;
  readonly requireReferenceGrant?: boolean;
  /** RFC 3339, for lastTransitionTime (the writer keeps the old one when unchanged). */
  readonly now: string;
}

type Verdict = { status: 'True' | 'False'; reason: string; message: string };

function joined(lines: readonly string[]): string {
  const s = lines.join('; ');
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 3)}...` : s;
}

function describe(p: Problem): string {
  return `${p.field}: ${p.message}`;
}

function accepted(route: CompiledRoute, parent: ServiceParent, world: StatusWorld): Verdict {
  const ports = world.servicePorts(parent.namespace, parent.name);
  const svc = `Service ${parent.namespace}/${parent.name}`;
  if (!parent.attached) {
    const p = route.problems.find((x) => x.field.startsWith(`spec.parentRefs[${parent.index}]`));
    return {
      status: 'False',
      reason: 'UnsupportedValue',
      message: p ? describe(p) : 'not attached',
    };
  }
  if (!ports) return { status: 'False', reason: 'NoMatchingParent', message: `${svc} not found` };
  if (parent.port !== undefined && !ports.includes(parent.port)) {
    return {
      status: 'False',
      reason: 'NoMatchingParent',
      message: `${svc} has no port ${parent.port}`,
    };
  }
  if (!route.valid) {
    const reason =
      route.problems.find((p) => p.field.startsWith('spec.rules'))?.reason ?? 'UnsupportedValue';
    return { status: 'False', reason, message: joined(route.problems.map(describe)) };
  }
  return { status: 'True', reason: 'Accepted', message: `attached to ${svc}` };
}

function refVerdict(
  route: CompiledRoute,
  ref: BackendRef,
  world: StatusWorld,
): Verdict | undefined {
  const name = `${ref.namespace}/${ref.name}`;
  if (ref.group !== '' || ref.kind !== 'Service') {
    return {
      status: 'False',
      reason: 'InvalidKind',
      message: `${ref.group || 'core'}/${ref.kind} ${name} is not a Service`,
    };
  }
  const ports = world.servicePorts(ref.namespace, ref.name);
  if (!ports)
    return { status: 'False', reason: 'BackendNotFound', message: `Service ${name} not found` };
  if (ref.port !== undefined && !ports.includes(ref.port)) {
    return {
      status: 'False',
      reason: 'BackendNotFound',
      message: `Service ${name} has no port ${ref.port}`,
    };
  }
  const cross = ref.namespace !== route.namespace;
  if (
    cross &&
    world.requireReferenceGrant &&
    !world.referenceGranted?.(
      { namespace: route.namespace, kind: route.kind },
      { namespace: ref.namespace, kind: ref.kind, name: ref.name },
    )
  ) {
    return {
      status: 'False',
      reason: 'RefNotPermitted',
      message: `no ReferenceGrant in ${ref.namespace} allows ${route.kind}s from ${route.namespace} to Service ${ref.name}`,
    };
  }
  return undefined;
}

function resolvedRefs(route: CompiledRoute, world: StatusWorld): Verdict {
  const failures = route.backendRefs.flatMap(({ field, ref }) => {
    const v = refVerdict(route, ref, world);
    return v ? [{ field, v }] : [];
  });
  const first = failures[0];
  if (!first) return { status: 'True', reason: 'ResolvedRefs', message: 'all references resolved' };
  return {
    status: 'False',
    reason: first.v.reason,
    message: joined(failures.map((f) => `${f.field}: ${f.v.message}`)),
  };
}

/** One RouteParentStatus per Service parentRef of the route (other parents are not weft's). */
export function routeStatus(route: CompiledRoute, world: StatusWorld): RouteParentStatus[] {
  const refs = resolvedRefs(route, world);
  const ruleProblems = route.problems.filter((p) => p.field.startsWith('spec.rules'));
  return route.parents.map((parent) => {
    const cond = (type: Condition['type'], v: Verdict): Condition => ({
      type,
      ...v,
      ...(route.generation !== undefined ? { observedGeneration: route.generation } : {}),
      lastTransitionTime: world.now,
    });
    const acc = accepted(route, parent, world);
    const conditions = [cond('Accepted', acc), cond('ResolvedRefs', refs)];
    if (acc.status === 'True' && ruleProblems.length > 0) {
      const dropped = [
        ...new Set(ruleProblems.map((p) => /^spec\.rules\[(\d+)\]/.exec(p.field)?.[1])),
      ];
      conditions.push(
        cond('PartiallyInvalid', {
          status: 'True',
          reason: 'UnsupportedValue',
          message: joined([`Dropped Rule(s) ${dropped.join(', ')}`, ...ruleProblems.map(describe)]),
        }),
      );
    }
    return { parentRef: parent.ref, controllerName: CONTROLLER_NAME, conditions };
  });
}
