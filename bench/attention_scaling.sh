#!/usr/bin/env bash
# Time and peak memory of one training step (forward + backward) of one SelfAttention layer
# (dim 64, 4 heads, batch 1, float32, CPU) against sequence length, full vs Performer vs Linformer.
# Each (kind, L) runs in its own process so that its peak RSS is its own.
# Usage (from the repository root, after cmake -S src/core -B build/core && cmake --build build/core):
#   bash bench/attention_scaling.sh [steps] [threads] [repeats]
# Each row is run `repeats` times (separate processes) and the run with the lowest median time is
# kept: on a shared machine, other processes only ever slow a run down.
# BIN=/path/to/sclm_bench_attention overrides the binary.
set -euo pipefail
steps="${1:-5}"; threads="${2:-2}"; repeats="${3:-3}"
bin="${BIN:-build/core/sclm_bench_attention}"
out="bench/results/attention_scaling.txt"
lengths="1000 2000 4000 8000 13714"
# kind:features_or_k
configs="full:0 performer:64 linformer:64 linformer:256"
# On a shared machine, actively spinning OpenMP threads lose whole time slices at every barrier
# whenever another process holds a core (measured: 600 ms instead of 4 ms per step); passive waiting
# makes the numbers reflect the attention kernels rather than the neighbours.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[ -x "$bin" ] || { echo "missing $bin: build it first (cmake --build build/core --target sclm_bench_attention)" >&2; exit 1; }

tmp="$(mktemp)"
load0="$(cut -d' ' -f1-3 /proc/loadavg)"
for config in $configs; do
  kind="${config%%:*}"; mk="${config##*:}"
  for L in $lengths; do
    for _ in $(seq "$repeats"); do "$bin" kind="$kind" length="$L" steps="$steps" threads="$threads" m_or_k="$mk"; done |
      sort -g -k4,4 | head -n 1 | tee -a "$tmp"
  done
done

{
  echo "# scLM attention scaling: one SelfAttention layer (dim 64, 4 heads, batch 1, float32), one training step"
  echo "# (forward + backward of mean(y^2)), median of $steps steps after one warm-up step; torch::set_num_threads($threads);
# best of $repeats processes per row."
  echo "# wall_ms / cpu_ms: wall-clock and process CPU time per step; OMP_WAIT_POLICY=$OMP_WAIT_POLICY.
# peak_mib = peak RSS (getrusage ru_maxrss) minus RSS before the first step; one process per row."
  echo "# date: $(date -u '+%F %H:%M UTC'); machine: $(uname -m), nproc $(nproc), $(lscpu | sed -n 's/^Model name: *//p'),"
  echo "#   $(free -g | awk '/^Mem:/ {print $2}') GiB RAM; LibTorch $("$bin" version) (CPU); load average at start: $load0, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# Performer: m = 64 random features per head; Linformer: k projected slots, max_length = L."
  echo "#"
  printf "%-10s %6s %5s %12s %12s %12s\n" kind L m_or_k wall_ms cpu_ms peak_mib
  cat "$tmp"
  echo "#"
  echo "# growth from L = 1000 to L = 13714 (x13.7 in L; linear cost means about x13.7, quadratic about x188):"
  awk '{ key = $1 ($1 == "full" ? "" : " " $3) } $2 == 1000 { t0[key] = $4; m0[key] = $6 } $2 == 13714 { t1[key] = $4; m1[key] = $6 }
       END { for (k in t1) if (k in t0) printf "#   %-14s time(13714)/time(1000) = %6.1f   mem(13714)/mem(1000) = %6.1f\n", k, t1[k] / t0[k], m1[k] / m0[k] }' "$tmp" | sort
} > "$out"
rm -f "$tmp"
cat "$out"
