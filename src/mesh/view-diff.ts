// What a sidecar needs to go from the versions it holds to the view it should
// have: the resources whose version differs and the names it should drop.
import type { Resource, View } from './view.js';

export interface ViewDiff {
  readonly resources: readonly Resource[];
  readonly removed: readonly string[];
}

export function diffView(held: ReadonlyMap<string, string>, desired: View): ViewDiff {
  const resources: Resource[] = [];
  const removed: string[] = [];
  for (const r of desired.values()) if (held.get(r.name) !== r.version) resources.push(r);
  for (const name of held.keys()) if (!desired.has(name)) removed.push(name);
  return { resources, removed };
}

export const isEmptyDiff = (d: ViewDiff): boolean => !d.resources.length && !d.removed.length;
