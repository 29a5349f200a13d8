// Kubelet probes of app containers are redirected to the sidecar's health port
// (as Istio does), because under STRICT mTLS the kubelet's plaintext probe would
// be refused on the app port. The sidecar runs the original probe as the kubelet
// would (scheme, host, headers; the pod IP when no host is given).
// Pure: the original actions travel in the sidecar's WEFT_APP_PROBERS variable.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
export { PROBERS_ENV } from '../src/app-probes.js';
import type { Prober, Probers } from '../src/app-probes.js';
export type { Prober, Probers };
import { Ports } from '../src/capture/capture-spec.js';
import { ErrorCode, WeftError } from '../src/errors.js';

const KINDS = {
  livenessProbe: 'livez',
  readinessProbe: 'readyz',
  startupProbe: 'startupz',
} as const;
type ProbeField = keyof typeof KINDS;

function resolvePort(container: V1Container, port: number | string, where: string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = container.ports?.find((p) => p.name === port);
  if (!found) {
    throw new WeftError(
      ErrorCode.BadRequest,
      `container ${container.name}: ${where} names port "${port}", which the container does not declare`,
    );
  }
  return found.containerPort;
}

function original(container: V1Container, probe: V1Probe, field: ProbeField): Prober | undefined {
  if (probe.httpGet) {
    const { path, scheme, host, httpHeaders } = probe.httpGet;
    return {
      httpGet: {
        port: resolvePort(container, probe.httpGet.port, field),
        ...(path !== undefined ? { path } : {}),
        ...(scheme !== undefined ? { scheme } : {}),
        ...(host !== undefined ? { host } : {}),
        ...(httpHeaders
          ? { httpHeaders: httpHeaders.map((h) => ({ name: h.name, value: h.value })) }
          : {}),
      },
    };
  }
  if (probe.tcpSocket) {
    const { host } = probe.tcpSocket;
    return {
      tcpSocket: {
        port: resolvePort(container, probe.tcpSocket.port, field),
        ...(host !== undefined ? { host } : {}),
      },
    };
  }
  return undefined; // exec and grpc probes run without the network path we capture
}

/** Rewrites the containers' HTTP and TCP probes; returns what the sidecar must run. */
export function rewriteProbes(containers: V1Container[]): Probers {
  const probers: Probers = {};
  for (const c of containers) {
    for (const field of Object.keys(KINDS) as ProbeField[]) {
      const probe = c[field];
      if (!probe) continue;
      const action = original(c, probe, field);
      if (!action) continue;
      const path = `/app-health/${c.name}/${KINDS[field]}`;
      probers[path] = action;
      const { httpGet: _h, tcpSocket: _t, ...timing } = probe;
      c[field] = {
        ...timing,
        httpGet: { path, port: Ports.Health, scheme: 'HTTP' },
      };
    }
  }
  return probers;
}

/** Puts the original probes back (for stripping an injected pod). */
export function restoreProbes(containers: V1Container[], probers: Probers): void {
  for (const c of containers) {
    for (const field of Object.keys(KINDS) as ProbeField[]) {
      const probe = c[field];
      const saved = probers[`/app-health/${c.name}/${KINDS[field]}`];
      if (!probe || !saved || probe.httpGet?.path !== `/app-health/${c.name}/${KINDS[field]}`)
        continue;
      const { httpGet: _h, ...timing } = probe;
      c[field] = { ...timing, ...(saved as V1Probe) };
    }
  }
}
