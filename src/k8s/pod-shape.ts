// The fields of a Pod that weft reads, checked at the webhook's boundary. The API
// server only sends pods it decoded into its own types, but the webhook's port
// answers anyone in the cluster: a body whose `spec.initContainers` is a number
// must be a 400 naming that field, not a TypeError deep in the injector. Every
// other field passes through untouched (loose objects), so nothing a newer
// Kubernetes adds is refused.
import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());
const portRef = z.union([z.number().int(), z.string()]);

const Probe = z.looseObject({
  httpGet: z
    .looseObject({
      port: portRef,
      path: z.string().optional(),
      scheme: z.string().optional(),
      host: z.string().optional(),
      httpHeaders: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
    })
    .optional(),
  tcpSocket: z.looseObject({ port: portRef }).optional(),
});

const Container = z.looseObject({
  name: z.string(),
  ports: z
    .array(z.looseObject({ containerPort: z.number().int(), name: z.string().optional() }))
    .optional(),
  env: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
  livenessProbe: Probe.optional(),
  readinessProbe: Probe.optional(),
  startupProbe: Probe.optional(),
});

export const PodShape = z.looseObject({
  metadata: z
    .looseObject({
      name: z.string().optional(),
      generateName: z.string().optional(),
      namespace: z.string().optional(),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    })
    .optional(),
  spec: z
    .looseObject({
      containers: z.array(Container).optional(),
      initContainers: z.array(Container).optional(),
      volumes: z.array(z.looseObject({ name: z.string() })).optional(),
      hostNetwork: z.boolean().optional(),
    })
    .optional(),
});

/** The first problem with a pod's shape, as `spec.containers.0.name: …`; undefined if none. */
export function podShapeProblem(object: unknown): string | undefined {
  const result = PodShape.safeParse(object);
  if (result.success) return undefined;
  const issue = result.error.issues[0]!;
  return `${issue.path.map(String).join('.')}: ${issue.message}`;
}
