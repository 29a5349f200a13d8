// One admission decision, pure apart from the namespace lookup passed in:
// decode → decide → inject → diff → response. Anything weft cannot inject is
// refused with a message; anything it should not touch is allowed unchanged.
import type { V1Pod } from '@kubernetes/client-node';
import jsonpatch from 'fast-json-patch';
import { asWeftError } from '../src/errors.js';
import type { AdmissionRequest, AdmissionResponse } from '../src/k8s/admission.js';
import { inject } from './inject.js';
import type { InjectionConfig } from './injection-config.js';
import { decide } from './selection.js';
import type { NamespaceInfo } from './selection.js';

export type AdmissionResult = 'injected' | 'skipped' | 'not-a-pod' | 'refused';

export interface Admission {
  readonly response: AdmissionResponse;
  readonly result: AdmissionResult;
  /** Why: the skip reason, the refusal, or what selected the pod. */
  readonly reason: string;
}

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
    const ops = jsonpatch.compare(pod, inject(pod, config));
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
          code: e.status < 500 ? 400 : 500,
          message: `weft: ${message}`,
          reason: 'BadRequest',
        },
      },
      result: 'refused',
      reason: message,
    };
  }
}
