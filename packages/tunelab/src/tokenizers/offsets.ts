// Token offsets and SQuAD's answer_start count Unicode code points (as Python's str does); JS strings index UTF-16
// code units. These helpers convert only where a string is sliced, so offsets stay in code points everywhere else.

/** Number of code points in `text` (Python's `len(text)`). */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/**
 * Maps code-point indices of `text` to UTF-16 indices: `map[cp]` is the UTF-16 index where code point `cp` starts;
 * `map[codePointLength(text)] === text.length`, so an exclusive end offset converts too.
 */
export function codePointToUtf16Map(text: string): Uint32Array {
  const map = new Uint32Array(codePointLength(text) + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[cp++] = i;
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  map[cp] = text.length;
  return map;
}

/** `text[start:end]` in Python, with code-point offsets (clamped to the text as Python's slicing is). */
export function sliceCodePoints(text: string, start: number, end: number, map = codePointToUtf16Map(text)): string {
  const last = map.length - 1;
  const from = map[Math.max(0, Math.min(start, last))];
  const to = map[Math.max(0, Math.min(end, last))];
  return to > from ? text.slice(from, to) : '';
}
