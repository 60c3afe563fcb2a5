// safetensors (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON
// header { name: { dtype, shape, data_offsets }, __metadata__? }, then the raw little-endian tensor bytes.
// Loading reads the payload once, straight into tensor memory, and views each tensor in place.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CheckpointFormatError, TorchError } from './errors.js';
import { native } from './native.js';
import { handleOf, Tensor } from './tensor.js';
import { fromTypedArray } from './creation.js';
import type { DType } from './types.js';

const TO_DTYPE: Record<string, DType> = {
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const FROM_DTYPE: Record<DType, string> = Object.fromEntries(Object.entries(TO_DTYPE).map(([k, v]) => [v, k])) as Record<DType, string>;
const ITEM_SIZE: Record<DType, number> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  /** Byte range within the payload (after the header). */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the payload in the file. */
  payloadOffset: number;
  payloadBytes: number;
}

export interface LoadedSafetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Parses and validates a header (bytes = the whole file, or at least its header, for `file` messages). */
function parseHeader(headerJson: Buffer, headerBytes: number, fileBytes: number, file: string): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerJson.toString('utf8'));
  } catch (error) {
    throw new CheckpointFormatError(file, `header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CheckpointFormatError(file, 'header is not a JSON object');
  const payloadOffset = 8 + headerBytes;
  const payloadBytes = fileBytes - payloadOffset;
  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, file);
      continue;
    }
    entries.set(name, parseEntry(name, value, payloadBytes, file));
  }
  return { entries, metadata, payloadOffset, payloadBytes };
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CheckpointFormatError(file, '__metadata__ must be an object of strings');
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new CheckpointFormatError(file, `__metadata__.${key} must be a string`);
  }
  return { ...(value as Record<string, string>) };
}

function parseEntry(name: string, value: unknown, payloadBytes: number, file: string): SafetensorsEntry {
  const where = `tensor '${name}'`;
  if (typeof value !== 'object' || value === null) throw new CheckpointFormatError(file, `${where}: entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || !(dtype in TO_DTYPE)) throw new CheckpointFormatError(file, `${where}: unsupported dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new CheckpointFormatError(file, `${where}: bad shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new CheckpointFormatError(file, `${where}: bad data_offsets ${JSON.stringify(offsets)}`);
  }
  const type = TO_DTYPE[dtype];
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const [begin, end] = offsets as [number, number];
  if (end - begin !== numel * ITEM_SIZE[type]) {
    throw new CheckpointFormatError(file, `${where}: data_offsets span ${end - begin} bytes, shape [${shape}] of ${dtype} needs ${numel * ITEM_SIZE[type]}`);
  }
  if (end > payloadBytes) throw new CheckpointFormatError(file, `${where}: data_offsets end ${end} is past the payload (${payloadBytes} bytes; file truncated?)`);
  return { dtype: type, shape: shape as number[], dataOffsets: [begin, end] };
}

function headerSizeFrom(prefix: Buffer, fileBytes: number, file: string): number {
  if (fileBytes < 8) throw new CheckpointFormatError(file, `file is ${fileBytes} bytes, too short for a safetensors header`);
  const size = prefix.readBigUInt64LE(0);
  if (size > BigInt(Math.min(MAX_HEADER_BYTES, fileBytes - 8))) {
    throw new CheckpointFormatError(file, `header length ${size} exceeds the file (${fileBytes} bytes): not a safetensors file?`);
  }
  return Number(size);
}

/** Reads only the header: names, dtypes, shapes and metadata, without the tensor data. */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  if (!existsSync(path)) throw new CheckpointFormatError(path, 'no such file');
  const fd = openSync(path, 'r');
  try {
    const fileBytes = fstatSync(fd).size;
    const prefix = Buffer.alloc(8);
    readSync(fd, prefix, 0, 8, 0);
    const headerBytes = headerSizeFrom(prefix, fileBytes, path);
    const json = Buffer.alloc(headerBytes);
    if (readSync(fd, json, 0, headerBytes, 8) !== headerBytes) throw new CheckpointFormatError(path, 'header is truncated');
    return parseHeader(json, headerBytes, fileBytes, path);
  } finally {
    closeSync(fd);
  }
}

