// Autograd of every differentiable op against central finite differences in float64.
import { describe, it } from 'node:test';
import * as torch from '@tunelab/torch';
import { F, type Tensor } from '@tunelab/torch';
import { device, gradcheck, jsRandom } from './helpers.js';

const positive = (n: number, seed: number) => jsRandom(n, seed).map((v) => 0.5 + Math.abs(v));
const awayFromZero = (n: number, seed: number) => jsRandom(n, seed).map((v) => (v >= 0 ? v + 0.2 : v - 0.2));
const ids = (values: number[][]) => torch.tensor(values, { device });

describe('gradcheck: elementwise', () => {
  const unary: [string, (t: Tensor) => Tensor, number[]?][] = [
    ['exp', (t) => t.exp()], ['log', (t) => t.log(), positive(6, 1)], ['log1p', (t) => t.log1p(), positive(6, 2)],
    ['expm1', (t) => t.expm1()], ['sqrt', (t) => t.sqrt(), positive(6, 3)], ['rsqrt', (t) => t.rsqrt(), positive(6, 4)],
    ['abs', (t) => t.abs(), awayFromZero(6, 5)], ['neg', (t) => t.neg()], ['square', (t) => t.square()],
    ['reciprocal', (t) => t.reciprocal(), awayFromZero(6, 6)], ['sin', (t) => t.sin()], ['cos', (t) => t.cos()],
    ['tanh', (t) => t.tanh()], ['sigmoid', (t) => t.sigmoid()], ['relu', (t) => t.relu(), awayFromZero(6, 7)],
    ['erf', (t) => t.erf()], ['gelu', (t) => t.gelu()], ['gelu tanh', (t) => t.gelu('tanh')],
    ['softmax', (t) => t.view(2, 3).softmax(1)], ['logSoftmax', (t) => t.view(2, 3).logSoftmax(0)],
    ['clamp', (t) => t.clamp(-0.5, 0.5), [-0.9, -0.3, 0.1, 0.4, 0.7, -0.1]],
    ['pow scalar', (t) => t.pow(3)], ['add/sub/mul/div scalar', (t) => t.add(2).sub(0.5).mul(3).div(4)],
  ];
  for (const [name, fn, values] of unary) it(name, () => gradcheck(name, fn, [{ shape: [6], values }]));

  const binary: [string, (a: Tensor, b: Tensor) => Tensor, number[]?][] = [
    ['add alpha', (a, b) => a.add(b, 2)], ['sub alpha', (a, b) => a.sub(b, 0.5)], ['mul', (a, b) => a.mul(b)],
    ['div', (a, b) => a.div(b), awayFromZero(6, 8)], ['pow tensor', (a, b) => a.abs().add(0.5).pow(b)],
    ['maximum', (a, b) => a.maximum(b)], ['minimum', (a, b) => a.minimum(b)],
    ['broadcast add', (a, b) => a.view(2, 3).add(b.view(2, 3).sum(0))],
  ];
  for (const [name, fn, second] of binary) it(name, () => gradcheck(name, fn, [{ shape: [6] }, { shape: [6], values: second }]));
});

