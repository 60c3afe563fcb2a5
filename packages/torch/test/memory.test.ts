// Memory stays flat over a long training loop (scope + AdamW), and undisposed tensors are reclaimed by GC
// because their CPU bytes are reported to V8.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '@tunelab/torch';
import { F, nn, optim, type Tensor } from '@tunelab/torch';
import { device } from './helpers.js';

const MiB = 1024 * 1024;

function mlp(): { params: Tensor[]; step: (x: Tensor, y: Tensor) => number } {
  torch.manualSeed(0);
  const w1 = torch.randn([64, 32], { device }).mul_(0.1).requiresGrad_();
  const b1 = torch.zeros([64], { device, requiresGrad: true });
  const w2 = torch.randn([8, 64], { device }).mul_(0.1).requiresGrad_();
  const b2 = torch.zeros([8], { device, requiresGrad: true });
  const params = [w1, b1, w2, b2];
  const opt = new optim.AdamW(params, { lr: 1e-3 });
  const step = (x: Tensor, y: Tensor): number => torch.scope(() => {
    const logits = F.linear(F.gelu(F.linear(x, w1, b1)), w2, b2);
    const loss = F.crossEntropy(logits, y);
    loss.backward();
    nn.utils.clipGradNorm(params, 1.0);
    opt.step();
    opt.zeroGrad();
    return loss.item();
  });
  return { params, step };
}

describe('memory', () => {
  it(`10,000 forward/backward/AdamW steps on ${device}: memory flat after warmup, loss decreasing`, async () => {
    const { step } = mlp();
    const x = torch.randn([16, 32], { device });
    const y = torch.randint(0, 8, [16], { device });
    const measure = () => (device === 'cpu' ? process.memoryUsage().rss : torch.cuda.memoryAllocated(device));
    // Like a real loop awaiting its data, yield to the event loop now and then (Node finalizes handles there).
    const tick = () => new Promise(setImmediate);
    const first = step(x, y);
    for (let i = 1; i < 1000; i++) if ((step(x, y), i % 100 === 0)) await tick();
    await tick();
    const warm = measure();
    let last = first;
    for (let i = 0; i < 9000; i++) if (((last = step(x, y)), i % 100 === 0)) await tick();
    await tick();
    const end = measure();
    assert.ok(last < first * 0.5, `loss ${first} → ${last}`);
    const slack = device === 'cpu' ? 16 * MiB : 0;
    assert.ok(end - warm <= slack, `memory grew by ${((end - warm) / MiB).toFixed(1)} MiB over 9000 steps`);
  });
  it('undisposed CPU tensors are reclaimed by the GC (their bytes are reported to V8)', async () => {
    const start = process.memoryUsage().rss;
    let checksum = 0;
    for (let i = 0; i < 3000; i++) {
      const t = torch.full([256 * 1024], 1); // 1 MiB each, never disposed: 3 GiB if nothing were reclaimed
      if (i % 500 === 0) checksum += t.sum().item();
      // Node runs native finalizers between event-loop turns, as any async training loop has them.
      if (i % 100 === 99) await new Promise(setImmediate);
    }
    const grown = process.memoryUsage().rss - start;
    assert.equal(checksum, 6 * 256 * 1024);
    assert.ok(grown < 768 * MiB, `RSS grew by ${(grown / MiB).toFixed(0)} MiB`);
  });
});