/** All tensors of a .safetensors file (CPU, views into one buffer read straight from disk) and its metadata. */
export function loadSafetensors(path: string): LoadedSafetensors {
  const header = readSafetensorsHeader(path);
  const payload = new Tensor(native.readFileBytes(path, header.payloadOffset, header.payloadBytes));
  try {
    const tensors = new Map<string, Tensor>();
    for (const [name, entry] of header.entries) {
      tensors.set(name, new Tensor(native.viewBytesAs(handleOf(payload), entry.dataOffsets[0], entry.dataOffsets[1], entry.dtype, entry.shape)));
    }
    return { tensors, metadata: header.metadata };
  } finally {
    payload.dispose(); // the views keep the bytes alive
  }
}

/** Like loadSafetensors, from bytes already in memory (copied into tensors). `name` labels errors. */
export function loadSafetensorsFromBuffer(bytes: Uint8Array, name = '<buffer>'): LoadedSafetensors {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = headerSizeFrom(buffer, buffer.length, name);
  const header = parseHeader(buffer.subarray(8, 8 + headerBytes), headerBytes, buffer.length, name);
  const tensors = new Map<string, Tensor>();
  for (const [tensorName, entry] of header.entries) {
    const [begin, end] = entry.dataOffsets;
    const slice = new Uint8Array(buffer.buffer, buffer.byteOffset + header.payloadOffset + begin, end - begin);
    const raw = fromTypedArray(slice.slice(), [end - begin], { dtype: 'uint8' });
    tensors.set(tensorName, new Tensor(native.viewBytesAs(handleOf(raw), 0, end - begin, entry.dtype, entry.shape)));
    raw.dispose();
  }
  return { tensors, metadata: header.metadata };
}

/** Writes tensors (any device; stored as contiguous CPU little-endian bytes) atomically: temp file + rename. */
export function saveSafetensors(path: string, tensors: Map<string, Tensor> | Record<string, Tensor>, metadata?: Record<string, string>): void {
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) if (typeof value !== 'string') throw new TorchError(`saveSafetensors: metadata '${key}' must be a string`);
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const sizes: number[] = [];
  for (const [name, tensor] of entries) {
    if (name === '__metadata__') throw new TorchError("saveSafetensors: '__metadata__' is reserved and cannot name a tensor");
    const dtype = tensor.dtype;
    const bytes = tensor.numel() * ITEM_SIZE[dtype];
    header[name] = { dtype: FROM_DTYPE[dtype], shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    sizes.push(bytes);
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8; // keeps the payload 8-byte aligned
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, prefix);
    writeSync(fd, json);
    entries.forEach(([, tensor], i) => {
      const data = native.toBytes(handleOf(tensor, 'saveSafetensors'));
      if (data.length !== sizes[i]) throw new TorchError('saveSafetensors: tensor changed size while saving');
      writeSync(fd, data);
    });
    closeSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  renameSync(temp, path);
}

/** Loads a sharded checkpoint from its model.safetensors.index.json (weight_map: tensor name → shard file). */
export function loadSafetensorsIndex(indexPath: string): LoadedSafetensors {
  if (!existsSync(indexPath)) throw new CheckpointFormatError(indexPath, 'no such file');
  let index: { metadata?: Record<string, unknown>; weight_map?: Record<string, string> };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (error) {
    throw new CheckpointFormatError(indexPath, `not valid JSON (${(error as Error).message})`);
  }
  const weightMap = index.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null) throw new CheckpointFormatError(indexPath, 'has no weight_map object');
  const shards = [...new Set(Object.values(weightMap))];
  const tensors = new Map<string, Tensor>();
  const metadata: Record<string, string> = {};
  for (const shard of shards) {
    if (typeof shard !== 'string' || shard.includes('..')) throw new CheckpointFormatError(indexPath, `bad shard file name ${JSON.stringify(shard)}`);
    const loaded = loadSafetensors(join(dirname(indexPath), shard));
    Object.assign(metadata, loaded.metadata);
    for (const [name, tensor] of loaded.tensors) {
      if (weightMap[name] === shard) tensors.set(name, tensor);
      else tensor.dispose();
    }
  }
  for (const name of Object.keys(weightMap)) {
    if (!tensors.has(name)) throw new CheckpointFormatError(indexPath, `weight_map names '${name}' in ${weightMap[name]}, which does not hold it`);
  }
  return { tensors, metadata };
}
