import * as torch from '@tunelab/torch';
torch.setNumThreads(2);
for (const n of [2, 1000, 30720, 300000]) {
  const a = torch.randn([n]);
  let t = performance.now();
  torch.scope(() => { for (let i = 0; i < 2000; i++) a.add(a); });
  const scoped = (performance.now() - t) / 2000;
  t = performance.now();
  for (let i = 0; i < 2000; i++) a.add(a).dispose();
  console.log(n, 'scoped add', scoped.toFixed(4), 'ms; add+dispose', ((performance.now() - t) / 2000).toFixed(4), 'ms');
}
const q = torch.randn([16, 2, 60, 16]);
let t = performance.now();
torch.scope(() => { for (let i = 0; i < 100; i++) torch.F.scaledDotProductAttention(q, q, q, { dropoutP: 0, training: false }); });
console.log('sdpa nodrop', ((performance.now() - t) / 100).toFixed(3), 'ms');
t = performance.now();
torch.scope(() => { for (let i = 0; i < 100; i++) q.matmul(q.transpose(-1, -2)).softmax(-1).matmul(q); });
console.log('manual attn', ((performance.now() - t) / 100).toFixed(3), 'ms');
