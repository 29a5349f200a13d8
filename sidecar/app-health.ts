// Runs the app's original kubelet probes from inside the pod, on localhost, for
// the rewritten probes that point at /app-health/<container>/<kind> on 15020.
import http from 'node:http';
import net from 'node:net';
import type { Prober } from '../src/app-probes.js';

const PROBE_TIMEOUT_MS = 5_000;

/** Resolves with the status the kubelet should see: the app's own, or 503. */
export function runProbe(p: Prober): Promise<number> {
  return new Promise((resolve) => {
    if (p.httpGet) {
      const headers = Object.fromEntries(
        (p.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]),
      );
      const req = http.get(
        {
          host: '127.0.0.1',
          port: p.httpGet.port,
          path: p.httpGet.path ?? '/',
          headers,
          timeout: PROBE_TIMEOUT_MS,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 503);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(503));
      return;
    }
    if (p.tcpSocket) {
      const s = net.connect({ host: '127.0.0.1', port: p.tcpSocket.port });
      s.setTimeout(PROBE_TIMEOUT_MS, () => s.destroy());
      s.on('connect', () => {
        s.destroy();
        resolve(200);
      });
      s.on('error', () => resolve(503));
      s.on('close', () => resolve(503));
      return;
    }
    resolve(503);
  });
}
