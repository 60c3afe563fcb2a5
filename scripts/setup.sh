#!/usr/bin/env bash
# Makes a fresh Debian machine ready to run tunelab, and does nothing when it already is:
# system packages (libtorch, OpenBLAS, PostgreSQL, Chromium, ...), npm dependencies, the native addon and the build.
# `npm run demo` and `npm test` call it first, so the README's two commands work on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake python3 libtorch-dev libopenblas0-pthread python3-torch libgloo-dev
          postgresql chromium iproute2 procps)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if (( ${#missing[@]} > 0 )); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -d node_modules/.bin || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# Rebuild when any source is newer than the last build stamp.
stamp=node_modules/.tunelab-build-stamp
if [[ ! -f $stamp ]] || [[ -n $(find packages -path '*/node_modules' -prune -o \
      \( -path '*/src/*' -o -path '*/native/*' -o -name CMakeLists.txt -o -name 'index.html' \) \
      -newer "$stamp" -print -quit) ]]; then
  echo "setup: building (native addon, TypeScript, dashboard)" >&2
  npm run build --silent
  touch "$stamp"
fi
