// One admission decision, pure apart from the namespace lookup passed in:
// decode → decide → inject → diff → response. Anything weft cannot inject is
// refused with a message; anything it should not touch is allowed unchanged.
import type { V1Pod } from '@kubernetes/client-node';
import { asWeftError } from '../src/errors.js';
import type { AdmissionRequest, AdmissionResponse } from '../src/k8s/admission.js';
import { inject } from './inject.js';
import { diff } from './json-diff.js';
import type { InjectionConfig } from './injection-config.js';
import { namespacePolicy } from './override-policy.js';
import { decide } from './selection.js';
import type { NamespaceInfo } from './selection.js';

export type AdmissionResult = 'injected' | 'skipped' | 'not-a-pod' | 'refused';

export interface Admission {
  readonly response: AdmissionResponse;
  readonly result: AdmissionResult;
  /** Why: the skip reason, the refusal, or what selected the pod. */
  readonly reason: string;
}

/** metav1.StatusReason for the codes a refusal can carry. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  503: 'ServiceUnavailable',
};

const isPod = (r: AdmissionRequest): boolean =>
  r.kind.group === '' && r.kind.version === 'v1' && r.kind.kind === 'Pod';

export function admit(
  request: AdmissionRequest,
  config: InjectionConfig,
  namespace: (name: string) => NamespaceInfo,
): Admission {
  const uid = request.uid;
  if (!isPod(request) || request.operation !== 'CREATE' || !request.object) {
    return {
      response: { uid, allowed: true },
      result: 'not-a-pod',
      reason: `${request.kind.kind} ${request.operation}`,
    };
  }
  const pod = request.object as V1Pod;
  try {
    const ns = namespace(request.namespace ?? pod.metadata?.namespace ?? 'default');
    const decision = decide(pod, ns);
    if (!decision.inject)
      return { response: { uid, allowed: true }, result: 'skipped', reason: decision.reason };
    const policy = namespacePolicy(ns, config.captureOverrides);
    const ops = diff(pod, inject(pod, config, policy));
    const response: AdmissionResponse = ops.length
      ? {
          uid,
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(ops)).toString('base64'),
        }
      : { uid, allowed: true };
    return { response, result: 'injected', reason: decision.why };
  } catch (err) {
    const e = asWeftError(err);
    const message = e.status < 500 ? e.message : 'internal error while injecting';
    return {
      response: {
        uid,
        allowed: false,
        status: {
          code: e.status < 500 ? e.status : 500,
          message: `weft: ${message}`,
          reason: REASONS[e.status] ?? (e.status < 500 ? 'BadRequest' : 'InternalError'),
        },
      },
      result: 'refused',
      reason: message,
    };
  }
}
