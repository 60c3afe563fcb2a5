// Reading text files for the data readers: strict UTF-8 (a bad byte is an error naming its line and byte offset,
// never a silent U+FFFD), a leading byte-order mark dropped (MRPC has one), lines split on \n with \r\n accepted.
import { readFileSync } from 'node:fs';
import { DataError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The file's text without a leading BOM. */
export function readUtf8(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot read (${code})`);
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    const line = countNewlines(bytes, offset) + 1;
    throw new DataError(`${file}:${line}`, `invalid UTF-8 byte 0x${bytes[offset].toString(16).padStart(2, '0')} at byte offset ${offset} (the file must be UTF-8)`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    // A NUL is valid UTF-8 but never text: a binary file, or a UTF-16 one, that would otherwise train as garbage.
    throw new DataError(`${file}:${countNewlines(bytes, nul) + 1}`, `NUL byte at byte offset ${nul} (a text file has none; is it UTF-16 or binary?)`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Lines of the file (1-based numbers are index + 1); a final newline does not make an extra empty line. */
export function readLines(file: string): string[] {
  const text = readUtf8(file);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** Offset of the first byte that does not start a valid UTF-8 sequence (RFC 3629), or `bytes.length`. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i];
    let need: number;
    let min: number;
    if (lead < 0x80) { i++; continue; }
    else if (lead >= 0xc2 && lead <= 0xdf) { need = 1; min = 0x80; }
    else if (lead >= 0xe0 && lead <= 0xef) { need = 2; min = 0x800; }
    else if (lead >= 0xf0 && lead <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    let cp = lead & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (next & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) count++;
  return count;
}

/** Parses a JSON file; a syntax error names its line and column. */
export function readJsonFile(file: string): unknown {
  return parseJson(readUtf8(file), (line) => `${file}:${line}`);
}

/**
 * JSON.parse with a one-line error at `where(line)`: what is unexpected and at which column, found by a scan of its
 * own (V8's messages carry no position and change between Node versions).
 */
export function parseJson(text: string, where: (line: number) => string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const offset = jsonErrorOffset(text);
    const before = text.slice(0, offset).split('\n');
    const what = offset >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(String.fromCodePoint(text.codePointAt(offset)!))}`;
    throw new DataError(where(before.length), `invalid JSON: ${what} at column ${before[before.length - 1].length + 1}`);
  }
}

/** Offset of the first JSON syntax error in `text` (text.length when it ends too early). */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = () => { throw i; };
  const space = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const literal = (word: string) => { if (text.startsWith(word, i)) i += word.length; else fail(); };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') { if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail(); i += 4; }
        else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    space();
    const ch = text[i];
    if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) { i++; return; }
      for (;;) {
        if (ch === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === close) { i++; return; }
        fail();
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!number) fail();
    i += number![0].length;
  };
  try {
    value();
    space();
    return i < text.length ? i : text.length;
  } catch (offset) {
    return Math.min(offset as number, text.length);
  }
}
