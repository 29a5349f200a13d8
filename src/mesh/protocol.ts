// Which protocol a service port speaks, decided the way Kubernetes and Istio
// users already declare it: appProtocol first, then the port-name prefix
// (`http-web`, `grpc`, `tcp-db`…); otherwise the sidecar sniffs the first bytes.
import type { Protocol, ServicePort } from './config.js';

const NAMES: Record<string, Protocol> = {
  http: 'http',
  http2: 'http2',
  h2c: 'http2',
  'kubernetes.io/h2c': 'http2',
  grpc: 'grpc',
  'grpc-web': 'http',
  tcp: 'tcp',
  mongo: 'tcp',
  mysql: 'tcp',
  redis: 'tcp',
  postgres: 'tcp',
  tls: 'tcp',
  https: 'tcp',
};

export type PortProtocol = Protocol | 'detect';

export function protocolOf(port: Pick<ServicePort, 'name' | 'appProtocol'>): PortProtocol {
  if (port.appProtocol) return NAMES[port.appProtocol.toLowerCase()] ?? 'detect';
  const prefix = port.name?.toLowerCase().split('-')[0];
  return (prefix && NAMES[prefix]) || 'detect';
}

/** HTTP/2 on the wire (h2c from the app, h2 between sidecars). */
export const isHttp2 = (p: Protocol): boolean => p === 'http2' || p === 'grpc';

const METHODS = /^(GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH) /;
const H2_PREFACE = 'PRI * HTTP/2.0\r\n';

/**
 * Sniffs a connection's first bytes: HTTP/1.x request line, the HTTP/2 preface,
 * or (anything else, including a client that waits for the server) TCP.
 * Returns undefined while more bytes could still change the answer.
 */
export function detectProtocol(head: Buffer, final: boolean): Protocol | undefined {
  const text = head.subarray(0, 16).toString('latin1');
  if (text.length >= H2_PREFACE.length || final) {
    if (text.startsWith(H2_PREFACE)) return 'http2';
  } else if (H2_PREFACE.startsWith(text)) return undefined;
  if (METHODS.test(head.subarray(0, 8).toString('latin1'))) return 'http';
  if (!final && head.length < 8 && /^[A-Z]*$/.test(text)) return undefined;
  return 'tcp';
}
