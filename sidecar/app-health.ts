// Runs the app's original kubelet probes for the rewritten probes that point at
// /app-health/<container>/<kind> on 15020, the way the kubelet runs them
// (k8s.io/kubernetes/pkg/probe/http, pkg/probe/tcp): to `host`, or the pod's IP
// when none is given (an app bound only to loopback fails its probes, as without
// the mesh), over HTTP or HTTPS as `scheme` says, with the probe's headers. A probe
// of this pod's own address comes from 127.0.0.6, as the inbound listener's
// connections to the app do (src/capture/app-source.ts): from the sidecar's UID any
// other source would be sent to the inbound listener, which refuses plaintext.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import type { Prober } from '../src/app-probes.js';
import { appSource } from '../src/capture/app-source.js';

const PROBE_TIMEOUT_MS = 5_000;

type HttpGet = NonNullable<Prober['httpGet']>;

/** The kubelet's defaults, then the probe's own headers (repeated names are all sent). */
export function probeHeaders(get: HttpGet): http.OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {
    'user-agent': 'kube-probe/weft',
    accept: '*/*',
  };
  const given = new Map<string, string[]>();
  for (const { name, value } of get.httpHeaders ?? []) {
    const key = name.toLowerCase();
    given.set(key, [...(given.get(key) ?? []), value]);
  }
  for (const [key, values] of given) {
    headers[key] = key === 'host' || values.length === 1 ? values[values.length - 1]! : values;
  }
  return headers;
}

const LOOPBACK_V4 = /^127\./;

/** Whether `host` is an address of this pod (its IP, another of its interfaces', loopback). */
export function ownAddress(host: string, podIp: string): boolean {
  if (host === podIp || LOOPBACK_V4.test(host)) return true;
  const interfaces = Object.values(os.networkInterfaces()).flat();
  return interfaces.some((i) => i?.address === host);
}

/**
 * Where a probe of `host` dials from: 127.0.0.6 for an IPv4 address of this pod;
 * none for another host (a loopback source cannot leave the pod) or a name.
 */
export function probeSource(host: string, podIp: string): { localAddress?: string } {
  const localAddress = ownAddress(host, podIp) ? appSource(host) : undefined;
  return localAddress ? { localAddress } : {};
}

function httpProbe(get: HttpGet, host: string, podIp: string): Promise<number> {
  return new Promise((resolve) => {
    const options: https.RequestOptions = {
      host,
      ...probeSource(host, podIp),
      port: get.port,
      path: get.path ?? '/',
      headers: probeHeaders(get),
      timeout: PROBE_TIMEOUT_MS,
      agent: false,
    };
    const secure = get.scheme?.toUpperCase() === 'HTTPS';
    const req = secure
      ? https.get({
          ...options,
          // The kubelet's HTTPS probes do not verify the app's certificate
          // (InsecureSkipVerify in k8s.io/kubernetes/pkg/probe/http): apps serve
          // self-signed certificates to their probes. Only this probe, to this
          // pod's own app, skips it; the status code is all that is read.
          // eslint-disable-next-line no-restricted-syntax -- kubelet parity, see above
          rejectUnauthorized: false,
        })
      : http.get(options);
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 503);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(503));
  });
}

function tcpProbe(port: number, host: string, podIp: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, ...probeSource(host, podIp) });
    s.setTimeout(PROBE_TIMEOUT_MS, () => s.destroy());
    s.on('connect', () => {
      s.destroy();
      resolve(200);
    });
    s.on('error', () => resolve(503));
    s.on('close', () => resolve(503));
  });
}

/** Resolves with the status the kubelet should see: the app's own, or 503. */
export function runProbe(p: Prober, podIp: string): Promise<number> {
  if (p.httpGet) return httpProbe(p.httpGet, p.httpGet.host ?? podIp, podIp);
  if (p.tcpSocket) return tcpProbe(p.tcpSocket.port, p.tcpSocket.host ?? podIp, podIp);
  return Promise.resolve(503);
}
