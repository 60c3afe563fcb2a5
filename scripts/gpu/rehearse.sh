#!/usr/bin/env bash
# Rehearses scripts/gpu/run.sh here, on a machine without a GPU: copies exactly what would travel (tracked and
# untracked-not-ignored files, plus the carried .device/ paths) into an empty folder, and runs run.sh there with a
# fake $OUT and python3 = /usr/bin/python3 (Debian's torch 1.13, no C++ headers: the addon falls back to the system
# libtorch). The CUDA-only steps must fail within seconds; the others must pass.
#   bash scripts/gpu/rehearse.sh [--cpu]    --cpu: DEVICE=cpu (the training and NCCL stages run on the CPU, tiny)
# Prints where the copy and $OUT are; removes /tmp/node afterwards if it was not there before.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
carry=(.device/node .device/npm .device/data)
for path in "${carry[@]}"; do [[ -e $path ]] || { echo "rehearse: $path missing: run scripts/gpu/prepare.sh" >&2; exit 1; }; done

dir=$(mktemp -d /var/tmp/tunelab-rehearsal.XXXXXX)
mkdir -p "$dir/repo" "$dir/out" "$dir/bin"
git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi; done \
  | tar --null --no-recursion -T - -cf - | tar -C "$dir/repo" -xf -
tar -cf - "${carry[@]}" | tar -C "$dir/repo" -xf -
ln -s /usr/bin/python3 "$dir/bin/python3"   # the GPU machine's python3 is the one with torch
echo "rehearsal copy: $dir/repo ($(du -sh "$dir/repo" | cut -f1)), OUT=$dir/out"

node_before=no; [[ -e /tmp/node ]] && node_before=yes
env_args=(PATH="$dir/bin:$PATH" OUT="$dir/out" TUNELAB_GPU_WORK="$dir/work")
if [[ ${1:-} == --cpu ]]; then env_args+=(TUNELAB_GPU_DEVICE=cpu TUNELAB_GPU_TRAIN_ARGS="--max-train-samples 8"); fi
start=$(date +%s)
(cd "$dir/repo" && env "${env_args[@]}" bash scripts/gpu/run.sh) || true
echo "rehearsal took $(( $(date +%s) - start )) s"
[[ $node_before == no ]] && rm -rf /tmp/node

count=$(find "$dir/out" -type f | wc -l)
echo "files in OUT: $count (at most 8 come back): $(cd "$dir/out" && ls | tr '\n' ' ')"
(( count <= 8 )) || echo "rehearse: WARNING: more than 8 files in OUT" >&2
