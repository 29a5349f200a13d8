// Metrics registries are created per component and passed down, never the global
// default, so components sharing a process (weft control-plane) do not collide.
import { Registry, collectDefaultMetrics } from 'prom-client';

export function createRegistry(component: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  return registry;
}

/** Process metrics (CPU, memory, event loop) once per process, on one registry. */
export function withProcessMetrics(registry: Registry): Registry {
  collectDefaultMetrics({ register: registry });
  return registry;
}
