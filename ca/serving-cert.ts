// The CA's own HTTPS certificate, issued by its issuer for the CA's identity and
// the names clients dial (the Service DNS names; 127.0.0.1 when run locally).
import { workloadIdentity } from '../src/identity.js';
import { CONTROL_PLANE_SERVICE_ACCOUNT } from '../src/names.js';
import { generateKeyPair, privateKeyToPem } from '../src/pki/index.js';
import type { TlsMaterial } from '../src/http/serve.js';
import type { Authority, IssuePolicy } from './authority.js';
import { issueWorkloadCertificate } from './authority.js';

export interface ServingNames {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
}

export async function issueServingCertificate(
  authority: Authority,
  names: ServingNames,
  policy: IssuePolicy,
): Promise<TlsMaterial & { notAfter: Date; notBefore: Date }> {
  const keys = await generateKeyPair();
  const issued = await issueWorkloadCertificate(
    authority,
    {
      identity: workloadIdentity(names.trustDomain, names.namespace, CONTROL_PLANE_SERVICE_ACCOUNT),
      spki: new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)),
      requestedLifetimeSeconds: policy.maxLifetimeSeconds,
      dnsNames: names.dnsNames,
      ips: names.ips,
    },
    // The CA keeps serving (health, bundle, its 503s) from an issuer too close to
    // expiry for workloads; only an expired one stops it.
    { ...policy, minIssuerRemainingSeconds: 0 },
  );
  return {
    cert: issued.presentedPem.join(''),
    key: await privateKeyToPem(keys.privateKey),
    notBefore: issued.notBefore,
    notAfter: issued.notAfter,
  };
}
