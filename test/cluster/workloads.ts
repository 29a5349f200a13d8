// Workloads for suites on the test cluster: the echo app (weft.test/echo:dev) as a
// Deployment + Service, and a helper to run its one-shot HTTP client inside a pod.
import { stringify } from 'yaml';
import { kubectl } from '../support/kubectl.js';

export const ECHO_IMAGE = 'weft.test/echo:dev';
export const ECHO_HTTP_PORT = 8080;
export const ECHO_TCP_PORT = 9090;

export interface EchoAppOptions {
  readonly replicas?: number;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** A Deployment and a Service named `name`, serving HTTP on 8080 and TCP on 9090. */
export function echoApp(name: string, namespace: string, opts: EchoAppOptions = {}): string {
  const labels = { app: name, ...(opts.labels ?? {}) };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels, annotations: opts.annotations ?? {} },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: 'app',
              image: ECHO_IMAGE,
              imagePullPolicy: 'Never',
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              ports: [
                { name: 'http', containerPort: ECHO_HTTP_PORT },
                { name: 'tcp', containerPort: ECHO_TCP_PORT },
              ],
              readinessProbe: {
                httpGet: { path: '/ready', port: ECHO_HTTP_PORT },
                periodSeconds: 1,
              },
              livenessProbe: { httpGet: { path: '/live', port: ECHO_HTTP_PORT }, periodSeconds: 5 },
            },
          ],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      selector: { app: name },
      ports: [
        { name: 'http', port: ECHO_HTTP_PORT, targetPort: ECHO_HTTP_PORT },
        { name: 'tcp', port: ECHO_TCP_PORT, targetPort: ECHO_TCP_PORT },
      ],
    },
  };
  return `${stringify(deployment)}---\n${stringify(service)}`;
}

export interface CallResult {
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

/** One GET from inside `pod` (its app container), through whatever captures its traffic. */
export async function callFromPod(
  kubeconfig: string,
  namespace: string,
  pod: string,
  url: string,
): Promise<CallResult> {
  const res = await kubectl(kubeconfig, [
    'exec',
    '-n',
    namespace,
    pod,
    '-c',
    'app',
    '--',
    '/usr/bin/node',
    '/echo/echo-app.js',
    'call',
    url,
  ]);
  const [first = '', ...rest] = res.stdout.split('\n');
  if (first.startsWith('ERROR') || res.code !== 0) {
    return { status: 0, body: '', error: `${first} ${res.stderr}`.trim() };
  }
  return { status: Number(first), body: rest.join('\n').trim() };
}
