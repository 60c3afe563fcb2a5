#!/usr/bin/env bash
# Makes the payload that travels with the working tree to a CUDA machine that has python3 + PyTorch but no Node,
# no npm and no network (see docs/gpu.md), all under the ignored folder .device/:
#   .device/node/          Node.js (node.tar.xz + node-env.sh, from ../shared/gpu/make-node-bundle.sh)
#   .device/npm/           node_modules.tar.xz: the production + test-time packages, pruned to linux-x64 (unpacked
#                          into ./node_modules there; 33 MiB as a folder would not fit the 64 MiB beside the tree)
#   .device/data/          MRPC train/dev and bert-base-uncased's config + tokenizer, copied from ../shared
# and prints the `carry` list and the sizes against the 64 MiB that may travel. Safe to rerun: it rebuilds
# .device/npm and .device/data from scratch each time. Usage: bash scripts/gpu/prepare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
shared=$(cd "$root/../shared" && pwd)
device=$root/.device
mkdir -p "$device"

# Packages that run.sh needs beyond the production closure: tsx (+ esbuild and its linux-x64 binary) to run the
# TypeScript sources and tests, node-api-headers as a fallback for the addon's N-API headers.
EXTRA_PACKAGES=(node_modules/tsx node_modules/esbuild node_modules/@esbuild/linux-x64 node_modules/node-api-headers)
CARRY=(.device/node .device/npm .device/data)
MAX_PAYLOAD_MIB=55   # node + node_modules + data; the working tree itself travels too, within 64 MiB in all

# --- (a) Node.js ------------------------------------------------------------------------------------------------
node_version=$(node -p 'process.versions.node')
if [[ ! -f $device/node/node.tar.xz || $(cat "$device/node/node.version" 2>/dev/null) != "$node_version" ]]; then
  bash "$shared/gpu/make-node-bundle.sh" "$device/node"
fi
if ! cmp -s "$shared/gpu/node-env.sh" "$device/node/node-env.sh"; then
  install -m 0644 "$shared/gpu/node-env.sh" "$device/node/node-env.sh"
fi
xz -t "$device/node/node.tar.xz"
echo "node: $device/node (node $node_version)"

# --- (b) node_modules -------------------------------------------------------------------------------------------
# The production closure of the two packages that run there (the dashboard is not needed), as npm resolved it.
mapfile -t packages < <(npm ls --omit=dev --all --parseable -w tunelab -w @tunelab/torch 2>/dev/null \
  | sed "s|^$root/||" | grep '^node_modules/' | grep -v -x -e node_modules/tunelab -e node_modules/@tunelab/torch \
  | sort -u)
