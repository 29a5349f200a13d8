// How deep a YAML/JSON text nests its flow collections ([ ] and { }), found in one
// pass before the YAML parser runs: that parser's time grows faster than the
// input with nesting (4 KB of "[" took half a second), and a real mesh config
// nests five levels. Quoted scalars and comments are text, not structure.

/** The deepest flow nesting in `text`; stops counting once past `limit`. */
export function flowDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length && deepest <= limit; i++) {
    const c = text[i]!;
    const atStart = i === 0 || /[\s[{,:]/.test(text[i - 1]!);
    // A quote opens a quoted scalar only where a scalar starts (`it's` is plain text).
    if ((c === '"' || c === "'") && atStart) i = skipQuoted(text, i);
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) i = skipLine(text, i);
    else if (c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return deepest;
}

/** The index of the closing quote (or the end): backslash escapes only in double quotes. */
function skipQuoted(text: string, from: number): number {
  const quote = text[from];
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === '\\' && quote === '"') i++;
    else if (text[i] === quote) return i;
  }
  return text.length;
}

function skipLine(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end;
}
