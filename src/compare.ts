// Ordering that is the same on every machine. String.prototype.localeCompare
// follows the process's locale (LANG/LC_ALL: in Estonian "z" sorts before "t",
// in Danish "aa" after "z"), so two processes could order the same policies
// differently and name different deciding policies. Wherever an order decides
// something (which policy is named, a view's version), compare code units.

/** Code-unit order (what `<` does on strings): locale-independent and total. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
