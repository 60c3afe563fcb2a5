// The attention paths: padding must cost nothing but time (a padded batch row equals the same sequence run alone,
// unpadded), and the fused QKV projection keeps HF's query/key/value names on save and load.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { loadSafetensors } from '@tunelab/torch';
import { AutoConfig, AutoModelForSequenceClassification } from '../../src/models/auto.js';
import { fusedProjections } from '../../src/models/modules.js';
import type { PreTrainedModel } from '../../src/models/pretrained.js';

const ARCHITECTURES: [string, Record<string, unknown>][] = [
  ['bert', { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 }],
  ['roberta', { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, pad_token_id: 1 }],
  ['distilbert', { dim: 32, n_layers: 2, n_heads: 4, hidden_dim: 64 }],
  ['electra', { embedding_size: 16, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 }],
];

function tinyModel(type: string, fields: Record<string, unknown>): PreTrainedModel {
  torch.manualSeed(11);
  const config = AutoConfig.forModel(type, { vocab_size: 50, max_position_embeddings: 40, ...fields });
  return AutoModelForSequenceClassification.fromConfig(config, { numLabels: 3 });
}

/** Rows of 3, 9 and 6 tokens (ids ≥ 3: no pad id inside), padded to 9 with the model's pad id. */
const LENGTHS = [3, 9, 6];
const rowIds = (r: number) => Array.from({ length: LENGTHS[r] }, (_, t) => 3 + ((r * 7 + t * 5) % 45));

for (const [type, fields] of ARCHITECTURES) {
  test(`padded batch rows equal the unpadded sequences (1e-5, fp32): ${type}`, () => {
    const model = tinyModel(type, fields);
    const width = Math.max(...LENGTHS);
    const pad = (model.config as { pad_token_id?: number | null }).pad_token_id ?? 0;
    const ids = LENGTHS.flatMap((length, r) => [...rowIds(r), ...Array<number>(width - length).fill(pad)]);
    const mask = LENGTHS.flatMap((length) => [...Array<number>(length).fill(1), ...Array<number>(width - length).fill(0)]);
    torch.noGrad(() => torch.scope(() => {
      const padded = model.forward({
        input_ids: torch.tensor(ids, { dtype: 'int64' }).view(LENGTHS.length, width),
        attention_mask: torch.tensor(mask, { dtype: 'int64' }).view(LENGTHS.length, width),
      }).logits!.toArray() as number[];
      LENGTHS.forEach((length, r) => {
        const alone = model.forward({ input_ids: torch.tensor([rowIds(r)], { dtype: 'int64' }) }).logits!.toArray() as number[];
        assert.equal(alone.length, 3);
        alone.forEach((value, c) => assert.ok(Math.abs(value - padded[r * 3 + c]) <= 1e-5,
          `${type} row ${r} (length ${length}) logit ${c}: ${padded[r * 3 + c]} padded vs ${value} alone`));
      });
    }));
    model.dispose();
  });
}

test('fused QKV: the same outputs as three projections, and query/key/value names on save and load', async () => {
  const model = tinyModel('bert', ARCHITECTURES[0][1]);
  const inputs = () => ({ input_ids: torch.tensor([[5, 9, 13, 4, 22]], { dtype: 'int64' }) });
  const logits = (m: PreTrainedModel) => torch.noGrad(() => torch.scope(() => m.forward(inputs()).logits!.toArray() as number[]));
  const fused = logits(model);
  fusedProjections.enabled = false;
  const separate = logits(model);
  fusedProjections.enabled = true;
  fused.forEach((value, c) => assert.ok(Math.abs(value - separate[c]) <= 1e-6, `logit ${c}: ${value} vs ${separate[c]}`));

  const dir = mkdtempSync(join(tmpdir(), 'tunelab-qkv-'));
  model.savePretrained(dir);
  const saved = loadSafetensors(join(dir, 'model.safetensors')).tensors;
  for (const name of ['query', 'key', 'value']) {
    assert.ok(saved.has(`bert.encoder.layer.0.attention.self.${name}.weight`), `${name}.weight saved under its HF name`);
    assert.deepEqual(saved.get(`bert.encoder.layer.1.attention.self.${name}.bias`)!.shape, [32]);
  }
  assert.ok(![...saved.keys()].some((key) => /qkv/.test(key)), 'no fused tensor is written');
  for (const tensor of saved.values()) tensor.dispose();
  const reloaded = await AutoModelForSequenceClassification.fromPretrained(dir);
  assert.deepEqual(reloaded.loadingInfo?.missingKeys ?? [], []);
  assert.deepEqual(logits(reloaded), fused);
  model.dispose();
  reloaded.dispose();
});
