// Runs an HTTPS server until SIGTERM/SIGINT, then stops accepting, lets in-flight
// requests finish (bounded), and runs the component's own cleanup.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from '../log.js';

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

export interface Running {
  readonly server: https.Server;
  readonly port: number;
  /** Swaps the serving certificate for new connections; open ones keep theirs. */
  setTls(tls: TlsMaterial): void;
  close(): Promise<void>;
}

export async function listenHttps(
  app: Express,
  tls: TlsMaterial,
  listen: { host: string; port: number },
): Promise<Running> {
  const server = https.createServer({ ...tls, minVersion: 'TLSv1.2' }, app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    setTls: (next) => server.setSecureContext({ ...next, minVersion: 'TLSv1.2' }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a bounded grace period.
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      }),
  };
}

/** Calls `stop` once on SIGTERM or SIGINT, then exits. */
export function onShutdownSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
