#!/usr/bin/env bash
# Training-step time: scLM's LibTorch core vs the identical model in plain PyTorch (Debian's
# python3-torch, the same LibTorch 1.13), same real batches, same machine, one run.
# Usage: bash bench/train_step.sh [steps] [threads]   (from the repository root)
set -euo pipefail
steps="${1:-40}"; threads="${2:-$(nproc)}"
dpkg -s python3-torch >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
cmake -S src/core -B build/core -DCMAKE_BUILD_TYPE=Release -DSCLM_BUILD_BENCH=ON >/dev/null
cmake --build build/core -j"$(nproc)" --target sclm_bench_step >/dev/null
tmp="$(mktemp -d)"
out="bench/results/train_step.txt"
{
  echo "# $(date -u +%F) $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
  build/core/sclm_bench_step out="$tmp" steps="$steps" threads="$threads"
  n_genes="$(wc -l < src/core/tests/data/pbmc_subset_genes.txt)"
  echo -n "default glibc malloc: "
  /usr/bin/python3 bench/train_step_pytorch.py "$tmp/batches.txt" "$threads" "$n_genes" 9
  # scLM keeps large buffers on the heap (mallopt in src/core/util/backend.cpp); the same for Python:
  echo -n "same malloc settings as scLM: "
  GLIBC_TUNABLES=glibc.malloc.mmap_threshold=536870912:glibc.malloc.trim_threshold=1073741824 \
    /usr/bin/python3 bench/train_step_pytorch.py "$tmp/batches.txt" "$threads" "$n_genes" 9
} | tee "$out"
rm -rf "$tmp"
