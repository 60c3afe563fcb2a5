"""PyTorch-Python peer of bench/distributed-*.ts: the same measurements with torch.distributed (Gloo, CPU).

Usage:
  python3 bench/distributed-peer.py allreduce NUMEL REPEATS          # 2 ranks: seconds per all_reduce of NUMEL floats
  python3 bench/distributed-peer.py train WORLD CONFIG.json SEQ BATCH STEPS WARMUP
      # WORLD ranks (1: plain, 2: DistributedDataParallel) of bench/train-peer.py's BERT classifier, fp32, AdamW;
      # BATCH examples of SEQ tokens per rank and step
Prints one JSON line (rank 0).
"""
import importlib.util
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def allreduce_rank(rank, world, port, numel, repeats, out):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    tensor = torch.ones(numel)
    dist.all_reduce(tensor)  # warm-up: connections, buffers
    dist.barrier()
    start = time.perf_counter()
    for _ in range(repeats):
        dist.all_reduce(tensor)
    seconds = (time.perf_counter() - start) / repeats
    if rank == 0:
        out.put({"seconds": seconds})
    dist.destroy_process_group()


def load_peer_model():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train-peer.py")
    spec = importlib.util.spec_from_file_location("train_peer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BertForSequenceClassification


def train_rank(rank, world, port, config, seq, batch, steps, warmup, out):
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    torch.manual_seed(42)
    model = load_peer_model()(config, 2)
    model.train()
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    generator = torch.Generator().manual_seed(1000 + rank)
    ids = torch.randint(1, config["vocab_size"], (batch, seq), generator=generator)
    mask = torch.ones(batch, seq, dtype=torch.int64)
    types = torch.zeros(batch, seq, dtype=torch.int64)
    labels = torch.randint(0, 2, (batch,), generator=generator)
    start = 0.0
    for step in range(warmup + steps):
        if step == warmup:
            if world > 1:
                dist.barrier()
            start = time.perf_counter()
        loss = model(ids, mask, types, labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    seconds = time.perf_counter() - start
    if rank == 0:
        out.put({"tokens_per_second": world * batch * seq * steps / seconds, "seconds_per_step": seconds / steps})
    if world > 1:
        dist.destroy_process_group()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    mode = sys.argv[1]
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    port = free_port()
    if mode == "allreduce":
        args = (2, port, int(sys.argv[2]), int(sys.argv[3]), out)
        world = 2
        target = allreduce_rank
    else:
        world = int(sys.argv[2])
        config = json.load(open(sys.argv[3]))
        args = (world, port, config, int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), out)
        target = train_rank
    procs = [ctx.Process(target=target, args=(rank, *args)) for rank in range(world)]
    for p in procs:
        p.start()
    result = out.get()
    for p in procs:
        p.join()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
