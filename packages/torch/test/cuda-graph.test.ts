import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as torch from '@tunelab/torch';
import { TorchError } from '@tunelab/torch';

const graphs = torch.cuda.graphsAvailable();
const noGraphs = graphs ? false : `CUDA graphs need a CUDA build of libtorch >= 2.0 (this is ${torch.buildInfo().libtorch}, CUDA ${torch.cuda.isAvailable()})`;

test('cuda graphs: without the binding, CUDAGraph fails with one line saying why', { skip: graphs ? 'this build has CUDA graphs' : false }, () => {
  assert.throws(() => new torch.cuda.CUDAGraph(), (err: Error) =>
    err instanceof TorchError && /CUDA graphs are not compiled in|CUDA is not available/.test(err.message) && !err.message.includes('\n'));
});

test('cuda graphs: a replay reruns the captured kernels on the static buffers', { skip: noGraphs }, () => {
  const input = torch.keep(torch.zeros([4], { device: 'cuda' }));
  const graph = new torch.cuda.CUDAGraph();
  // Warm up on a side stream first, as torch.cuda.graph users do (lazy initialisation must not happen in capture).
  torch.scope(() => input.mul(2).add(1));
  const output = torch.keep(torch.cuda.graph(graph, () => input.mul(2).add(1)));
  input.copy_(torch.tensor([1, 2, 3, 4], { device: 'cuda' }));
  graph.replay();
  assert.deepEqual(output.cpu().toArray(), [3, 5, 7, 9]);
  graph.reset();
});

test('cuda graphs: dropout inside a graph draws new masks on each replay (graph-safe philox RNG)', { skip: noGraphs }, () => {
  const input = torch.keep(torch.ones([4096], { device: 'cuda' }));
  torch.scope(() => torch.F.dropout(input, 0.5, true));
  const graph = new torch.cuda.CUDAGraph();
  const output = torch.keep(torch.cuda.graph(graph, () => torch.F.dropout(input, 0.5, true)));
  graph.replay();
  const first = output.cpu().toArray();
  graph.replay();
  const second = output.cpu().toArray();
  assert.notDeepEqual(first, second);
  const kept = first.filter((v) => v !== 0).length / first.length;
  assert.ok(kept > 0.45 && kept < 0.55, `kept ${kept}`);
  graph.reset();
});
