// Prints what the freshly built addon runs on, as one line `BUILD_INFO {json}`: libtorch and CUDA versions, devices,
// distributed backends, CUDA memory statistics compiled in. Exit 1 when --expect-cuda is given and CUDA is missing.
//   node --conditions=development --import tsx scripts/gpu/build-info.ts [--expect-cuda]
import * as torch from '@tunelab/torch';
import { distributed } from '@tunelab/torch';

const { config, ...info } = torch.buildInfo();
let cudaMemoryStats: boolean;
try {
  torch.cuda.memoryAllocated();
  cudaMemoryStats = true;
} catch {
  cudaMemoryStats = false;
}
const result = { ...info, backends: distributed.availableBackends(), cudaMemoryStats, configLines: config.split('\n').length };
console.log(`BUILD_INFO ${JSON.stringify(result)}`);
if (process.argv.includes('--expect-cuda') && !(info.cuda !== null && info.cudaAvailable)) {
  console.error(`expected a CUDA build with a visible GPU: cuda ${info.cuda}, available ${info.cudaAvailable}`);
  process.exitCode = 1;
}
