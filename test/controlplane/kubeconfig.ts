// Kubeconfigs for a control-plane run (admin by client certificate, or a token): a file for kubectl and a
// @kubernetes/client-node KubeConfig for tests, with certificates embedded.
import { writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

export type Credentials = {
  readonly server: string;
  readonly caCert: string;
} & ({ readonly clientCert: string; readonly clientKey: string } | { readonly token: string });

const b64 = (s: string): string => Buffer.from(s).toString('base64');

export function writeKubeconfig(file: string, creds: Credentials): KubeConfig {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'weft-testenv',
        cluster: { server: creds.server, 'certificate-authority-data': b64(creds.caCert) },
      },
    ],
    users: [
      {
        name: 'weft-admin',
        user:
          'token' in creds
            ? { token: creds.token }
            : {
                'client-certificate-data': b64(creds.clientCert),
                'client-key-data': b64(creds.clientKey),
              },
      },
    ],
    contexts: [{ name: 'weft-testenv', context: { cluster: 'weft-testenv', user: 'weft-admin' } }],
    'current-context': 'weft-testenv',
  };
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}
