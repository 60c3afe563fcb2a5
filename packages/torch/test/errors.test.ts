// Bad input becomes a TorchError carrying libtorch's message; the process keeps working afterwards.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '@tunelab/torch';
import { F, TorchError } from '@tunelab/torch';
import { device } from './helpers.js';

function throwsTorch(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof TorchError, `expected a TorchError, got ${String(error)}`);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /Exception raised from|frame #/, 'no C++ backtrace in the message');
    return true;
  });
}

describe('errors', () => {
  const m = () => torch.zeros([2, 3], { device });
  it('shape mismatches', () => {
    throwsTorch(() => m().matmul(m()), /cannot be multiplied|size mismatch|shapes/);
    throwsTorch(() => m().add(torch.zeros([4], { device })), /must match the size/);
    throwsTorch(() => m().view(4, 2), /shape '\[4, 2\]' is invalid/);
    throwsTorch(() => torch.cat([m(), torch.zeros([2, 2], { device })], 0), /Sizes of tensors must match/);
    throwsTorch(() => F.linear(m(), torch.zeros([4, 2], { device })), /cannot be multiplied|size mismatch|shapes/);
    throwsTorch(() => m().transpose(0, 5), /out of range/);
  });
  it('dtype errors', () => {
    throwsTorch(() => torch.zeros([2], { dtype: 'int64' }).requiresGrad_(), /floating point|complex dtype/);
    throwsTorch(() => torch.zeros([2], { dtype: 'float99' as 'float32' }), /unknown dtype 'float99'/);
    throwsTorch(() => F.crossEntropy(torch.zeros([2, 3], { device }), torch.zeros([2], { device })), /expected scalar type Long|Float|dtype|target/i);
    throwsTorch(() => torch.zeros([2], { device }).mean(0).indexSelect(0, torch.zeros([1], { device })), /dimension|index|Long|Int/i);
  });
  it('index and value errors', () => {
    throwsTorch(() => torch.arange(3).indexSelect(0, torch.tensor([5])), /out of range|index/i);
    throwsTorch(() => torch.zeros([2]).item(), /one element/);
    throwsTorch(() => torch.randint(5, 1, [2]), /from|to|range|low/i);
    throwsTorch(() => torch.zeros([2]).slice(0, 0, 2, 0), /step must be greater than zero|slice step/);
    throwsTorch(() => torch.tensor([1, 2], { device: 'nowhere' as 'cpu' }), /unknown device 'nowhere'/);
  });
  it('wrong argument types name the argument', () => {
    throwsTorch(() => torch.zeros([2]).add('x' as unknown as number), /expected a Tensor or a number/);
    throwsTorch(() => torch.zeros([1.5]), /must be an integer/);
    throwsTorch(() => torch.cat([torch.zeros([1]), 3 as unknown as torch.Tensor]), /expected a Tensor/);
  });
  it('device errors when CUDA is absent, out-of-memory as a TorchError', () => {
    if (!torch.cuda.isAvailable()) {
      throwsTorch(() => torch.zeros([1]).to('cuda'), /CUDA|cuda/);
      throwsTorch(() => torch.cuda.memoryAllocated(), /CUDA is not available/);
    } else {
      throwsTorch(() => torch.zeros([2], { device: 'cuda' }).add(torch.zeros([2])), /device|same device/);
    }
    throwsTorch(() => torch.empty([1e15], { device }), /memory|alloc|not enough|overflow/i);
  });
  it('the process keeps working after errors', () => {
    for (let i = 0; i < 100; i++) assert.throws(() => torch.zeros([2, 3]).matmul(torch.zeros([2, 3])), TorchError);
    assert.deepEqual(torch.ones([2], { device }).add(1).tolist(), [2, 2]);
  });
});