describe('gradcheck: linear algebra, shapes and reductions', () => {
  it('matmul, mm, bmm', () => {
    gradcheck('matmul', (a, b) => a.matmul(b), [{ shape: [2, 3] }, { shape: [3, 2] }]);
    gradcheck('mm', (a, b) => a.mm(b), [{ shape: [3, 2] }, { shape: [2, 2] }]);
    gradcheck('bmm', (a, b) => a.bmm(b), [{ shape: [2, 2, 3] }, { shape: [2, 3, 2] }]);
  });
  const shapeOps: [string, (t: Tensor) => Tensor][] = [
    ['view/reshape/flatten', (t) => t.view(3, 4).reshape(2, 6).flatten()],
    ['transpose/permute/contiguous', (t) => t.view(2, 3, 2).transpose(0, 2).permute(1, 0, 2).contiguous()],
    ['unsqueeze/squeeze/expand', (t) => t.view(3, 4).unsqueeze(0).expand(2, 3, 4).squeeze()],
    ['slice with step', (t) => t.view(3, 4).slice(1, 1, 4, 2)],
    ['select/narrow', (t) => t.view(3, 4).select(0, 1).narrow(0, 1, 2)],
    ['indexSelect', (t) => t.view(3, 4).indexSelect(1, torch.tensor([3, 0, 3], { device }))],
    ['gather', (t) => t.view(3, 4).gather(1, ids([[0, 0], [3, 1], [2, 2]]))],
    ['index', (t) => t.view(3, 4).index(torch.tensor([2, 0, 2], { device }))],
    ['split/chunk + cat', (t) => torch.cat([...t.split([5, 7]).reverse(), ...t.chunk(3)])],
    ['stack', (t) => torch.stack([t, t.mul(2)], 1)],
    ['maskedFill', (t) => t.view(3, 4).maskedFill(t.view(3, 4).gt(0.3), 0)],
    ['where', (t) => torch.where(t.gt(0), t.mul(2), t.exp())],
    ['tril/repeat/flip', (t) => t.view(3, 4).tril().repeat(2, 1).flip(0)],
    ['sum/mean dims', (t) => t.view(3, 4).sum(0).add(t.view(3, 4).mean([0, 1], true).squeeze())],
    ['max dim/min', (t) => t.view(3, 4).max(1).values.add(t.view(3, 4).min())],
    ['topk/sort', (t) => t.topk(3).values.add(t.sort(0, true).values.slice(0, 0, 3))],
    ['var/std/norm', (t) => t.view(3, 4).var(1).add(t.view(3, 4).std(0).sum()).add(t.norm())],
    ['prod/cumsum', (t) => t.view(3, 4).cumsum(1).add(t.narrow(0, 0, 4).prod())],
  ];
  for (const [name, fn] of shapeOps) it(name, () => gradcheck(name, fn, [{ shape: [12] }]));
  // float32 round trip: a wider step keeps the finite difference above float32 rounding noise
  it('to(float32) and back', () => gradcheck('to float32', (t) => t.to('float32').double().mul(t), [{ shape: [12] }], { eps: 1e-3, tolerance: 1e-3 }));
});

describe('gradcheck: nn.functional', () => {
  it('linear', () => gradcheck('linear', (x, w, b) => F.linear(x, w, b), [{ shape: [2, 3] }, { shape: [4, 3] }, { shape: [4] }]));
  // (paddingIdx deliberately zeroes a gradient finite differences would see: covered in functional.test.ts)
  it('embedding', () => gradcheck('embedding', (w) => F.embedding(ids([[1, 2], [1, 0]]), w), [{ shape: [3, 2] }]));
  it('layerNorm', () => gradcheck('layerNorm', (x, w, b) => F.layerNorm(x, [4], w, b), [{ shape: [2, 4] }, { shape: [4] }, { shape: [4] }]));
  it('crossEntropy (ignoreIndex, label smoothing)', () =>
    gradcheck('crossEntropy', (x) => F.crossEntropy(x, ids([[0, 2, -100]]).view(3), { labelSmoothing: 0.1 }), [{ shape: [3, 3] }]));
  it('crossEntropy with probability targets', () =>
    gradcheck('crossEntropy probs', (x, p) => F.crossEntropy(x, p.softmax(1)), [{ shape: [2, 3] }, { shape: [2, 3] }]));
  it('nllLoss', () => gradcheck('nllLoss', (x) => F.nllLoss(x.logSoftmax(1), ids([[1, 0]]).view(2)), [{ shape: [2, 3] }]));
  it('mseLoss', () => gradcheck('mseLoss', (a, b) => F.mseLoss(a, b), [{ shape: [5] }, { shape: [5] }]));
  it('binaryCrossEntropyWithLogits', () => gradcheck('bce', (x, y) => F.binaryCrossEntropyWithLogits(x, y.sigmoid()), [{ shape: [5] }, { shape: [5] }]));
  it('scaledDotProductAttention with a mask', () => {
    const mask = torch.tensor([[[[0, -0.5, -1e9]]]], { dtype: 'float64', device });
    gradcheck('sdpa', (q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: mask }), [{ shape: [1, 2, 3, 2] }, { shape: [1, 2, 3, 2] }, { shape: [1, 2, 3, 2] }]);
  });
  it('scaledDotProductAttention causal', () =>
    gradcheck('sdpa causal', (q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true }), [{ shape: [1, 1, 3, 2] }, { shape: [1, 1, 3, 2] }, { shape: [1, 1, 3, 2] }]));
});
