// What the plugin reads from a cluster, reduced to plain data, and what it
// reports. Findings are computed from this by pure functions (findings.ts).
import type { CaptureFacts } from './capture-facts.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export interface PodFacts {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  /** Carries weft's status annotation. */
  readonly injected: boolean;
  readonly optedOut: boolean;
  readonly hostNetwork: boolean;
  /** Owner workload (Deployment/orders), else the app label, else the pod itself. */
  readonly workload: string;
  readonly weftVersion?: string;
  /** Injected pods: how their programmed capture is weakened (capture-facts.ts). */
  readonly capture?: CaptureFacts;
}

export interface NamespaceFacts {
  readonly name: string;
  readonly injectionEnabled: boolean;
  /** The weft-trust-bundle ConfigMap's roots, or undefined when it is missing. */
  readonly bundle?: string;
}

export interface CertificateRecord {
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly path: string;
  readonly pod?: string;
  readonly csr?: string;
  readonly certificate?: string;
}

export interface IdentityRecord {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly spiffeId: string;
  readonly certificates: readonly CertificateRecord[];
  readonly issuerChain?: string;
}

export interface Inventory {
  readonly trustDomain: string;
  readonly namespaces: readonly NamespaceFacts[];
  readonly pods: readonly PodFacts[];
  readonly records: readonly IdentityRecord[];
  /** The mesh's roots (the CA Secret's, else weft-system's bundle); undefined if unknown. */
  readonly roots?: string;
}

export const FindingCode = {
  UninjectedPod: 'uninjected-pod',
  OptedOutPod: 'opted-out-pod',
  DefaultServiceAccount: 'default-service-account',
  SharedServiceAccount: 'shared-service-account',
  CertificateExpired: 'certificate-expired',
  CertificateExpiring: 'certificate-expiring',
  OrphanCertificate: 'orphan-certificate',
  TrustBundleMissing: 'trust-bundle-missing',
  TrustBundleStale: 'trust-bundle-stale',
  CaptureDisabled: 'capture-disabled',
  CaptureBypassed: 'capture-bypassed',
} as const;
export type FindingCode = (typeof FindingCode)[keyof typeof FindingCode];

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly namespace: string;
  /** What it is about: pod/NAME, serviceaccount/NAME, configmap/NAME. */
  readonly object: string;
  readonly spiffeId?: string;
  readonly message: string;
}
