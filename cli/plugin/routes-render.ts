// `kubectl weft routes` as text: per port, the group that applies and its matches
// in the order the matcher tries them; then each attached route with why it
// applies or not, its problems and the status the control plane wrote.
import { percent } from './route-describe.js';
import type { PortView, RouteLine, RouteReport, RoutesView } from './routes-model.js';
import type { WrittenParentStatus } from './routes-cluster.js';
import { table } from './output.js';

function extras(l: RouteLine): string {
  const parts = [
    ...(l.timeouts.request ? [`request ${l.timeouts.request}`] : []),
    ...(l.timeouts.backendRequest ? [`backendRequest ${l.timeouts.backendRequest}`] : []),
    ...(l.retry
      ? [
          `retry ${l.retry.attempts ?? 'default'} on ${l.retry.codes.join(',') || '-'}${l.retry.backoff ? ` backoff ${l.retry.backoff}` : ''}`,
        ]
      : []),
  ];
  return parts.join('; ') || '-';
}

function backends(l: RouteLine): string {
  if (l.filters.some((f) => f.startsWith('RequestRedirect'))) return '- (redirect)';
  if (l.backends.length === 0) return '- (500)';
  if (l.backends.length === 1 && l.backends[0]!.weight > 0) return l.backends[0]!.backend;
  return l.backends.map((b) => `${b.backend} ${percent(b.share)}`).join(', ');
}

function portBlock(p: PortView): string {
  const title = `Port ${p.port}${p.name ? ` (${p.name})` : ''}`;
  if (!p.applies) return `${title}: no route: the Service as it is\n`;
  const group =
    p.applies.scope === 'producer'
      ? `producer ${p.applies.kind}s of ${p.applies.namespace}`
      : `consumer ${p.applies.kind}s of ${p.applies.namespace} (they replace the producer routes for callers there)`;
  const rows = p.lines.map((l) => [
    String(l.order),
    l.route,
    `${l.rule}${l.ruleName ? ` ${l.ruleName}` : ''}`,
    l.matches,
    l.filters.join(' + ') || '-',
    backends(l),
    extras(l),
  ]);
  return (
    `${title}: ${group}; a request no rule matches gets 404\n` +
    table(['#', 'ROUTE', 'RULE', 'MATCH', 'FILTERS', 'BACKENDS', 'TIMEOUTS/RETRY'], rows)
  );
}

function statusLines(status: WrittenParentStatus[] | null): string[] {
  if (!status) return ['  status: no status'];
  return status.map((p) => {
    const port = p.parentRef.port !== undefined ? ` port ${p.parentRef.port}` : '';
    const conds = p.conditions
      .map((c) => `${c.type}=${c.status} ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`)
      .join('; ');
    return `  status (${p.controllerName}${port}): ${conds || 'no conditions'}`;
  });
}

function routeBlock(r: RouteReport): string {
  const ports = r.parentPorts.map((p) => (p === 'all' ? 'every port' : `port ${p}`)).join(', ');
  const where = r.appliedOn.length ? [`applies on ${r.appliedOn.join(', ')}`] : [];
  const lines = [
    `${r.kind} ${r.namespace}/${r.name}  (${r.scope}, ${ports}): ${[...where, ...(r.note ? [r.note] : [])].join('; ')}`,
    ...r.problems.map((p) => `  problem: ${p.field}: ${p.reason}: ${p.message}`),
    ...(r.droppedRules.length && r.valid ? [`  dropped rules: ${r.droppedRules.join(', ')}`] : []),
    ...r.warnings.map((w) => `  warning: ${w}`),
    ...statusLines(r.status),
  ];
  return lines.join('\n') + '\n';
}

export function renderRoutes(view: RoutesView): string {
  const svc = `${view.service.namespace}/${view.service.name}`;
  const caller = view.callerNamespace
    ? `Caller:  namespace ${view.callerNamespace}`
    : 'Caller:  any namespace without consumer routes of its own (--from-namespace NS: that namespace)';
  const head = [`Service: ${svc}`, caller, ...view.notes.map((n) => `Note:    ${n}`)].join('\n');
  const ports = view.ports.map(portBlock).join('\n');
  const routes = view.routes.length
    ? `Routes attached to ${svc}:\n${view.routes.map(routeBlock).join('')}`
    : `No HTTPRoute or GRPCRoute names ${svc} as a parent.\n`;
  return `${head}\n\n${ports}\n${routes}`;
}
