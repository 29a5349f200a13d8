// Issuance records: one WorkloadIdentity resource per identity (namespace + SA),
// whose status lists its live certificates. Records wait in memory per identity and
// are written coalesced: one write carries every record that arrived since the last,
// at most one write per identity and a few in all are in flight, and the set of
// identities waiting is bounded (oldest dropped, counted). The list is pruned of
// expired entries and capped, so storage and memory stay bounded however many
// certificates are issued.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { WorkloadIdentity } from '../src/identity.js';
import { apiMessage, isConflict, isNotFound } from '../src/k8s/client.js';
import type { Counter } from 'prom-client';
import type { Logger } from '../src/log.js';
import { limitLogger } from '../src/log-limit.js';
import type { LimitedLogger } from '../src/log-limit.js';

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

/**
 * The new certificate list: the new records first (newest first), duplicate serials
 * dropped, capped. Expired records are dropped except the newest issued: the audit's
 * `certificate-expired` reads it, and a short-lived certificate whose write landed
 * after its expiry (coalesced writes on a busy CA) must still be on record, not lost.
 */
export function mergeRecords(
  existing: readonly IssuanceRecord[],
  added: IssuanceRecord | readonly IssuanceRecord[],
  now: Date,
): IssuanceRecord[] {
  const fresh = Array.isArray(added)
    ? (added as readonly IssuanceRecord[])
    : [added as IssuanceRecord];
  const all = [...fresh, ...existing];
  const newest = all.reduce<IssuanceRecord | undefined>(
    (best, r) => (!best || Date.parse(r.notBefore) > Date.parse(best.notBefore) ? r : best),
    undefined,
  );
  const seen = new Set<string>();
  const out: IssuanceRecord[] = [];
  for (const r of all) {
    if (seen.has(r.serial)) continue;
    if (r !== newest && Date.parse(r.notAfter) <= now.getTime()) continue;
    seen.add(r.serial);
    out.push(r);
    if (out.length === MAX_RECORDS_PER_IDENTITY) break;
  }
  return out;
}

interface Pending {
  readonly identity: WorkloadIdentity;
  /** Newest first, at most MAX_RECORDS_PER_IDENTITY. */
  records: IssuanceRecord[];
  issuerChain: string;
}

export interface RecorderOptions {
  /** Identities with records waiting; past it the oldest waiting set is dropped. Default 1000. */
  readonly maxPending?: number;
  /** Writes in flight at once, across identities. Default 4. */
  readonly maxWriters?: number;
  /** Counts records dropped (queue full, or still waiting at shutdown). */
  readonly dropped?: Counter;
}

export class IssuanceRecorder {
  private readonly pending = new Map<string, Pending>();
  private readonly writing = new Set<string>();
  private idleWaiters: (() => void)[] = [];
  private readonly limited: LimitedLogger;

  constructor(
    private readonly api: CustomObjectsApi,
    private readonly log: Logger,
    private readonly opts: RecorderOptions = {},
  ) {
    this.limited = limitLogger(log);
  }

  /** Queues a record; never throws (a failed or dropped record is logged, the certificate stands). */
  record(identity: WorkloadIdentity, record: IssuanceRecord, issuerChain: string): void {
    const key = `${identity.namespace}/${identity.serviceAccount}`;
    const waiting = this.pending.get(key);
    if (waiting) {
      // Serials are random, so no duplicates here; mergeRecords dedupes at write time.
      waiting.records.unshift(record);
      if (waiting.records.length > MAX_RECORDS_PER_IDENTITY) waiting.records.pop();
      waiting.issuerChain = issuerChain;
    } else {
      if (this.pending.size >= (this.opts.maxPending ?? 1000)) this.dropOldest();
      this.pending.set(key, { identity, records: [record], issuerChain });
    }
    this.pump();
  }

  /** Identities with records not yet written (tests, metrics). */
  get backlog(): number {
    return this.pending.size + this.writing.size;
  }

  /**
   * Waits for queued writes, at most `timeoutMs` (shutdown must fit the grace
   * period); whatever still waits then is dropped and counted. Returns that count.
   */
  async flush(timeoutMs = Infinity): Promise<number> {
    if (this.backlog > 0) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      const deadline = new Promise<void>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([idle, deadline]);
      clearTimeout(timer);
    }
    let dropped = 0;
    for (const p of this.pending.values()) dropped += p.records.length;
    this.pending.clear();
    if (dropped) {
      this.opts.dropped?.inc(dropped);
      this.log.warn('issuance records not written before shutdown', { dropped });
    }
    return dropped;
  }

  private dropOldest(): void {
    const oldest = this.pending.entries().next();
    if (oldest.done) return;
    const [key, p] = oldest.value;
    this.pending.delete(key);
    this.opts.dropped?.inc(p.records.length);
    this.limited.warn(
      'issuance record queue full; dropped the oldest waiting records',
      { identity: p.identity.uri, dropped: p.records.length },
      'issuance records dropped',
    );
  }

  /** Starts writes for waiting identities not already being written, up to maxWriters. */
  private pump(): void {
    const maxWriters = this.opts.maxWriters ?? 4;
    for (const [key, p] of this.pending) {
      if (this.writing.size >= maxWriters) break;
      if (this.writing.has(key)) continue;
      this.pending.delete(key);
      this.writing.add(key);
      void this.writeLogged(p).finally(() => {
        this.writing.delete(key);
        this.pump();
        if (this.backlog === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
      });
    }
  }

  private async writeLogged(p: Pending): Promise<void> {
    try {
      await this.write(p.identity, p.records, p.issuerChain);
    } catch (err) {
      this.limited.warn(
        'could not record issuance',
        { identity: p.identity.uri, serials: p.records.length, reason: apiMessage(err) },
        'could not record issuance',
      );
    }
  }

  private async write(
    identity: WorkloadIdentity,
    records: readonly IssuanceRecord[],
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
        certificates: mergeRecords(current.status?.certificates ?? [], records, new Date()),
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
