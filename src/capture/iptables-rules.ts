// The pod's nat table as weft programs it (the shape Istio's init container uses):
// inbound TCP to the sidecar's inbound port, the app's outbound TCP to its
// outbound port, with the sidecar's own traffic (UID/GID 1337) and loopback left
// alone so neither loops nor the app's calls to itself are captured. One exception:
// the sidecar's own dial to its pod's IP (a Service that includes this pod) goes to
// its inbound listener, unless it comes from 127.0.0.6, the address the sidecar's
// connections to the app come from (app-source.ts). Pure: the command applies what
// this returns.
//
// The proxy's own ports stay captured inbound, so a peer that dials 15000, 15001
// or 15006 lands on the inbound listener, which refuses (and counts) it; only the
// health port passes, always, whatever the arguments say: the kubelet's probes and
// Prometheus reach it in plaintext even under STRICT.
import { APP_SOURCE_IPV4 } from './app-source.js';
import { Ports } from './capture-spec.js';
import type { CaptureSpec } from './capture-spec.js';

export const Chain = {
  Inbound: 'WEFT_INBOUND',
  InRedirect: 'WEFT_IN_REDIRECT',
  Output: 'WEFT_OUTPUT',
  Redirect: 'WEFT_REDIRECT',
} as const;

/** The rules that hook weft's chains into the built-in ones: [chain, rule args]. */
export const JUMPS: readonly (readonly [string, readonly string[]])[] = [
  ['PREROUTING', ['-p', 'tcp', '-j', Chain.Inbound]],
  ['OUTPUT', ['-p', 'tcp', '-j', Chain.Output]],
];

function inbound(spec: CaptureSpec): string[] {
  const excluded = [...new Set([Ports.Health, ...spec.excludeInboundPorts])];
  const rules = excluded.map((p) => `-A ${Chain.Inbound} -p tcp --dport ${p} -j RETURN`);
  if (spec.includeInboundPorts === '*')
    rules.push(`-A ${Chain.Inbound} -p tcp -j ${Chain.InRedirect}`);
  else
    for (const p of spec.includeInboundPorts)
      rules.push(`-A ${Chain.Inbound} -p tcp --dport ${p} -j ${Chain.InRedirect}`);
  return rules;
}

function outbound(spec: CaptureSpec): string[] {
  const o = Chain.Output;
  const rules = [
    // The sidecar's connections to its own app (bound to 127.0.0.6) reach the app.
    `-A ${o} -s ${APP_SOURCE_IPV4}/32 -o lo -j RETURN`,
    // Any other dial of the sidecar's to this pod's own IP leaves through lo, never
    // through PREROUTING: it goes to the inbound listener, as a peer's would (Istio's
    // ISTIO_OUTPUT does the same). Its loopback calls (127.0.0.1) stay direct.
    ...[`--uid-owner ${spec.proxyUid}`, `--gid-owner ${spec.proxyGid}`].map(
      (owner) => `-A ${o} ! -d 127.0.0.1/32 -o lo -m owner ${owner} -j ${Chain.InRedirect}`,
    ),
    // Loopback, including the app reaching itself by its pod IP, is never captured.
    `-A ${o} -o lo -j RETURN`,
    // The sidecar's own connections go where they are addressed.
    `-A ${o} -m owner --uid-owner ${spec.proxyUid} -j RETURN`,
    `-A ${o} -m owner --gid-owner ${spec.proxyGid} -j RETURN`,
    ...spec.excludeOutboundCidrs.map((c) => `-A ${o} -d ${c} -j RETURN`),
    ...spec.excludeOutboundPorts.map((p) => `-A ${o} -p tcp --dport ${p} -j RETURN`),
  ];
  if (spec.includeOutboundPorts.length === 0) rules.push(`-A ${o} -p tcp -j ${Chain.Redirect}`);
  else
    for (const p of spec.includeOutboundPorts)
      rules.push(`-A ${o} -p tcp --dport ${p} -j ${Chain.Redirect}`);
  return rules;
}

/** iptables-restore input for the nat table; declaring a chain with --noflush empties it. */
export function natRestoreInput(spec: CaptureSpec): string {
  return [
    '*nat',
    ...Object.values(Chain).map((c) => `:${c} - [0:0]`),
    `-A ${Chain.InRedirect} -p tcp -j REDIRECT --to-ports ${spec.inboundPort}`,
    `-A ${Chain.Redirect} -p tcp -j REDIRECT --to-ports ${spec.outboundPort}`,
    ...inbound(spec),
    ...outbound(spec),
    'COMMIT',
    '',
  ].join('\n');
}
