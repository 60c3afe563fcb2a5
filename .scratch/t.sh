#!/bin/sh
# run given test files directly (scripts/test.mjs skips folders named data)
cd /work/main && node --conditions=development --import tsx --test --test-concurrency=1 "$@"
