// What route status is computed against: the Services that exist (with their
// ports) and the ReferenceGrants that allow cross-namespace backendRefs. Pure.
//
// weft asks for a ReferenceGrant on every cross-namespace backendRef, as the
// spec's BackendObjectReference says ("a ReferenceGrant object is required in the
// referent namespace") and as GEP-709 lists "mesh overrides to target Services in
// different namespaces" among the references it guards: the owner of the target
// namespace consents. A grant (gateway.networking.k8s.io/v1beta1) lives in the
// target's namespace and allows references `from` a (group, kind, namespace) `to`
// a (group, kind[, name]).
import type { V1Service } from '@kubernetes/client-node';
import type { RouteObject, StatusWorld } from '../src/routes/index.js';

const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface GrantFrom {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

export interface GrantTo {
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
}

/** A ReferenceGrant as discovery keeps it. */
export interface ReferenceGrant {
  readonly namespace: string;
  readonly from: readonly GrantFrom[];
  readonly to: readonly GrantTo[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function entries(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
    : [];
}

/** A stored ReferenceGrant object → its rules (the CRD's schema already checked the shape). */
export function parseReferenceGrant(o: {
  metadata?: { namespace?: string };
  spec?: unknown;
}): ReferenceGrant {
  const spec = (o.spec ?? {}) as { from?: unknown; to?: unknown };
  return {
    namespace: o.metadata?.namespace ?? '',
    from: entries(spec.from).map((f) => ({
      group: str(f.group) ?? '',
      kind: str(f.kind) ?? '',
      namespace: str(f.namespace) ?? '',
    })),
    to: entries(spec.to).map((t) => {
      const name = str(t.name);
      return { group: str(t.group) ?? '', kind: str(t.kind) ?? '', ...(name ? { name } : {}) };
    }),
  };
}

/** May a route of `from.kind` in `from.namespace` refer to Service `to`? */
export function referenceGranted(
  grants: Iterable<ReferenceGrant>,
  from: { namespace: string; kind: string },
  to: { namespace: string; kind: string; name: string },
): boolean {
  for (const g of grants) {
    if (g.namespace !== to.namespace) continue;
    const fromOk = g.from.some(
      (f) => f.group === GATEWAY_GROUP && f.kind === from.kind && f.namespace === from.namespace,
    );
    if (!fromOk) continue;
    const toGroup = to.kind === 'Service' ? '' : GATEWAY_GROUP;
    if (
      g.to.some((t) => t.group === toGroup && t.kind === to.kind && (!t.name || t.name === to.name))
    )
      return true;
  }
  return false;
}

/** A backendRef as written: Service unless a group or kind says otherwise, the route's namespace by default. */
function serviceRefs(spec: unknown, namespace: string): { namespace: string; name: string }[] {
  const refs: unknown[] = [];
  for (const rule of entries((spec as { rules?: unknown } | null)?.rules)) {
    for (const b of entries(rule.backendRefs)) {
      refs.push(b);
      for (const f of entries(b.filters))
        refs.push((f.requestMirror as { backendRef?: unknown })?.backendRef);
    }
    for (const f of entries(rule.filters))
      refs.push((f.requestMirror as { backendRef?: unknown })?.backendRef);
  }
  return entries(refs)
    .filter((r) => (str(r.group) ?? '') === '' && (str(r.kind) ?? 'Service') === 'Service')
    .flatMap((r) => {
      const name = str(r.name);
      return name ? [{ namespace: str(r.namespace) ?? namespace, name }] : [];
    });
}

/**
 * With grants required (`requireReferenceGrant`), the Services in other namespaces a
 * route names (backendRefs and mirrors) without a ReferenceGrant allowing it, as
 * sorted `namespace/name`: the sidecars send them nothing (the spec's 500 for an
 * invalid backendRef). Grants not listed yet (or not readable) allow nothing: the safe
 * side of a decision about another namespace. Without (the default, GEP-1294): none.
 */
export function refusedBackends(
  route: RouteObject,
  grants: ReadonlyMap<string, ReferenceGrant>,
  required: boolean,
): string[] {
  if (!required) return [];
  const out = new Set<string>();
  for (const ref of serviceRefs(route.spec, route.namespace)) {
    if (ref.namespace === route.namespace) continue;
    const to = { namespace: ref.namespace, kind: 'Service', name: ref.name };
    if (!referenceGranted(grants.values(), route, to)) out.add(`${ref.namespace}/${ref.name}`);
  }
  return [...out].sort();
}

/** The StatusWorld of src/routes over discovery's caches (keys `namespace/name`). */
export function statusWorld(
  services: ReadonlyMap<string, V1Service>,
  grants: ReadonlyMap<string, ReferenceGrant>,
  now: string,
  requireReferenceGrant: boolean,
): StatusWorld {
  return {
    servicePorts: (namespace, name) =>
      services.get(`${namespace}/${name}`)?.spec?.ports?.map((p) => p.port) ??
      (services.has(`${namespace}/${name}`) ? [] : undefined),
    referenceGranted: (from, to) => referenceGranted(grants.values(), from, to),
    requireReferenceGrant,
    now,
  };
}
