// Where a pod's start time goes: polls the pod every 50 ms from its creation until
// it is Ready and records when each step was first seen (pod status timestamps have
// one-second resolution, too coarse for a 2 s budget). Used by measure-pod-start.ts.
import type { CoreV1Api, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

/** The steps in the order they happen; those a plain pod lacks stay unset. */
export const STEPS = [
  'scheduled',
  'initRunning',
  'initDone',
  'proxyRunning',
  'proxyStarted',
  'proxyReady',
  'appRunning',
  'appReady',
  'podReady',
] as const;
export type Step = (typeof STEPS)[number];
/** Milliseconds from creation to each step seen. */
export type Timeline = Partial<Record<Step, number>>;

function status(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ].find((s) => s.name === name);
}

type Container = V1ContainerStatus | undefined;
const running = (c: Container): boolean => Boolean(c?.state?.running);
const CHECKS: Record<Step, (pod: V1Pod, of: (name: string) => Container) => boolean> = {
  scheduled: (pod) => Boolean(pod.spec?.nodeName),
  initRunning: (_, of) => running(of('weft-init')) || Boolean(of('weft-init')?.state?.terminated),
  initDone: (_, of) => of('weft-init')?.state?.terminated?.exitCode === 0,
  proxyRunning: (_, of) => running(of('weft-proxy')),
  proxyStarted: (_, of) => of('weft-proxy')?.started === true,
  proxyReady: (_, of) => of('weft-proxy')?.ready === true,
  appRunning: (_, of) => running(of('app')),
  appReady: (_, of) => of('app')?.ready === true,
  podReady: (pod) =>
    pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
};

/** The steps this snapshot of the pod shows as done. */
export function stepsSeen(pod: V1Pod): Step[] {
  const of = (name: string): Container => status(pod, name);
  return STEPS.filter((step) => CHECKS[step](pod, of));
}

/** Polls until the pod is Ready (at most `timeoutMs`); returns when each step was first seen. */
export async function podStartTimeline(
  api: CoreV1Api,
  pod: { name: string; namespace: string; createdAt: number },
  timeoutMs = 60_000,
): Promise<Timeline> {
  const timeline: Timeline = {};
  const deadline = pod.createdAt + timeoutMs;
  while (Date.now() < deadline) {
    const seen = stepsSeen(await api.readNamespacedPod(pod));
    const at = Date.now() - pod.createdAt;
    for (const step of seen) timeline[step] ??= at;
    if (timeline.podReady !== undefined) return timeline;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${pod.namespace}/${pod.name} not Ready within ${timeoutMs} ms`);
}

/** p50 of each step over many timelines, as "step=ms" pairs in step order. */
export function medianSteps(timelines: readonly Timeline[]): string {
  return STEPS.flatMap((step) => {
    const values = timelines.flatMap((t) => (t[step] === undefined ? [] : [t[step]]));
    if (!values.length) return [];
    values.sort((a, b) => a - b);
    return [`${step}=${values[Math.floor((values.length - 1) / 2)]}`];
  }).join(' ');
}
