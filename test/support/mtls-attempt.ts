// Connects to a pod's captured port the way a peer sidecar (or an attacker) would,
// with the certificate given, and reports what came back: a response line, or
// how the connection ended. Also mints the certificates the negative matrix needs.
import net from 'node:net';
import tls from 'node:tls';
import type { Authority } from '../../ca/authority.js';
import {
  ExtendedKeyUsage,
  KeyType,
  buildCertificate,
  createEphemeralCa,
  generateKeyPair,
  privateKeyToPem,
  randomSerial,
} from '../../src/pki/index.js';

export interface Credential {
  readonly cert: string;
  readonly key: string;
}

export type Outcome = { readonly response: string } | { readonly refused: string };

const REQUEST = (path: string): string =>
  path.startsWith('POST ')
    ? `${path} HTTP/1.1\r\nHost: echo\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`
    : `GET ${path} HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n`;

function settle(socket: net.Socket, resolve: (o: Outcome) => void): void {
  let data = '';
  socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
  socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => {
    if (!data) resolve({ refused: e.code ?? e.message });
  });
  socket.on('close', () =>
    resolve(data ? { response: data.split('\r\n')[0]! } : { refused: 'closed' }),
  );
}

/** `alpn` is the protocol the client offers (http/1.1 unless given; weft-tcp for TCP). */
export function tlsAttempt(
  { host, port, alpn = 'http/1.1' }: { host: string; port: number; alpn?: string | undefined },
  roots: string,
  path: string,
  credential?: Credential,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      ca: roots,
      ...credential,
      ALPNProtocols: [alpn],
      // The server's SPIFFE ID is checked by the sidecars; here only the chain matters.
      checkServerIdentity: () => undefined,
    });
    socket.on('secureConnect', () => socket.write(REQUEST(path)));
    settle(socket, resolve);
  });
}

export function plainAttempt(host: string, port: number, bytes: string | Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => socket.write(bytes));
    settle(socket, resolve);
  });
}

interface LeafOptions {
  readonly uri?: string;
  readonly dns?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A client leaf signed by the mesh's own issuer (valid, expired, or without a SPIFFE ID). */
export async function meshLeaf(authority: Authority, o: LeafOptions): Promise<Credential> {
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const now = Date.now();
  const leaf = await buildCertificate(
    {
      subject: '',
      serialNumber: randomSerial(),
      notBefore: o.notBefore ?? new Date(now - 60_000),
      notAfter: o.notAfter ?? new Date(now + 3_600_000),
      publicKey: keys.publicKey,
      sans: {
        ...(o.uri ? { uris: [o.uri] } : {}),
        dnsNames: [o.dns ?? 'not-a-workload.example'],
      },
      extendedKeyUsages: [ExtendedKeyUsage.ClientAuth, ExtendedKeyUsage.ServerAuth],
    },
    {
      certificate: authority.issuer,
      privateKey: authority.issuerKey,
      keyType: authority.issuerKeyType,
    },
  );
  const chain = [
    leaf,
    authority.issuer,
    ...authority.chain.filter((c) => !c.equal(authority.issuer)),
  ];
  return {
    cert: chain.map((c) => c.toString('pem')).join('\n'),
    key: await privateKeyToPem(keys.privateKey),
  };
}

/** A client certificate with the right shape from a CA the mesh does not trust. */
export async function foreignLeaf(uri: string): Promise<Credential> {
  const other = await createEphemeralCa('not-weft', 3_600_000);
  const keys = await generateKeyPair(KeyType.EcdsaP256);
  const leaf = await other.sign(keys.publicKey, '', { uris: [uri] }, [ExtendedKeyUsage.ClientAuth]);
  return {
    cert: leaf.toString('pem') + '\n' + other.certPem,
    key: await privateKeyToPem(keys.privateKey),
  };
}
