// The central directory of a zip file (torch.save archives: stored, uncompressed entries, zip64 when large).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CheckpointFormatError } from './errors.js';

export interface ZipEntry {
  name: string;
  /** Absolute file offset of the entry's (uncompressed) bytes. */
  dataOffset: number;
  size: number;
}

const EOCD = 0x06054b50, EOCD64_LOCATOR = 0x07064b50, EOCD64 = 0x06064b50, CENTRAL = 0x02014b50, LOCAL = 0x04034b50;

function readAt(fd: number, position: number, length: number, file: string): Buffer {
  const buffer = Buffer.alloc(length);
  if (readSync(fd, buffer, 0, length, position) !== length) throw new CheckpointFormatError(file, 'zip archive is truncated');
  return buffer;
}

/** Lists the stored entries of a zip archive; compressed entries are rejected (torch.save never writes them). */
export function readZipDirectory(file: string): Map<string, ZipEntry> {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const tailLength = Math.min(fileSize, 22 + 65535);
    const tail = readAt(fd, fileSize - tailLength, tailLength, file);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD) { eocd = i; break; }
    if (eocd < 0) throw new CheckpointFormatError(file, 'not a zip archive (no end of central directory): only torch.save zip files (PyTorch >= 1.6) are supported');
    let entryCount = tail.readUInt16LE(eocd + 10);
    let directorySize = tail.readUInt32LE(eocd + 12);
    let directoryOffset = tail.readUInt32LE(eocd + 16);
    if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === EOCD64_LOCATOR) {
      const record = readAt(fd, Number(tail.readBigUInt64LE(eocd - 20 + 8)), 56, file);
      if (record.readUInt32LE(0) !== EOCD64) throw new CheckpointFormatError(file, 'bad zip64 end of central directory');
      entryCount = Number(record.readBigUInt64LE(32));
      directorySize = Number(record.readBigUInt64LE(40));
      directoryOffset = Number(record.readBigUInt64LE(48));
    }
    const directory = readAt(fd, directoryOffset, directorySize, file);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let n = 0; n < entryCount; n++) {
      if (directory.readUInt32LE(p) !== CENTRAL) throw new CheckpointFormatError(file, 'corrupt zip central directory');
      const method = directory.readUInt16LE(p + 10);
      let size = directory.readUInt32LE(p + 24);
      const nameLength = directory.readUInt16LE(p + 28), extraLength = directory.readUInt16LE(p + 30), commentLength = directory.readUInt16LE(p + 32);
      let localOffset = directory.readUInt32LE(p + 42);
      const name = directory.toString('utf8', p + 46, p + 46 + nameLength);
      // zip64: sizes/offsets of 0xFFFFFFFF live in extra field 0x0001, in this order.
      let e = p + 46 + nameLength;
      const extraEnd = e + extraLength;
      while (e + 4 <= extraEnd) {
        const id = directory.readUInt16LE(e), length = directory.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (size === 0xffffffff) (size = Number(directory.readBigUInt64LE(q)), (q += 8));
          if (directory.readUInt32LE(p + 20) === 0xffffffff) q += 8;
          if (localOffset === 0xffffffff) localOffset = Number(directory.readBigUInt64LE(q));
        }
        e += 4 + length;
      }
      if (method !== 0) throw new CheckpointFormatError(file, `zip entry ${name} is compressed (method ${method}); torch.save archives are stored`);
      const local = readAt(fd, localOffset, 30, file);
      if (local.readUInt32LE(0) !== LOCAL) throw new CheckpointFormatError(file, `corrupt zip local header for ${name}`);
      entries.set(name, { name, dataOffset: localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28), size });
      p = extraEnd + commentLength;
    }
    return entries;
  } finally {
    closeSync(fd);
  }
}

export function readZipEntry(file: string, entry: ZipEntry): Buffer {
  const fd = openSync(file, 'r');
  try {
    return readAt(fd, entry.dataOffset, entry.size, file);
  } finally {
    closeSync(fd);
  }
}
