// savePretrained: the folder transformers' from_pretrained reads — config.json and model.safetensors.
// Tied weights are written once under their first name (the MLM decoder shares the word embeddings, and transformers
// omits `cls.predictions.decoder.weight` too). Each file is written to a temporary name and renamed into place.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@tunelab/torch';
import { configToJson } from './config.js';
import type { PreTrainedModel } from './pretrained.js';

export function writePretrained(model: PreTrainedModel, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const state = model.stateDict();
  torch.saveSafetensors(join(dir, 'model.safetensors'), state, { format: 'pt' });
  const [first] = state.values();
  const json = configToJson(model.config, {
    architectures: [model.architecture],
    torch_dtype: first?.dtype ?? 'float32',
  });
  writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(json, null, 2)}\n`);
}

function writeFileAtomic(path: string, text: string): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
