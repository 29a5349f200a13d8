// How kubectl weft reaches a loopback-only debug endpoint in a pod (discovery's
// /debug/syncz, the sidecar's admin /debug/view): the API server's port-forward, as
// `kubectl port-forward` does, so RBAC (`create pods/portforward`) decides who may.
// Or, for a control plane or sidecar run outside a cluster (development, tests), a
// HOST:PORT given on the command line, dialled directly.
import net from 'node:net';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { PortForward } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';

export interface Tunnel {
  /** http://127.0.0.1:PORT: a local port that reaches the target. */
  readonly base: string;
  /** The first failure the forward reported (the API server's or the kubelet's words). */
  failure(): string | undefined;
  close(): Promise<void>;
}

/** A target given as HOST:PORT: no tunnel, the address itself. */
export function direct(address: { host: string; port: number }): Tunnel {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return {
    base: `http://${host}:${address.port}`,
    failure: () => undefined,
    close: () => Promise.resolve(),
  };
}

/**
 * The kubelet's error channel of a port-forward ("failed to connect to localhost:15000
 * …"). The channel's first frame is only the port number, which the client library
 * strips and still writes, as an empty chunk: that is not an error (taking it for one
 * cut every forwarded connection at once — found on the real node).
 */
export function kubeletErrors(onError: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done): void {
      const text = chunk.toString('utf8').trim();
      if (text) onError(text);
      done();
    },
  });
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A local listener whose every connection is forwarded to `port` in the pod. */
export async function portForward(
  kc: KubeConfig,
  namespace: string,
  pod: string,
  port: number,
): Promise<Tunnel> {
  const forward = new PortForward(kc, true);
  let first: string | undefined;
  const fail = (text: string): void => {
    first ??= text.trim().slice(0, 300);
  };
  const sockets = new Set<net.Socket>();
  const closers = new Set<() => void>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const errors = kubeletErrors((text) => {
      fail(text);
      socket.destroy();
    });
    // No retries (retryCount 0): the promise holds the WebSocket itself.
    forward.portForward(namespace, pod, [port], socket, errors, socket).then(
      (ws: unknown) => {
        const close = (): void => (ws as { close(): void }).close();
        closers.add(close);
        socket.on('close', () => {
          close();
          closers.delete(close);
        });
      },
      (err: unknown) => {
        fail(reason(err));
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    failure: () => first,
    close: () =>
      new Promise<void>((resolve) => {
        for (const close of closers) close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
