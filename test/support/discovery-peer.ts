// A sidecar's discovery stream without the sidecar: speaks the real protocol
// (src/mesh/wire.ts) with the certificate and source address given, applies every
// message with the real view code, and ACKs (or NACKs what `refuse` names).
import http2 from 'node:http2';
import tls from 'node:tls';
import type { MeshConfig } from '../../src/mesh/config.js';
import { LineReader, encodeLine } from '../../src/mesh/ndjson.js';
import { applyMessage } from '../../src/mesh/view-apply.js';
import type { View } from '../../src/mesh/view.js';
import { versionsOf, viewVersion } from '../../src/mesh/view.js';
import type { ServerMessage } from '../../src/mesh/wire.js';
import {
  DISCOVERY_PATH,
  NDJSON,
  ServerMessage as ServerMessageSchema,
} from '../../src/mesh/wire.js';
import { eventually } from './cluster.js';
import type { Credential } from './mtls-attempt.js';

export interface DiscoveryPeer {
  /** The HTTP status the stream was answered with. */
  status(): Promise<number>;
  readonly messages: ServerMessage[];
  readonly body: string[];
  view: View;
  config: MeshConfig | undefined;
  readonly nacks: string[];
  /** Waits until the applied config satisfies `fn`. */
  until<T>(what: string, fn: (c: MeshConfig) => T | undefined, timeoutMs?: number): Promise<T>;
  close(): void;
}

export interface PeerOptions {
  readonly port: number;
  readonly host?: string;
  readonly credential: Credential;
  readonly roots: string;
  readonly localAddress?: string;
  readonly known?: View;
  /** Refuse a message (NACK) when this returns an error text. */
  readonly refuse?: (m: ServerMessage) => string | undefined;
}

export function discoveryPeer(o: PeerOptions): DiscoveryPeer {
  const host = o.host ?? '127.0.0.1';
  const session = http2.connect(`https://${host}:${o.port}`, {
    createConnection: () =>
      tls.connect({
        host,
        port: o.port,
        ca: o.roots,
        ...o.credential,
        ALPNProtocols: ['h2'],
        ...(o.localAddress ? { localAddress: o.localAddress } : {}),
        checkServerIdentity: () => undefined,
      }),
  });
  session.on('error', () => undefined);
  const stream = session.request({
    ':method': 'POST',
    ':path': DISCOVERY_PATH,
    'content-type': NDJSON,
  });
  const status = new Promise<number>((resolve) => {
    stream.on('response', (h) => resolve(Number(h[':status'])));
    stream.on('close', () => resolve(0));
  });
  const peer: DiscoveryPeer = {
    status: () => status,
    messages: [],
    body: [],
    view: o.known ?? new Map(),
    config: undefined,
    nacks: [],
    until: (what, fn, timeoutMs = 20_000) =>
      eventually(what, () => Promise.resolve(peer.config ? fn(peer.config) : undefined), timeoutMs),
    close: () => session.destroy(),
  };
  stream.on('error', () => undefined);
  stream.write(encodeLine({ type: 'hello', known: versionsOf(peer.view) }));
  const reader = new LineReader(64 * 1024 * 1024);
  stream.on('data', (chunk: Buffer) => {
    for (const raw of reader.push(chunk)) {
      const parsed = ServerMessageSchema.safeParse(raw);
      if (!parsed.success) {
        peer.body.push(JSON.stringify(raw));
        continue;
      }
      const m = parsed.data;
      peer.messages.push(m);
      const refusal = o.refuse?.(m);
      const applied = refusal ? undefined : applyMessage(peer.view, m, 'cluster.local');
      if (applied?.ok) {
        peer.view = applied.view;
        peer.config = applied.config;
        stream.write(encodeLine({ type: 'ack', nonce: m.nonce, version: m.version }));
      } else {
        const error = refusal ?? (applied && !applied.ok ? applied.error : 'refused');
        peer.nacks.push(error);
        const rejected = applied && !applied.ok ? [...applied.rejected] : [];
        stream.write(
          encodeLine({
            type: 'nack',
            nonce: m.nonce,
            version: viewVersion(peer.view),
            error,
            rejected,
          }),
        );
      }
    }
  });
  return peer;
}
