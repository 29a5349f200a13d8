// Kubernetes client glue: where the kubeconfig comes from, and what an API error
// means. An unreachable API server is `unavailable` (503), never an auth failure.
import { ApiException, KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, WeftError } from '../errors.js';

/** `--kubeconfig PATH`, else in-cluster config, else $KUBECONFIG / ~/.kube/config. */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kc = new KubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

/** The HTTP status of an API error, or undefined when the server was not reached. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException && typeof err.code === 'number' && err.code > 0
    ? err.code
    : undefined;
}

export const isNotFound = (err: unknown): boolean => apiStatus(err) === 404;
export const isConflict = (err: unknown): boolean => apiStatus(err) === 409;

/** The API server's own message from an error body, for logs and CLI output. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as {
        message?: string;
      };
      if (body?.message) return body.message;
    } catch {
      // not JSON: fall through
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Wraps a failed API call: unreachable or 5xx → unavailable (retry later); else the cause. */
export function apiFailure(what: string, err: unknown): WeftError {
  const status = apiStatus(err);
  if (status === undefined || status >= 500 || status === 429) {
    return new WeftError(ErrorCode.Unavailable, `${what}: Kubernetes API unavailable`, {
      cause: err,
      retryAfterSeconds: 5,
    });
  }
  return new WeftError(ErrorCode.Internal, `${what}: ${apiMessage(err)}`, { cause: err });
}
