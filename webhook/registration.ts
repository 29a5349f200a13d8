// The MutatingWebhookConfiguration, built by one pure function for both the
// shipped manifest (Service client config) and --register (URL client config),
// plus the calls that register, unregister, and keep its caBundle current.
import type {
  AdmissionregistrationV1Api,
  AdmissionregistrationV1WebhookClientConfig,
  V1MutatingWebhook,
  V1MutatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { isNotFound } from '../src/k8s/client.js';
import { INJECT_LABEL, NAMESPACE_ENABLED, NEVER_INJECTED_NAMESPACES } from './selection.js';

export const WEBHOOK_CONFIGURATION = 'weft-injector';
export type FailurePolicy = 'Fail' | 'Ignore';

const notExcluded = {
  key: 'kubernetes.io/metadata.name',
  operator: 'NotIn',
  values: [...NEVER_INJECTED_NAMESPACES],
};

function hook(
  name: string,
  clientConfig: AdmissionregistrationV1WebhookClientConfig,
  failurePolicy: FailurePolicy,
): V1MutatingWebhook {
  return {
    name,
    clientConfig,
    rules: [
      {
        operations: ['CREATE'],
        apiGroups: [''],
        apiVersions: ['v1'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ],
    failurePolicy,
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    timeoutSeconds: 5,
    admissionReviewVersions: ['v1'],
    reinvocationPolicy: 'Never',
  };
}

/**
 * Two webhooks mirror the selection rules, so the API server calls weft only for
 * pods it may inject: a labelled namespace (unless the pod opts out), or a pod that
 * opts in from an unlabelled namespace. System namespaces never match.
 */
export function webhookConfiguration(
  clientConfig: AdmissionregistrationV1WebhookClientConfig,
  failurePolicy: FailurePolicy = 'Fail',
): V1MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_CONFIGURATION, labels: { 'app.kubernetes.io/part-of': 'weft' } },
    webhooks: [
      {
        ...hook('namespace.inject.weft.dev', clientConfig, failurePolicy),
        namespaceSelector: {
          matchExpressions: [
            { key: INJECT_LABEL, operator: 'In', values: [NAMESPACE_ENABLED] },
            notExcluded,
          ],
        },
        objectSelector: {
          matchExpressions: [{ key: INJECT_LABEL, operator: 'NotIn', values: ['false'] }],
        },
      },
      {
        ...hook('object.inject.weft.dev', clientConfig, failurePolicy),
        namespaceSelector: {
          matchExpressions: [
            { key: INJECT_LABEL, operator: 'NotIn', values: [NAMESPACE_ENABLED] },
            notExcluded,
          ],
        },
        objectSelector: { matchLabels: { [INJECT_LABEL]: 'true' } },
      },
    ],
  };
}

/** Creates or replaces the configuration. */
export async function register(
  api: AdmissionregistrationV1Api,
  body: V1MutatingWebhookConfiguration,
): Promise<void> {
  const name = body.metadata!.name!;
  try {
    const current = await api.readMutatingWebhookConfiguration({ name });
    await api.replaceMutatingWebhookConfiguration({
      name,
      body: {
        ...body,
        metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion },
      },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await api.createMutatingWebhookConfiguration({ body });
  }
}

export async function unregister(
  api: AdmissionregistrationV1Api,
  name = WEBHOOK_CONFIGURATION,
): Promise<void> {
  try {
    await api.deleteMutatingWebhookConfiguration({ name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Sets every webhook's caBundle to `caPem` if it differs; returns whether it wrote. */
export async function syncCaBundle(
  api: AdmissionregistrationV1Api,
  caPem: string,
  name = WEBHOOK_CONFIGURATION,
): Promise<boolean> {
  const current = await api.readMutatingWebhookConfiguration({ name });
  const bundle = Buffer.from(caPem).toString('base64');
  const hooks = current.webhooks ?? [];
  if (hooks.every((h) => h.clientConfig.caBundle === bundle)) return false;
  current.webhooks = hooks.map((h) => ({
    ...h,
    clientConfig: { ...h.clientConfig, caBundle: bundle },
  }));
  await api.replaceMutatingWebhookConfiguration({ name, body: current });
  return true;
}