packages+=("${EXTRA_PACKAGES[@]}")
if (( ${#packages[@]} < 20 )); then echo "prepare: npm ls found only ${#packages[@]} packages (run npm ci first)" >&2; exit 1; fi

staging=$(mktemp -d "$device/node_modules.XXXXXX")
trap 'rm -rf "$staging"' EXIT
for pkg in "${packages[@]}"; do
  [[ -f $root/$pkg/package.json ]] || { echo "prepare: $pkg is not installed (run npm ci)" >&2; exit 1; }
  dest=$staging/${pkg#node_modules/}
  mkdir -p "$dest"
  # A package's own nested node_modules are listed (and copied) separately when they are needed.
  find "$root/$pkg" -mindepth 1 -maxdepth 1 ! -name node_modules -exec cp -a {} "$dest/" \;
done

# Pruning: only what runs on linux-x64 with glibc, no type declarations, source maps, docs or build leftovers.
find "$staging/tokenizers" -maxdepth 1 -name '*.node' ! -name 'tokenizers.linux-x64-gnu.node' -delete
( cd "$staging/better-sqlite3" && rm -rf deps src docs binding.gyp \
    && find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
    && find build/Release -mindepth 1 -maxdepth 1 ! -name better_sqlite3.node -exec rm -rf {} + )
# esbuild/bin/esbuild is a copy of @esbuild/linux-x64/bin/esbuild for the esbuild CLI; tsx calls the JS API,
# which runs the platform package's binary.
rm -f "$staging/esbuild/bin/esbuild"
find "$staging" -type f \( -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' -o -name '*.map' -o -name '*.md' \
  -o -name '*.markdown' -o -name 'CHANGELOG*' -o -name '.eslintrc*' -o -name 'tsconfig*.json' \) -delete
find "$staging" -type d \( -name test -o -name tests -o -name __tests__ -o -name example -o -name examples \) \
  -not -path '*/node-addon-api/*' -prune -exec rm -rf {} +
# export/'s browser side (transformers.js, onnxruntime-web, sharp) never runs there; onnxruntime-node keeps only its
# linux-x64 CPU library (bench/serve-load.ts's peer). Unpruned they are over 400 MiB.
rm -rf "$staging/@huggingface/transformers" "$staging/onnxruntime-web" "$staging/sharp" "$staging"/@img/sharp-*
if [[ -d $staging/onnxruntime-node/bin ]]; then
  find "$staging/onnxruntime-node/bin" -mindepth 3 -maxdepth 3 ! -path '*/linux/x64' -exec rm -rf {} +
fi
find "$staging" -type d -empty -delete

# The workspace links, as npm makes them (run.sh recreates them in case links do not survive the transfer).
mkdir -p "$staging/@tunelab"
ln -sfn ../../packages/torch "$staging/@tunelab/torch"
ln -sfn ../packages/tunelab "$staging/tunelab"

for binary in tokenizers/tokenizers.linux-x64-gnu.node better-sqlite3/build/Release/better_sqlite3.node \
              @esbuild/linux-x64/bin/esbuild node-addon-api/napi.h; do
  [[ -f $staging/$binary ]] || { echo "prepare: node_modules/$binary missing after pruning" >&2; exit 1; }
done
unpacked=$(find "$staging" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.1f MiB", s / 1048576 }')
rm -rf "$device/npm"
mkdir -p "$device/npm"
printf '%s\n' "${packages[@]}" > "$device/npm/packages.txt"
tar -C "$staging" -cf - . | xz -T0 -6 > "$device/npm/node_modules.tar.xz.tmp"
mv "$device/npm/node_modules.tar.xz.tmp" "$device/npm/node_modules.tar.xz"
echo "node_modules: $device/npm/node_modules.tar.xz (${#packages[@]} packages, $unpacked unpacked)"

# --- (c) data (real text: lives only under the ignored .device/, never in the repository) -------------------------
rm -rf "$device/data"
mkdir -p "$device/data/glue/MRPC" "$device/data/models/bert-base-uncased" "$device/data/squad"
cp "$shared/data/squad/sample-v1.1.json" "$device/data/squad/"   # bench/gpu/peers.ts repeats it to fill its SQuAD steps
cp "$shared/data/glue/MRPC/train.tsv" "$shared/data/glue/MRPC/dev.tsv" "$device/data/glue/MRPC/"
for file in config.json tokenizer.json tokenizer_config.json vocab.txt; do
  cp "$shared/data/models/bert-base-uncased/$file" "$device/data/models/bert-base-uncased/"
done
# bench/pretrain-gain.ts's unlabelled text (the `pretrain` stage), compressed: it travels at a fifth of its size
tar -C "$shared/data" -cf - glue/SST-2/train.tsv glue/STS-B/train.tsv squad/sample-v2.0.json | xz -T0 -9 > "$device/data/corpus.tar.xz"
chmod -R u+w "$device/data"
echo "data: $device/data"

# --- sizes: every file counted in full (hard links too), as the transfer does --------------------------------------
bytes_of() { find "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
payload=0
for path in "${CARRY[@]}"; do
  b=$(bytes_of "$root/$path")
  payload=$((payload + b))
  printf '  %-22s %s\n' "$path" "$(mib "$b")"
done
# what travels besides: tracked and untracked-not-ignored files (a tracked file deleted here does not travel)
tree=$(git ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do if [[ -f $f && ! -L $f ]]; then stat -c '%s' "$f"; fi; done \
  | awk '{ s += $1 } END { print s + 0 }')
printf '  %-22s %s\n' "carried payload" "$(mib "$payload")" "working tree" "$(mib "$tree")" \
  "total that travels" "$(mib $((payload + tree)))"
if (( payload > MAX_PAYLOAD_MIB * 1048576 )); then echo "prepare: payload over $MAX_PAYLOAD_MIB MiB" >&2; exit 1; fi
if (( payload + tree > 64 * 1048576 )); then echo "prepare: over the 64 MiB that may travel" >&2; exit 1; fi
printf 'carry: ['; printf '"%s", ' "${CARRY[@]:0:${#CARRY[@]}-1}"; printf '"%s"]\n' "${CARRY[-1]}"
