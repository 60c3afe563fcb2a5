#!/usr/bin/env bash
# tunelab's one-shot run on a CUDA machine that has python3 + PyTorch (+ transformers), nvcc/cmake/g++, but no Node
# and no network. Run from anywhere with OUT set (a folder whose files come back); carried payload made here by
# scripts/gpu/prepare.sh under .device/ (node, npm, data). See docs/gpu.md.
#
#   OUT=/some/folder bash scripts/gpu/run.sh
#
# Stages, in order: env, build, torch, models, train, nccl (and hf, hfpeer, profile, peers, graphs, epoch, serve,
# servecheck, pretrain when named). Each logs to $OUT/<stage>.log and appends one JSON line
# to $OUT/summary.jsonl; $OUT/summary.md is rewritten after every stage, so a run cut short still reports what ran.
# Every command inside a stage is a `step` with its own timeout, clamped to the stage's budget and to the run's
# deadline (TUNELAB_GPU_DEADLINE_S, default 525 s after start). No `set -e`: a failed step is recorded, and the
# stages after it still run (those that need the addon fail within seconds if it was not built).
# Only 8 files come back from $OUT: the 6 stage logs, summary.jsonl and summary.md. Scratch goes to $WORK.
set -u
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder whose files come back}"
mkdir -p "$OUT"
export OUT
export WORK=${TUNELAB_GPU_WORK:-/tmp/tunelab-gpu}         # build copies, hf reference, training output
export DEVICE=${TUNELAB_GPU_DEVICE:-cuda}                 # cpu only for rehearsals on a machine without a GPU
export TRAIN_EXTRA_ARGS=${TUNELAB_GPU_TRAIN_ARGS:-}       # e.g. "--max-train-samples 8" in a CPU rehearsal
export DEADLINE_END=$(( $(date +%s) + ${TUNELAB_GPU_DEADLINE_S:-525} ))
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export HF_OFFLINE="env HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1"   # python steps: no network there, never wait on one
export NODE_TS="node --conditions=development --import tsx"
export NODE_TEST="node --conditions=development --import tsx --test"
rm -rf "$WORK" && mkdir -p "$WORK"
rm -f "$OUT/summary.jsonl" "$OUT/summary.md"

now_ms() { date +%s%3N; }

# step NAME LIMIT_S COMMAND...: runs COMMAND under `timeout` (its own process group: children die with it), for at
# most LIMIT_S seconds, the stage's remaining budget and the run's remaining time; frames its output with markers.
step() {
  local name=$1 limit=$2; shift 2
  local now; now=$(date +%s)
  (( STAGE_END - now < limit )) && limit=$(( STAGE_END - now ))
  (( DEADLINE_END - now < limit )) && limit=$(( DEADLINE_END - now ))
  if (( limit < 2 )); then
    echo "### step $name (limit 0s): $*"; echo "### end $name rc=skipped"; return 125
  fi
  echo "### step $name (limit ${limit}s): $*"
  local start; start=$(now_ms)
  timeout -k 5 "$limit" "$@" < /dev/null
  local rc=$?
  echo "### end $name rc=$rc ms=$(( $(now_ms) - start ))"
  return $rc
}
export -f step now_ms

# run_stage NAME BUDGET_S: stage_NAME's output → $OUT/NAME.log, then its summary line.
run_stage() {
  local name=$1 budget=$2 start rc
  export STAGE_END=$(( $(date +%s) + budget ))
  (( STAGE_END > DEADLINE_END )) && STAGE_END=$DEADLINE_END
  start=$(now_ms)
  ( "stage_$name" ) > "$OUT/$name.log" 2>&1 < /dev/null
  rc=$?
  python3 scripts/gpu/report.py stage "$OUT" "$name" "$rc" "$(( $(now_ms) - start ))" "$budget" \
    || echo "[$name] rc=$rc (report.py failed)"
}

