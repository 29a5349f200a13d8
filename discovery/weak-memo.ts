/**
 * `f` remembered per key object, for as long as the key lives: the caches hand out
 * the same object until it changes, so each version is compiled once.
 */
export function weakMemo<K extends object, V>(f: (k: K) => V): (k: K) => V {
  const memo = new WeakMap<K, V>();
  return (k) => {
    if (memo.has(k)) return memo.get(k) as V;
    const v = f(k);
    memo.set(k, v);
    return v;
  };
}
