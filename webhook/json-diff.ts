// The JSON Patch (RFC 6902) from a pod to its injected self, in time and size linear
// in the pod. fast-json-patch's compare() diffs arrays index by index, so putting
// one container in front of M others rewrote every field of all M (an 11 MB patch
// for a 2.7 MB pod, that the API server then applies op by op). Here an array keeps
// its common prefix and suffix, and only the middle changes: an insertion is one
// `add`, a removal one `remove`, anything else element-wise if the lengths match,
// else one `replace` of the array. Objects diff as compare() does (same op order),
// and a subtree that is the same reference costs nothing, so a pod copied shallowly
// and edited in a few places diffs in time proportional to the edits.
import type { Operation } from 'fast-json-patch';

type Json = unknown;

/** More inserted or removed elements than this: the array is replaced in one op. */
const MAX_ARRAY_OPS = 8;

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 6901: `~` and `/` are escaped in a path segment. */
const segment = (key: string | number): string =>
  String(key).replace(/~/g, '~0').replace(/\//g, '~1');

/** Deep equality of JSON values; linear in their size. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  if (keys.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

function diffObject(
  a: Record<string, Json>,
  b: Record<string, Json>,
  path: string,
  ops: Operation[],
): void {
  const oldKeys = Object.keys(a);
  for (let i = oldKeys.length - 1; i >= 0; i--) {
    const k = oldKeys[i]!;
    if (a[k] === b[k]) continue; // shared or equal: nothing to say (and no path to build)
    if (b[k] === undefined) {
      if (a[k] !== undefined) ops.push({ op: 'remove', path: `${path}/${segment(k)}` });
    } else diffValue(a[k], b[k], `${path}/${segment(k)}`, ops);
  }
  for (const k of Object.keys(b)) {
    if (b[k] !== undefined && (!Object.hasOwn(a, k) || a[k] === undefined))
      ops.push({ op: 'add', path: `${path}/${segment(k)}`, value: b[k] });
  }
}

function diffArray(a: Json[], b: Json[], path: string, ops: Operation[]): void {
  let head = 0;
  const shorter = Math.min(a.length, b.length);
  while (head < shorter && jsonEqual(a[head], b[head])) head++;
  let tail = 0;
  while (tail < shorter - head && jsonEqual(a[a.length - 1 - tail], b[b.length - 1 - tail])) tail++;
  const removed = a.length - head - tail;
  const added = b.length - head - tail;
  // Each array op costs the API server a shift of the array: keep them few.
  if (removed + added > MAX_ARRAY_OPS && removed !== added) {
    ops.push({ op: 'replace', path, value: b });
  } else if (removed === 0) {
    for (let i = 0; i < added; i++)
      ops.push({ op: 'add', path: `${path}/${head + i}`, value: b[head + i] });
  } else if (added === 0) {
    for (let i = 0; i < removed; i++) ops.push({ op: 'remove', path: `${path}/${head}` });
  } else if (added === removed) {
    for (let i = head; i < head + added; i++) diffValue(a[i], b[i], `${path}/${i}`, ops);
  } else {
    ops.push({ op: 'replace', path, value: b });
  }
}

function diffValue(a: Json, b: Json, path: string, ops: Operation[]): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) diffArray(a, b, path, ops);
  else if (isObject(a) && isObject(b)) diffObject(a, b, path, ops);
  else if (!jsonEqual(a, b)) ops.push({ op: 'replace', path, value: b });
}

/** The operations that turn `from` into `to` (both JSON objects). */
export function diff(from: object, to: object): Operation[] {
  const ops: Operation[] = [];
  diffValue(from, to, '', ops);
  return ops;
}
