// Issuance records: one WorkloadIdentity resource per identity (namespace + SA),
// whose status lists its live certificates. Writes are one per issuance, per
// identity, serialised in-process; the list is pruned of expired entries and capped,
// so storage stays bounded however many pods come and go.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { WorkloadIdentity } from '../src/identity.js';
import { apiMessage, isConflict, isNotFound } from '../src/k8s/client.js';
import type { Logger } from '../src/log.js';

export const RECORD_GROUP = 'weft.dev';
export const RECORD_VERSION = 'v1alpha1';
export const RECORD_PLURAL = 'workloadidentities';
export const MAX_RECORDS_PER_IDENTITY = 50;

export type IssuancePath = 'sidecar' | 'csr-api';

export interface IssuanceRecord {
  readonly serial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly path: IssuancePath;
  readonly pod?: string;
  readonly csr?: string;
  /** The leaf, PEM (public), so `kubectl weft cert` can show and verify it. */
  readonly certificate?: string;
}

interface RecordStatus {
  spiffeId?: string;
  lastIssued?: string;
  /** The issuer chain above the leaves (intermediates, no root), PEM, as last issued. */
  issuerChain?: string;
  certificates?: IssuanceRecord[];
}
interface RecordObject {
  metadata?: { name?: string; resourceVersion?: string };
  status?: RecordStatus;
}

/** The new certificate list: this record first, expired ones dropped, capped. */
export function mergeRecords(
  existing: readonly IssuanceRecord[],
  record: IssuanceRecord,
  now: Date,
): IssuanceRecord[] {
  const live = existing.filter(
    (r) => r.serial !== record.serial && Date.parse(r.notAfter) > now.getTime(),
  );
  return [record, ...live].slice(0, MAX_RECORDS_PER_IDENTITY);
}

export class IssuanceRecorder {
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly api: CustomObjectsApi,
    private readonly log: Logger,
  ) {}

  /** Queues a write; never throws (a failed record is logged, the certificate stands). */
  record(identity: WorkloadIdentity, record: IssuanceRecord, issuerChain: string): Promise<void> {
    const key = `${identity.namespace}/${identity.serviceAccount}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.write(identity, record, issuerChain))
      .catch((err: unknown) => {
        this.log.warn('could not record issuance', {
          identity: identity.uri,
          serial: record.serial,
          reason: apiMessage(err),
        });
      })
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      });
    this.queues.set(key, next);
    return next;
  }

  /** Waits for queued writes (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.queues.values()]);
  }

  private async write(
    identity: WorkloadIdentity,
    record: IssuanceRecord,
    issuerChain: string,
  ): Promise<void> {
    const ref = {
      group: RECORD_GROUP,
      version: RECORD_VERSION,
      plural: RECORD_PLURAL,
      namespace: identity.namespace,
      name: identity.serviceAccount,
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.readOrCreate(ref, identity);
      const status: RecordStatus = {
        spiffeId: identity.uri,
        lastIssued: new Date().toISOString(),
        issuerChain,
        certificates: mergeRecords(current.status?.certificates ?? [], record, new Date()),
      };
      try {
        await this.api.replaceNamespacedCustomObjectStatus({
          ...ref,
          body: { ...current, status },
        });
        return;
      } catch (err) {
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error('too many write conflicts');
  }

  private async readOrCreate(
    ref: { group: string; version: string; plural: string; namespace: string; name: string },
    identity: WorkloadIdentity,
  ): Promise<RecordObject> {
    try {
      return (await this.api.getNamespacedCustomObject(ref)) as RecordObject;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const body = {
      apiVersion: `${RECORD_GROUP}/${RECORD_VERSION}`,
      kind: 'WorkloadIdentity',
      metadata: { name: ref.name, labels: { 'app.kubernetes.io/managed-by': 'weft-ca' } },
      spec: { serviceAccount: identity.serviceAccount, spiffeId: identity.uri },
    };
    try {
      return (await this.api.createNamespacedCustomObject({ ...ref, body })) as RecordObject;
    } catch (err) {
      if (!isConflict(err)) throw err;
      return (await this.api.getNamespacedCustomObject(ref)) as RecordObject;
    }
  }
}
