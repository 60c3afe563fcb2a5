// Preloaded with `node --import tsx --import ./scripts/gpu/peak-memory.ts <cli> ...`: when the process exits, prints
// `PEAK_CUDA_MEMORY {json}` with torch.cuda.maxMemoryAllocated / memoryReserved (the trainer does not report them).
import * as torch from '@tunelab/torch';

process.on('exit', () => {
  try {
    if (!torch.cuda.isAvailable()) {
      console.error('PEAK_CUDA_MEMORY {"available":false}');
      return;
    }
    const peak = torch.cuda.maxMemoryAllocated();
    const reserved = torch.cuda.memoryReserved();
    console.error(`PEAK_CUDA_MEMORY ${JSON.stringify({ available: true, maxAllocatedBytes: peak, reservedBytes: reserved, maxAllocatedGiB: peak / 2 ** 30 })}`);
  } catch (err) {
    console.error(`PEAK_CUDA_MEMORY ${JSON.stringify({ available: true, error: (err as Error).message })}`);
  }
});
