// safetensors round trips and malformed files, the tiny-bert fixtures, sharded checkpoints, pytorch_model.bin.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as torch from '@tunelab/torch';
import { CheckpointFormatError, TorchError } from '@tunelab/torch';
import { device } from './helpers.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const tinyBert = resolve(repoRoot, '../shared/fixtures/tiny-bert');
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'tunelab-torch-io-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a safetensors file by hand (independent of saveSafetensors). */
function handMade(header: object, payload: Buffer = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, json, payload]);
}

describe('safetensors', () => {
  it('round-trips every dtype bit-exactly, with metadata', () => {
    const tensors = {
      f32: torch.tensor([[1.5, -2], [1e-30, 3.4e38]], { dtype: 'float32', device }),
      f64: torch.tensor([Math.PI, -0], { dtype: 'float64' }),
      f16: torch.fromTypedArray(new Uint16Array([0x3c00, 0x7bff, 0x0001]), [3], { dtype: 'float16' }),
      bf16: torch.fromTypedArray(new Uint16Array([0x3f80, 0xc0a0, 0x0001, 0x7f7f]), [2, 2], { dtype: 'bfloat16' }),
      i64: torch.tensor([2 ** 52, -7], { dtype: 'int64' }),
      i32: torch.tensor([-5, 6], { dtype: 'int32' }),
      u8: torch.tensor([0, 255], { dtype: 'uint8' }),
      flags: torch.tensor([true, false, true]),
      strided: torch.arange(6, { dtype: 'float32' }).view(2, 3).t(),
      empty: torch.zeros([0, 4]),
    };
    const path = join(dir, 'all.safetensors');
    torch.saveSafetensors(path, tensors, { format: 'pt', note: 'ü' });
    const loaded = torch.loadSafetensors(path);
    assert.deepEqual(loaded.metadata, { format: 'pt', note: 'ü' });
    assert.deepEqual([...loaded.tensors.keys()].sort(), Object.keys(tensors).sort());
    for (const [name, original] of Object.entries(tensors)) {
      const back = loaded.tensors.get(name)!;
      assert.deepEqual([back.dtype, back.shape], [original.dtype, original.shape], name);
      assert.deepEqual(back.toTypedArray(), original.cpu().contiguous().toTypedArray(), name);
    }
    assert.deepEqual(loaded.tensors.get('strided')!.tolist(), [[0, 3], [1, 4], [2, 5]]);
  });
  it('writes the layout the format specifies (checked by hand)', () => {
    const path = join(dir, 'layout.safetensors');
    torch.saveSafetensors(path, new Map([['a', torch.tensor([1, 2], { dtype: 'float32' })], ['b', torch.tensor([7], { dtype: 'int64' })]]));
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    assert.equal(n % 8, 0, 'header padded to 8 bytes');
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
    assert.deepEqual(header, { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I64', shape: [1], data_offsets: [8, 16] } });
    const payload = bytes.subarray(8 + n);
    assert.deepEqual([payload.readFloatLE(0), payload.readFloatLE(4), payload.readBigInt64LE(8)], [1, 2, 7n]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temp file left');
  });
  it('loads from a Buffer and reads headers alone', () => {
    const file = handMade({ __metadata__: { k: 'v' }, x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, Buffer.from(new Float32Array([0.5, -1]).buffer));
    const loaded = torch.loadSafetensorsFromBuffer(file);
    assert.deepEqual([loaded.metadata, loaded.tensors.get('x')!.tolist()], [{ k: 'v' }, [0.5, -1]]);
    writeFileSync(join(dir, 'h.safetensors'), file);
    const header = torch.readSafetensorsHeader(join(dir, 'h.safetensors'));
    assert.deepEqual(header.entries.get('x'), { dtype: 'float32', shape: [2], dataOffsets: [0, 8] });
  });
  it('malformed files are a CheckpointFormatError naming the file', () => {
    const cases: [string, Buffer, RegExp][] = [
      ['short', Buffer.from([1, 2, 3]), /too short/],
      ['huge-header', Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), Buffer.alloc(10)]), /header length \d+ exceeds the file/],
      ['not-json', (() => { const b = handMade({}); b.write('{{', 8); return b; })(), /not valid JSON/],
      ['bad-dtype', handMade({ x: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /tensor 'x': unsupported dtype "F8"/],
      ['bad-span', handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(4)), /span 4 bytes, shape \[2\] of F32 needs 8/],
      ['truncated', handMade({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, Buffer.alloc(4)), /past the payload/],
      ['bad-metadata', handMade({ __metadata__: { n: 1 } }), /__metadata__.n must be a string/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      assert.throws(() => torch.loadSafetensors(path), (error: unknown) => {
        assert.ok(error instanceof CheckpointFormatError, name);
        assert.equal(error.file, path);
        assert.match(error.message, message);
        return true;
      });
    }
    assert.throws(() => torch.loadSafetensors(join(dir, 'missing.safetensors')), /no such file/);
  });
  it('a failed save leaves the previous file intact and no temp file', () => {
    const path = join(dir, 'keep.safetensors');
    torch.saveSafetensors(path, { a: torch.ones([2]) });
    const before = readFileSync(path);
    const disposed = torch.ones([2]);
    disposed.dispose();
    assert.throws(() => torch.saveSafetensors(path, { a: torch.ones([2]), b: disposed }), TorchError);
    assert.deepEqual(readFileSync(path), before);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
    assert.throws(() => torch.saveSafetensors(path, { __metadata__: torch.ones([1]) }), /reserved/);
  });
  it('sharded checkpoints load through model.safetensors.index.json', () => {
    torch.saveSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { 'a.weight': torch.ones([2]) });
    torch.saveSafetensors(join(dir, 'model-00002-of-00002.safetensors'), { 'b.weight': torch.zeros([3]), stray: torch.ones([1]) });
    const index = join(dir, 'model.safetensors.index.json');
    writeFileSync(index, JSON.stringify({ metadata: { total_size: 20 }, weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' } }));
    const loaded = torch.loadSafetensorsIndex(index);
    assert.deepEqual([...loaded.tensors.keys()].sort(), ['a.weight', 'b.weight']);
    assert.deepEqual(loaded.tensors.get('b.weight')!.tolist(), [0, 0, 0]);
    writeFileSync(index, JSON.stringify({ weight_map: { 'c.weight': 'model-00001-of-00002.safetensors' } }));
    assert.throws(() => torch.loadSafetensorsIndex(index), /names 'c.weight' in model-00001-of-00002.safetensors, which does not hold it/);
  });
});

describe('tiny-bert fixtures (../shared)', () => {
  for (const folder of ['seqcls', 'qa', 'pretraining', 'roberta-seqcls', 'distilbert-seqcls']) {
    it(`${folder}/model.safetensors: names, shapes, dtypes and values match a hand parse`, () => {
      const path = join(tinyBert, folder, 'model.safetensors');
      const bytes = readFileSync(path);
      const n = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      const { tensors } = torch.loadSafetensors(path);
      assert.deepEqual([...tensors.keys()].sort(), names.sort());
      const config = JSON.parse(readFileSync(join(tinyBert, folder, 'config.json'), 'utf8'));
      const wordEmbeddings = [...tensors.entries()].find(([k]) => k.endsWith('word_embeddings.weight'))!;
      assert.deepEqual(wordEmbeddings[1].shape, [config.vocab_size, config.hidden_size ?? config.dim]);
      for (const name of names) {
        const t = tensors.get(name)!;
        assert.equal(t.dtype, 'float32');
        assert.deepEqual(t.shape, header[name].shape);
        const [begin, end] = header[name].data_offsets;
        const raw = bytes.subarray(8 + n + begin, 8 + n + end);
        const values = t.toArray();
        for (const i of [0, values.length >> 1, values.length - 1]) assert.equal(values[i], raw.readFloatLE(i * 4), `${name}[${i}]`);
      }
    });
  }
  it('inputs.safetensors holds int64 ids and masks', () => {
    const { tensors } = torch.loadSafetensors(join(tinyBert, 'seqcls', 'inputs.safetensors'));
    const mask = tensors.get('attention_mask')!;
    assert.deepEqual([mask.dtype, mask.shape], ['int64', [3, 16]]);
    assert.deepEqual(mask.sum(1).tolist(), [16, 11, 5]);
  });
});

describe('pytorch_model.bin', () => {
  const fixture = resolve(import.meta.dirname, 'fixtures/state-dict.bin');
  it('loads a torch.save state dict (OrderedDict, every dtype, strided views, nested dicts)', () => {
    const sd = torch.loadPytorchBin(fixture);
    assert.deepEqual([...sd.keys()], ['weight', 'bias', 'bf16', 'f16', 'i64', 'flags', 'base', 'column', 'nested.inner']);
    assert.deepEqual(sd.get('weight')!.tolist(), [[0, 0.5, 1], [1.5, 2, 2.5]]);
    assert.deepEqual(sd.get('bias')!.tolist(), [-1, 1]);
    assert.deepEqual([sd.get('bf16')!.dtype, sd.get('bf16')!.tolist()], ['bfloat16', [1, -2, 0.5]]);
    assert.deepEqual([sd.get('f16')!.dtype, sd.get('f16')!.tolist()], ['float16', [0.25, 65504]]);
    assert.deepEqual(sd.get('i64')!.toTypedArray(), BigInt64Array.from([2n ** 40n, -3n]));
    assert.deepEqual(sd.get('flags')!.tolist(), [1, 0, 1]);
    assert.deepEqual([sd.get('base')!.dtype, sd.get('base')!.shape], ['float64', [3, 4]]);
    assert.deepEqual([sd.get('column')!.tolist(), sd.get('column')!.stride()], [[1, 5, 9], [4]]);
    assert.deepEqual([sd.get('nested.inner')!.dtype, sd.get('nested.inner')!.tolist()], ['int32', [7]]);
  });
  it('rejects what is not a torch.save zip state dict, naming the file', () => {
    const legacy = join(dir, 'legacy.bin');
    writeFileSync(legacy, Buffer.from([0x80, 0x02, 0x8a, 0x0a]));
    assert.throws(() => torch.loadPytorchBin(legacy), (e: unknown) => e instanceof CheckpointFormatError && e.file === legacy && /not a zip archive/.test(e.message));
    const safetensors = join(dir, 'all.safetensors');
    assert.throws(() => torch.loadPytorchBin(safetensors), CheckpointFormatError);
    assert.throws(() => torch.loadPytorchBin(join(dir, 'nope.bin')), /no such file/);
  });
});
