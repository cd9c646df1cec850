#!/usr/bin/env bash
# Annotation throughput with and without length bucketing (classify_cells batching cells of similar
# token counts within windows of 16 batches, against batches in input order), on real pbmc3k cells,
# CPU, in one run. Two models: the demo model (top 256 of 2,000 genes: nearly every cell fills all
# 256 tokens, so bucketing has nothing to gain) and the same model reading every detected gene of
# all 13,714 (max_tokens 2,048; cells hold 212-2,413 genes, median 819), as a Geneformer-length input.
# Usage (from the repository root, after `bash bench/gpu.sh prepare` has put pbmc3k in bench/gpu_data):
#   bash bench/annotate_bucketing.sh [threads] [long_cells]
# BIN=/path/to/sclm_bench_annotate overrides the binary (default: build/bench, -DSCLM_BUILD_BENCH=ON).
set -euo pipefail
threads="${1:-2}"; long_cells="${2:-1024}"
bin="${BIN:-build/bench/sclm_bench_annotate}"
[ -x "$bin" ] || { echo "missing $bin: cmake -S src/core -B build/bench -DSCLM_BUILD_BENCH=ON && cmake --build build/bench" >&2; exit 1; }
cells=/tmp/sclm_pbmc3k
mkdir -p "$cells"
zcat bench/gpu_data/counts.mtx.gz > "$cells/pbmc3k.mtx"
zcat bench/gpu_data/features.tsv.gz | cut -f1 > "$cells/pbmc3k_genes.txt"
zcat bench/gpu_data/labels.tsv.gz | tail -n +2 | cut -f2 > "$cells/pbmc3k_labels.txt"
out=bench/results/annotate_bucketing.txt
{
  echo "# $(date -u '+%F %H:%M UTC'); $(nproc) CPU cores, $threads threads; pbmc3k; best of the repeats"
  for bucketing in 0 1; do
    "$bin" data="$cells" stem=pbmc3k threads="$threads" repeats=3 bucketing="$bucketing"
  done
  for bucketing in 0 1; do
    "$bin" data="$cells" stem=pbmc3k threads="$threads" repeats=1 genes=13714 tokens=2048 batch=64 \
      cells="$long_cells" bucketing="$bucketing"
  done
} | tee "$out"
