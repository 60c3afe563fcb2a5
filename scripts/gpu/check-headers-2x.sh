#!/usr/bin/env bash
# Compile-checks the binding's CPU sources against libtorch 2.x headers on a machine that only has Debian's 1.13:
# the headers come from Debian trixie's libtorch-dev (downloaded once into .device/libtorch-2x/, ignored), and every
# native/*.cpp except the CUDA-only ones is run through `g++ -fsyntax-only`. It does not link or run anything; the
# CUDA files need nvcc's headers and are checked where a GPU machine is lent (scripts/gpu/run.sh builds everything).
# Usage: bash scripts/gpu/check-headers-2x.sh   (a developer check; no test runs it, since it downloads)
set -euo pipefail
cd "$(dirname "$0")/../.."
DEB_URL=http://deb.debian.org/debian/pool/main/p/pytorch/libtorch-dev_2.6.0+dfsg-7_amd64.deb
HEADERS=.device/libtorch-2x
if [ ! -f "$HEADERS/usr/include/torch/csrc/api/include/torch/version.h" ]; then
  mkdir -p "$HEADERS"
  curl -fsSL -o "$HEADERS/libtorch-dev.deb" "$DEB_URL"
  dpkg-deb -x "$HEADERS/libtorch-dev.deb" "$HEADERS"
  rm "$HEADERS/libtorch-dev.deb"
fi
version_h="$HEADERS/usr/include/torch/csrc/api/include/torch/version.h"
version=$(awk '/define TORCH_VERSION_(MAJOR|MINOR|PATCH)/ { printf "%s%s", sep, $3; sep = "." }' "$version_h")
echo "libtorch $version headers (Debian trixie's libtorch-dev)"

failed=0
for source in packages/torch/native/*.cpp; do
  case "$(basename "$source")" in cuda.cpp | cuda_graph.cpp) continue ;; esac
  if g++ -fsyntax-only -std=gnu++17 -Wall -Wno-unused-parameter -Wno-deprecated-declarations \
      -DNAPI_CPP_EXCEPTIONS -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_DEPRECATED -DBUILDING_NODE_EXTENSION \
      -DTUNELAB_WITH_DISTRIBUTED=1 -DTUNELAB_WITH_GLOO=1 -DUSE_C10D_GLOO -D_GLIBCXX_USE_CXX11_ABI=1 \
      -I"$HEADERS/usr/include" -I"$HEADERS/usr/include/torch/csrc/api/include" \
      -Inode_modules/node-api-headers/include -Inode_modules/node-addon-api -Ipackages/torch/native "$source"; then
    echo "ok    $source"
  else
    echo "FAIL  $source"
    failed=1
  fi
done
exit "$failed"
