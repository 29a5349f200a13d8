// Discovery's debug endpoint (Istio's /debug/syncz): which sidecars stream from
// this replica, what each was last sent, and its last ACK and NACK. Read-only,
// plain HTTP, and bound to the pod's loopback only (config.ts refuses any other
// address): no pod of the mesh can reach it; an operator reaches it through the
// API server's port-forward, which RBAC guards (`pods/portforward` in weft-system).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { SynczReport } from '../src/debug/syncz.js';
import { SYNCZ_PATH } from '../src/debug/syncz.js';
import type { Logger } from '../src/log.js';
import type { ConnectionStatus } from './stream-server.js';

export interface DebugServer {
  readonly port: number;
  close(): Promise<void>;
}

/** This replica's name as `kubectl get pods` shows it (the downward API's POD_NAME, else the hostname). */
export const replicaName = (env: NodeJS.ProcessEnv = process.env): string =>
  env.POD_NAME || os.hostname();

export function synczReport(streams: ConnectionStatus[], controlPlane: string): SynczReport {
  return { apiVersion: 'weft.dev/v1alpha1', kind: 'SyncStatus', controlPlane, streams };
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body) + '\n');
}

export async function startDebugServer(
  listen: { host: string; port: number },
  streams: () => ConnectionStatus[],
  log: Logger,
): Promise<DebugServer> {
  const name = replicaName();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== SYNCZ_PATH) {
      return answer(res, 404, {
        code: 'not_found',
        message: `no such endpoint; try ${SYNCZ_PATH}`,
      });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return answer(res, 405, { code: 'method_not_allowed', message: 'read-only: GET' });
    }
    answer(res, 200, synczReport(streams(), name));
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info('discovery debug endpoint ready', {
    address: `${listen.host}:${port}`,
    path: SYNCZ_PATH,
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
