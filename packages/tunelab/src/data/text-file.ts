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
