// `kubectl weft config POD`, human output, pure: a sidecar's view summarised as the
// identity and stream, the inbound mode, then services, endpoints (with the identity
// each must present, and whether it takes mTLS, per port where a PeerAuthentication
// sets one apart), authorization policies and routes. -o json|yaml prints the whole view.
import type { SidecarView } from '../../src/debug/sidecar-view.js';
import { protocolOf } from '../../src/mesh/protocol.js';
import { age } from './age.js';
import { table } from './output.js';

type Config = SidecarView['config'];

function header(pod: string, v: SidecarView, now: Date): string[] {
  const id = v.identity;
  const lines = [
    `Pod:        ${pod}`,
    id
      ? `Identity:   ${id.spiffeId} (serial ${id.serial}, expires ${id.notAfter}, in ${age(now, new Date(id.notAfter))})`
      : 'Identity:   none yet (no workload certificate)',
  ];
  const d = v.discovery;
  if (!d) return [...lines, 'Source:     mesh file'];
  const link = d.connectedTo ? `connected to ${d.connectedTo}` : 'not connected';
  lines.push(`Source:     discovery, ${link}, ${d.synced ? 'synced' : 'no view yet'}`);
  lines.push(
    `Version:    ${d.version || '-'}${d.applied ? ` (applied ${age(d.applied.at, now)} ago)` : ''}`,
  );
  if (d.refused) lines.push(`Refused:    ${age(d.refused.at, now)} ago: ${d.refused.error}`);
  if (d.scoped) lines.push(`Scoped:     endpoints of ${d.subscribed?.length ?? 0} services held`);
  return lines;
}

function inbound(c: Config): string[] {
  const ports = c.inbound.ports
    .filter((p) => p.mode !== undefined)
    .map((p) => `port ${p.port} ${p.mode}`);
  const self = c.self
    ? [
        `Workload:   ${c.self.workload} (${c.self.labels.canonicalService}, ${c.self.labels.canonicalRevision})`,
      ]
    : [];
  return [`Inbound:    ${c.inbound.mode}${ports.length ? `; ${ports.join(', ')}` : ''}`, ...self];
}

const portText = (p: Config['services'][number]['ports'][number]): string =>
  `${p.port}${p.targetPort !== undefined && p.targetPort !== p.port ? `→${p.targetPort}` : ''}/${protocolOf(p)}`;

/**
 * A scoped sidecar holds endpoints only for the Services it calls: the others are
 * "not subscribed", never 0 (which would read as a Service without endpoints).
 */
function services(c: Config, d: SidecarView['discovery']): string {
  if (!c.services.length) return 'No services.\n';
  const subscribed = d?.scoped ? new Set(d.subscribed ?? []) : undefined;
  const count = (s: Config['services'][number]): string =>
    subscribed && !subscribed.has(`${s.namespace}/${s.name}`)
      ? 'not subscribed'
      : String(s.endpoints.length);
  return table(
    ['SERVICE', 'ADDRESSES', 'PORTS', 'ENDPOINTS'],
    c.services.map((s) => [
      `${s.name}.${s.namespace}`,
      s.addresses.join(',') || '<headless>',
      s.ports.map(portText).join(','),
      count(s),
    ]),
  );
}

type Endpoint = Config['services'][number]['endpoints'][number];

/** How the sidecar talks to it: the endpoint's mode, then the ports a PeerAuthentication sets apart. */
function transport(e: Endpoint): string {
  const ports = (e.portMtls ?? []).map((p) => `port ${p.port} ${p.mtls ? 'mTLS' : 'plaintext'}`);
  return [e.mtls ? 'mTLS' : 'plaintext', ...ports].join('; ');
}

function endpoints(c: Config): string {
  const rows = c.services.flatMap((s) =>
    s.endpoints.map((e) => [
      e.address,
      `${s.name}.${s.namespace}`,
      e.identity,
      transport(e),
      e.workload ?? '-',
    ]),
  );
  return rows.length
    ? table(['ENDPOINT', 'SERVICE', 'IDENTITY', 'TRANSPORT', 'WORKLOAD'], rows)
    : 'No endpoints.\n';
}

const actionOf = (spec: unknown): string => {
  const action = (spec as { action?: unknown } | null)?.action;
  return typeof action === 'string' ? action : 'ALLOW';
};

function policies(c: Config): string {
  if (!c.authorization.length) return 'No authorization policies.\n';
  return table(
    ['POLICY', 'ACTION', 'DRY RUN'],
    c.authorization.map((p) => [
      `${p.namespace}/${p.name}`,
      actionOf(p.spec),
      p.dryRun ? 'yes' : 'no',
    ]),
  );
}

/** The routes the sidecar holds (kubectl weft routes SVC shows how they apply to a Service). */
function routes(c: Config): string {
  if (!c.routes.length) return 'No routes.\n';
  return table(
    ['ROUTE', 'KIND'],
    c.routes.map((r) => [`${r.namespace}/${r.name}`, r.kind]),
  );
}

export function configSummary(pod: string, v: SidecarView, now: Date): string {
  return [
    [...header(pod, v, now), ...inbound(v.config)].join('\n') + '\n',
    services(v.config, v.discovery),
    endpoints(v.config),
    policies(v.config),
    routes(v.config),
  ].join('\n');
}
