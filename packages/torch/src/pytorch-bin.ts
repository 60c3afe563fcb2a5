// pytorch_model.bin: a torch.save() zip archive (PyTorch >= 1.6) of a state dict. The archive's data.pkl is read
// by a restricted unpickler (only the globals a state dict needs); each storage (archive/data/<key>) is read
// straight from the file into tensor memory, and tensors are strided views over their storage.
import { readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';
import { PickleError, PickleGlobalRef, PickleObject, PickleTuple, unpickle, type PickleGlobal, type PickleValue } from './pickle.js';
import { existsSync } from 'node:fs';
import { CheckpointFormatError, TorchError } from './errors.js';
import { native } from './native.js';
import { handleOf, Tensor } from './tensor.js';
import type { DType } from './types.js';

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};

interface LoadedStorage {
  bytes: Tensor;
  dtype: DType;
}

/** The tensors of a torch.save'd state dict (nested dicts flatten to dotted names), on the CPU. */
export function loadPytorchBin(path: string): Map<string, Tensor> {
  if (!existsSync(path)) throw new CheckpointFormatError(path, 'no such file');
  const entries = readZipDirectory(path);
  const pickleName = [...entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickleName === undefined) throw new CheckpointFormatError(path, 'zip archive has no <archive>/data.pkl: not a torch.save file');
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && readZipEntry(path, byteorder).toString('utf8') !== 'little') throw new CheckpointFormatError(path, 'big-endian archives are not supported');

  const storages = new Map<string, LoadedStorage>();
  const created: Tensor[] = [];
  try {
    const root = unpickle(readZipEntry(path, entries.get(pickleName)!), {
      globals: stateDictGlobals(path, created),
      persistentLoad: (pid) => new PickleObject(loadStorage(path, prefix, entries, storages, pid)),
    });
    if (!(root instanceof Map)) throw new CheckpointFormatError(path, 'data.pkl does not hold a dict (a state dict was expected)');
    const out = new Map<string, Tensor>();
    collectTensors(root, '', out);
    for (const tensor of created) if (![...out.values()].includes(tensor)) tensor.dispose();
    return out;
  } catch (error) {
    for (const tensor of created) tensor.dispose();
    if (error instanceof PickleError) throw new CheckpointFormatError(path, `data.pkl: ${error.message}`);
    if (error instanceof TorchError && !(error instanceof CheckpointFormatError)) throw new CheckpointFormatError(path, error.message);
    throw error;
  } finally {
    for (const storage of storages.values()) storage.bytes.dispose(); // tensor views keep what they use alive
  }
}

function stateDictGlobals(path: string, created: Tensor[]): Map<string, PickleGlobal> {
  const rebuildTensor: PickleGlobal = ([storage, offset, size, stride]) => {
    if (!(storage instanceof PickleObject) || !(size instanceof PickleTuple) || !(stride instanceof PickleTuple) || typeof offset !== 'number') {
      throw new CheckpointFormatError(path, 'malformed _rebuild_tensor_v2 arguments');
    }
    const { bytes, dtype } = storage.value as LoadedStorage;
    const tensor = new Tensor(native.viewStorage(handleOf(bytes), dtype, offset, size.items as number[], stride.items as number[]));
    created.push(tensor);
    return new PickleObject(tensor);
  };
  return new Map<string, PickleGlobal>([
    ['collections.OrderedDict', () => new Map()],
    ['torch._utils._rebuild_tensor_v2', rebuildTensor],
    ['torch._utils._rebuild_tensor', rebuildTensor],
    ['torch._utils._rebuild_parameter', ([data]) => data],
    ['torch.nn.parameter.Parameter', ([data]) => data],
  ]);
}

function loadStorage(path: string, prefix: string, entries: Map<string, ZipEntry>, storages: Map<string, LoadedStorage>, pid: PickleValue): LoadedStorage {
  if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage') throw new CheckpointFormatError(path, 'unsupported persistent id in data.pkl');
  const [, type, key] = pid.items;
  if (!(type instanceof PickleGlobalRef) || typeof key !== 'string') throw new CheckpointFormatError(path, 'malformed storage reference in data.pkl');
  const dtype = STORAGE_DTYPES[type.name.replace(/^torch\./, '')];
  if (dtype === undefined) throw new CheckpointFormatError(path, `unsupported storage type ${type.name}`);
  const cached = storages.get(key);
  if (cached) return cached;
  const entry = entries.get(`${prefix}data/${key}`);
  if (!entry) throw new CheckpointFormatError(path, `storage ${key} is missing from the archive`);
  const storage = { bytes: new Tensor(native.readFileBytes(path, entry.dataOffset, entry.size)), dtype };
  storages.set(key, storage);
  return storage;
}

function collectTensors(value: Map<PickleValue, PickleValue>, prefix: string, out: Map<string, Tensor>): void {
  for (const [key, item] of value) {
    if (typeof key !== 'string') continue;
    const name = prefix + key;
    if (item instanceof PickleObject && item.value instanceof Tensor) out.set(name, item.value);
    else if (item instanceof Map) collectTensors(item, `${name}.`, out);
    // numbers, strings, None: no weights
  }
}