# --- a. env: Node on PATH, python3's libtorch located, node_modules unpacked, the GPU and torch described --------
write_env() {   # sources node-env.sh in a child shell and saves what it exports for the stages that follow
  source .device/node/node-env.sh .device/node || return 1
  # A python3 torch without C++ headers (Debian's python3-torch) cannot build the addon: leave LIBTORCH unset so
  # packages/torch/cmake/FindLibtorch.cmake falls back to the system's libtorch.
  [[ -n ${LIBTORCH:-} && -f $LIBTORCH/include/torch/csrc/api/include/torch/version.h ]] || unset LIBTORCH
  # pip's CUDA libraries (site-packages/nvidia/*/lib): python's torch preloads them; a Node process finds them here
  # (cuDNN and NVRTC are opened by name at run time).
  local lib
  for lib in "${TORCH_DIR:-/nonexistent}"/../nvidia/*/lib; do [[ -d $lib ]] && LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$(cd "$lib" && pwd); done
  { declare -p PATH LD_LIBRARY_PATH npm_config_nodedir TORCH_DIR TORCH_CMAKE_PREFIX; [[ -v LIBTORCH ]] && declare -p LIBTORCH; } \
    > "$WORK/env.sh"
  command -v node
}
unpack_node_modules() {   # the carried, pruned node_modules (a tarball: it travels at a quarter of its size)
  rm -rf node_modules && mkdir node_modules \
    && xz -dc .device/npm/node_modules.tar.xz | tar -C node_modules -xf - \
    && mkdir -p node_modules/@tunelab \
    && ln -sfn ../../packages/torch node_modules/@tunelab/torch \
    && ln -sfn ../packages/tunelab node_modules/tunelab \
    && ls node_modules | wc -l
}
PYTHON_TORCH='import json, os, torch
cuda = torch.cuda.is_available()
root = os.path.dirname(torch.__file__)
print("PYTHON_TORCH " + json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda, "available": cuda,
  "device_name": torch.cuda.get_device_name(0) if cuda else None,
  "capability": list(torch.cuda.get_device_capability(0)) if cuda else None,
  "cxx11_abi": bool(torch._C._GLIBCXX_USE_CXX11_ABI), "dir": root,
  "has_include": os.path.exists(os.path.join(root, "include/torch/csrc/api/include/torch/version.h")),
  "nccl": list(torch.cuda.nccl.version()) if cuda else None}))'
link_shared() {   # tests read ../shared (read-only data beside the repository): rebuild the parts they use
  [[ -e ../shared ]] && { echo "../shared exists"; return 0; }
  mkdir -p ../shared/data/models ../shared/data/glue ../shared/fixtures \
    && ln -s "$PWD/.device/data/models/bert-base-uncased" ../shared/data/models/bert-base-uncased \
    && ln -s "$PWD/.device/data/glue/MRPC" ../shared/data/glue/MRPC \
    && ln -s "$PWD/packages/tunelab/test/fixtures/tiny-bert" ../shared/fixtures/tiny-bert \
    && { [[ ! -f .device/data/corpus.tar.xz ]] || xz -dc .device/data/corpus.tar.xz | tar -C ../shared/data -xf -; } \
    && echo "made ../shared from .device/data and the repository's tiny-bert fixtures"
}
export -f write_env unpack_node_modules link_shared
export PYTHON_TORCH
stage_env() {
  local failed=0
  step node-env 40 bash -c write_env || failed=1
  step node-modules 15 bash -c unpack_node_modules || failed=1
  step shared-data 5 bash -c link_shared || failed=1
  step nvidia-smi 10 bash -c 'set -o pipefail; nvidia-smi && nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader | sed "s/^/GPU: /"' \
    || failed=1
  step python-torch 15 python3 -c "$PYTHON_TORCH" || failed=1
  cat "$WORK/env.sh" 2>/dev/null | cut -c1-300
  return $failed
}

# --- b. build: the addon against python3's libtorch, with CUDA, on every core ---------------------------------------
cmake_addon() {   # cmake_addon SOURCE_DIR BUILD_DIR: configure + build the addon (output BUILD_DIR/Release/*.node)
  local src=$1 build=$2 generator=() node_include
  command -v ninja > /dev/null && generator=(-G Ninja)
  node_include=$(dirname "$(dirname "$(command -v node)")")/include/node        # from the Node bundle
  [[ -f $node_include/node_api.h ]] || node_include=$PWD/node_modules/node-api-headers/include
  cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      "-DCMAKE_JS_INC=$node_include;$PWD/node_modules/node-addon-api" \
      "-DCMAKE_LIBRARY_OUTPUT_DIRECTORY=$build/Release" \
    && cmake --build "$build" --parallel "$(nproc)"
}
export -f cmake_addon
stage_build() {
  if ! step cmake-build 150 bash -c 'cmake_addon "$PWD/packages/torch" "$PWD/packages/torch/build"'; then
    # T6's native/distributed.cpp is the newest code against the c10d API, which moves between torch releases:
    # rather than lose every later stage, build a copy of the package without it (the real tree stays untouched).
    [[ -f packages/torch/native/distributed.cpp ]] || return 1
    echo "### note: retrying without native/distributed.cpp"
    rm -rf "$WORK/torch-src" && mkdir -p "$WORK/torch-src"
    cp -a packages/torch/CMakeLists.txt packages/torch/cmake packages/torch/native "$WORK/torch-src/"
    rm "$WORK/torch-src/native/distributed.cpp"
    step cmake-build-without-distributed 150 bash -c 'cmake_addon "$WORK/torch-src" "$WORK/torch-src/build"' || return 1
    mkdir -p packages/torch/build/Release && cp "$WORK/torch-src/build/Release/tunelab_torch.node" packages/torch/build/Release/
  fi
  step build-info 20 $NODE_TS scripts/gpu/build-info.ts $([[ $DEVICE == cuda ]] && echo --expect-cuda)
}

# --- c. torch: the op, autograd, optimizer and memory-loop tests on the GPU; `tunelab doctor` ---------------------
stage_torch() {
  local failed=0 tests
  tests=$(ls packages/torch/test/*.test.ts | grep -v distributed.test.ts)   # distributed (Gloo) runs in stage nccl
  step torch-tests 45 env TUNELAB_TEST_DEVICE=$DEVICE $NODE_TEST --test-concurrency=4 $tests || failed=1
  step doctor 15 $NODE_TS packages/tunelab/src/cli/main.ts doctor --json || failed=1
  return $failed
}

# --- d. models: tiny-bert parity on the GPU (fp32, then bf16 autocast), and against transformers itself ----------
stage_models() {
  local failed=0 dir=packages/tunelab/test/models
  step models-tests 30 env TUNELAB_TEST_DEVICE=$DEVICE $NODE_TEST --test-concurrency=4 $dir/*.test.ts || failed=1
  step parity-bf16 15 env TUNELAB_TEST_DEVICE=$DEVICE TUNELAB_TEST_AUTOCAST=bf16 $NODE_TEST $dir/parity.test.ts || failed=1
  return $failed
}
# --- d'. hf: the tiny-bert fixtures through transformers itself, compared with tunelab on the GPU ---------------
stage_hf() {
  local failed=0 dir=packages/tunelab/test/models
  step hf-compare 25 $HF_OFFLINE python3 $dir/hf-compare.py "$WORK/hf-reference" $DEVICE || failed=1
  if [[ -f $WORK/hf-reference/seqcls.safetensors ]]; then
    step parity-vs-transformers 15 env TUNELAB_TEST_DEVICE=$DEVICE TUNELAB_HF_REFERENCE="$WORK/hf-reference" \
      $NODE_TEST --test-name-pattern=transformers $dir/parity.test.ts || failed=1
  fi
  return $failed
}

# --- e. train: BERT-base from scratch on MRPC, 1 epoch, bf16, batch 32, length 128; then the HF Trainer peer ------
stage_train() {
  local failed=0 model=.device/data/models/bert-base-uncased train_tsv=.device/data/glue/MRPC/train.tsv
  local dev_tsv=.device/data/glue/MRPC/dev.tsv
  step tunelab-train 85 $NODE_TS --import ./scripts/gpu/peak-memory.ts packages/tunelab/src/cli/main.ts train \
      --model $model --from-scratch --task glue/mrpc --train-file $train_tsv --output-dir "$WORK/train-output" \
      --validation-file $dev_tsv --device $DEVICE --precision bf16 --batch-size 32 --max-seq-length 128 --epochs 1 \
      --lr 2e-5 --warmup-ratio 0.1 --weight-decay 0.01 --seed 42 --save-every 100000 --log-every 5 --no-track --json \
      $TRAIN_EXTRA_ARGS || failed=1
  # The same run as a data-parallel job of one rank: NCCL all-reduces, sharded evaluation, stop agreement.
  step tunelab-train-nccl1 85 $NODE_TS --import ./scripts/gpu/peak-memory.ts packages/tunelab/src/cli/main.ts train \
      --model $model --from-scratch --task glue/mrpc --train-file $train_tsv --output-dir "$WORK/train-output-nccl1" \
      --validation-file $dev_tsv --device $DEVICE --precision bf16 --batch-size 32 --max-seq-length 128 --epochs 1 \
      --lr 2e-5 --warmup-ratio 0.1 --weight-decay 0.01 --seed 42 --save-every 100000 --log-every 5 --no-track --json \
      --nproc-per-node 1 --master-port 29641 $TRAIN_EXTRA_ARGS || failed=1
  return $failed
}
# --- e'. hfpeer: the same epoch with Hugging Face's Trainer ----------------------------------------------------
stage_hfpeer() {
  local model=.device/data/models/bert-base-uncased train_tsv=.device/data/glue/MRPC/train.tsv
  step hf-trainer-peer 45 $HF_OFFLINE python3 bench/gpu/hf_trainer_mrpc.py $model $train_tsv \
      --precision bf16 --epochs 1 --batch-size 32 --max-seq-length 128
}

# --- e''. profile: the HF Trainer peer, then one BERT-base step phase by phase against PyTorch + transformers ----
stage_profile() {
  local failed=0 args=()
  [[ $DEVICE == cpu ]] && args=(--batch 2 --seq 32 --steps 1 --warmup 1)   # rehearsal
  stage_hfpeer || failed=1
  step step-profile 60 $HF_OFFLINE $NODE_TS bench/gpu/step-profile.ts \
      --config .device/data/models/bert-base-uncased/config.json --device $DEVICE "${args[@]}" || failed=1
  return $failed
}

# --- e'''. peers: MRPC epoch and SQuAD steps, tunelab against the HF Trainer (defaults and tuned), same card ------
# TUNELAB_GPU_PEERS picks the programs (default: tunelab, tunelab-eager, hf-defaults, hf-tuned);
# TUNELAB_GPU_PEERS_PROFILE=0 leaves out the profiled tunelab runs.
stage_peers() {
  local args=(--impls "${TUNELAB_GPU_PEERS:-tunelab,tunelab-eager,hf-defaults,hf-tuned}")
  [[ ${TUNELAB_GPU_PEERS_PROFILE:-1} == 0 ]] || args+=(--profile)
  [[ $DEVICE == cpu ]] && args=(--quick --impls tunelab,tunelab-eager)   # rehearsal: a few tiny steps
  step gpu-peers $(( STAGE_END - $(date +%s) - 5 )) $NODE_TS bench/gpu/peers.ts --model .device/data/models/bert-base-uncased \
      --mrpc-train .device/data/glue/MRPC/train.tsv --squad .device/data/squad/sample-v1.1.json --device $DEVICE \
      --work "$WORK/peers" --warmup "${args[@]}"
}

# --- e4. graphs: the step in CUDA graphs (T7 item 3): the graph-vs-eager and dropout tests on the GPU, then one MRPC
# epoch with graphs on (timed, then profiled) and off (timed), tunelab only ------------------------------------------
# --- e5. epoch: tunelab alone: MRPC epochs (twice, then profiled; then with CUDA_MODULE_LOADING=EAGER, which loads
# every kernel at start-up: what is left of a first-seen shape's cost then is not kernel loading), and SQuAD steps of a
# whole epoch of features (88,524 / 32 = 2,767), where the first-seen shapes are paid once as in a real epoch ---------
stage_epoch() {
  local failed=0 common=(bench/gpu/peers.ts --model .device/data/models/bert-base-uncased --impls tunelab
    --mrpc-train .device/data/glue/MRPC/train.tsv --squad .device/data/squad/sample-v1.1.json --device $DEVICE)
  local steps=2767; [[ $DEVICE == cpu ]] && { common+=(--quick); steps=2; }   # rehearsal
  step mrpc-epochs 60 $NODE_TS "${common[@]}" --tasks mrpc --impls tunelab,tunelab --warmup --profile --work "$WORK/epoch-mrpc" || failed=1
  step mrpc-eager-loading 45 env CUDA_MODULE_LOADING=EAGER $NODE_TS "${common[@]}" --tasks mrpc --work "$WORK/epoch-eager" \
    || failed=1
  step squad-epoch 130 $NODE_TS "${common[@]}" --tasks squad --squad-steps $steps --work "$WORK/epoch-squad" || failed=1
  return $failed
}

# (graphs on and off, MRPC and SQuAD, are rows of the peers stage: tunelab and tunelab-eager)
stage_graphs() {
  step graph-tests 60 env TUNELAB_TEST_DEVICE=$DEVICE $NODE_TEST --test-concurrency=1 packages/tunelab/test/train/graph-step.test.ts
}

# --- f. nccl: a world of 1 over NCCL (collectives, gradient reducer, overhead on a small job); Gloo tests -------
stage_nccl() {
  local failed=0 args="--backend nccl --device cuda"
  [[ $DEVICE == cpu ]] && args="--backend gloo --device cpu --steps 2 --warmup 1 --batch 4 --seq 32"   # rehearsal
  step nccl-check 25 env NCCL_DEBUG=WARN $NODE_TS scripts/gpu/nccl-check.ts $args || failed=1
  step gloo-tests 35 $NODE_TEST packages/torch/test/distributed.test.ts || failed=1
  return $failed
}

# --- g. serve: bench/serve-load.ts on the machine's CPU cores (req/s, p50/p99; batched, unbatched, onnxruntime) --
# fp32 (transformers' inference default) with the ONNX peer, then bf16 (AMX on the host CPU) against itself.
stage_serve() {
  local args=(--threads 8 --repeats 2 --seconds 3) failed=0
  [[ $DEVICE == cpu ]] && args=(--threads 1 --repeats 1 --seconds 1 --concurrency 1,8)   # rehearsal
  step serve-load-fp32 $(( (STAGE_END - $(date +%s)) * 3 / 5 )) $NODE_TS bench/serve-load.ts "${args[@]}" || failed=1
  step serve-load-bf16 $(( STAGE_END - $(date +%s) - 5 )) $NODE_TS bench/serve-load.ts "${args[@]}" --concurrency 8,64 --no-onnx --precision bf16 \
    || failed=1
  grep -m1 -o 'amx[a-z_0-9]*' /proc/cpuinfo | sort -u | tr '\n' ' '; nproc
  return $failed
}

# --- g'. servecheck: the batching ratio again (bf16, 3 rounds), and fp32 with 16 threads at 64 clients
stage_servecheck() {
  local quick=() failed=0
  [[ $DEVICE == cpu ]] && quick=(--threads 1 --repeats 1 --seconds 1)   # rehearsal
  step serve-bf16-3-rounds 60 $NODE_TS bench/serve-load.ts --threads 8 --repeats 3 --seconds 3 --concurrency 8,64 --no-onnx \
    --precision bf16 "${quick[@]}" || failed=1
  step serve-fp32-16-threads 30 $NODE_TS bench/serve-load.ts --threads 16 --repeats 2 --seconds 3 --concurrency 64 --no-onnx \
    "${quick[@]}" || failed=1
  return $failed
}

# --- h. pretrain: bench/pretrain-gain.ts (MLM pre-training then MRPC fine-tuning vs from scratch; T8's demo) -------
stage_pretrain() {
  step pretrain-gain $(( STAGE_END - $(date +%s) - 5 )) $NODE_TS bench/pretrain-gain.ts --threads 8 \
    --pretrain-steps 3000 --hidden 256 --layers 4 --max-seq-length 128 --epochs 3 --seeds 1,2,3
}

# TUNELAB_GPU_STAGES picks the stages and their order (env first; all but env need build's addon).
declare -A BUDGET=([env]=45 [build]=170 [torch]=55 [models]=50 [hf]=40 [train]=170 [hfpeer]=50 [profile]=110 [peers]=300 [graphs]=60 [nccl]=60 [serve]=200 [servecheck]=100 [epoch]=260 [pretrain]=300)
for stage in ${TUNELAB_GPU_STAGES:-env build torch hf models train hfpeer nccl}; do
  run_stage "$stage" "${BUDGET[$stage]}"
  [[ $stage == env && -f $WORK/env.sh ]] && source "$WORK/env.sh"
done
python3 scripts/gpu/report.py markdown "$OUT"
echo; cat "$OUT/summary.md"
