#!/usr/bin/env bash
# scLM on a CUDA GPU: builds the core with CMake against the LibTorch inside the machine's PyTorch,
# runs the core's tests (CPU and CUDA) and the GPU benchmarks, and writes bench/results/gpu_*.txt.
#   bash bench/gpu.sh prepare          # here (Debian, with ../shared/data): fills bench/gpu_data/
#   bash bench/gpu.sh [stages...]      # on the GPU machine; stages: build test step profile annotate attention
#                                      # (and pack / unpack, below)
# bench/gpu_data/ (ignored by git) holds the real pbmc3k cells and GoogleTest's sources, which the
# GPU machine lacks; carry it there. GPU_RESULTS=<dir> writes the results there instead.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
data_dir=bench/gpu_data
if [ "${1:-}" = prepare ]; then
  mkdir -p "$data_dir"
  cp ../shared/data/pbmc3k_10x_seurat_labels/{counts.mtx.gz,features.tsv.gz,labels.tsv.gz} "$data_dir"/
  rm -rf "$data_dir/googletest" && cp -r /usr/src/googletest "$data_dir/googletest"
  du -sh "$data_dir"
  exit 0
fi
stages="${*:-build test step annotate attention}"
results="${GPU_RESULTS:-bench/results}"  # e.g. $OUT on the device machine, so partial results come back
export PYTHONUNBUFFERED=1
# pack: the built programs into $OUT/gpu_build.tgz; unpack: from bench/gpu_data/gpu_build.tgz, so
# a later call on a fresh machine of the same image skips the build.
has() { [[ " $stages " == *" $1 "* ]]; }
build=build/gpu
cells=/tmp/sclm_pbmc3k
mkdir -p "$results" build "$cells"
# pbmc3k as the benchmarks read it: <stem>.mtx, <stem>_genes.txt, <stem>_labels.txt
[ -f "$cells/pbmc3k.mtx" ] || zcat "$data_dir/counts.mtx.gz" > "$cells/pbmc3k.mtx"
zcat "$data_dir/features.tsv.gz" | cut -f1 > "$cells/pbmc3k_genes.txt"
zcat "$data_dir/labels.tsv.gz" | tail -n +2 | cut -f2 > "$cells/pbmc3k_labels.txt"
n_classes="$(sort -u "$cells/pbmc3k_labels.txt" | wc -l)"
gpu="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -n 1 || echo none)"
stamp="# $(date -u '+%F %H:%M UTC'); GPU: $gpu; $(nproc) CPU cores; PyTorch $(python3 -c 'import torch; print(torch.__version__)')"

if has build; then
  prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  cmake -S src/core -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
    -DSCLM_GTEST_SOURCE="$here/$data_dir/googletest" -DSCLM_BUILD_BENCH=ON > "$build.configure.log" 2>&1 ||
    { tail -40 "$build.configure.log"; exit 1; }
  grep -E "scLM|Torch|CUDA" "$build.configure.log" | head -20 || true
  /usr/bin/time -f "build: %e s" cmake --build "$build" -j"$(nproc)" 2>&1 | grep -E "error|warning: |build:" | head -60
  [ -x "$build/sclm_bench_step" ] || { echo "build failed" >&2; exit 1; }
fi

set +e  # past the build, every stage is best effort: what ran is written
if has unpack; then tar xzf "$data_dir/gpu_build.tgz"; fi
if has pack && [ -n "${OUT:-}" ]; then
  tar czf "$OUT/gpu_build.tgz" "$build"/sclm_tests "$build"/sclm_bench_step "$build"/sclm_bench_annotate "$build"/sclm_bench_attention
  ls -la "$OUT/gpu_build.tgz"
fi

if has test; then
  # Each test process uses 2 threads; CUDA tests share the one GPU.
  { echo "$stamp"; (cd "$build" && ctest -j"$(( $(nproc) / 2 ))" --output-on-failure 2>&1 | grep -E "^\[  FAILED|Failure|Expected|Which is|tests passed|Total Test|FAILED" | head -60) || true; } |
    tee "$results/gpu_core_tests.txt"
fi

if has step; then
  # Full attention, dim 512, 8 layers, sequence 2,048 (2,047 genes at full length + CLS), bf16
  # autocast: scLM's C++ step vs the same model in plain PyTorch on the same batches.
  out="$results/gpu_train_step.txt"
  tmp="$(mktemp -d)"
  {
    echo "$stamp"
    echo "# one training step (forward, backward, gradient clipping, AdamW) on real pbmc3k batches; mean over the"
    echo "# timed steps after 3 warm-up steps; MFU = model FLOPs (matrix products, 3x forward) / time / 989 TFLOP/s"
    echo "# (H100 SXM dense bf16 peak)."
    for cfg in "bf16 16 1" "bf16 16 0" "fp32 16 1"; do
      set -- $cfg
      line="$(timeout 120 "$build/sclm_bench_step" out="$tmp" steps=20 threads=8 device=cuda precision="$1" dim=512 layers=8 heads=8 \
        ff=2048 tokens=2047 genes=2047 full_length=1 batch="$2" optimizer="$3" data="$cells" stem=pbmc3k)"
      flops="$(sed 's/.*flops\/step //' <<< "$line")"
      py="$(timeout 120 python3 bench/train_step_pytorch.py "$tmp/batches.txt" 8 2047 "$n_classes" cuda 512 8 8 2048 30 "$1" 1 "$3")"
      ms_c="$(sed -E 's/.*: ([0-9.]+) ms\/step.*/\1/' <<< "$line")"; ms_p="$(sed -E 's/.*: ([0-9.]+) ms\/step.*/\1/' <<< "$py")"
      echo "$line"
      echo "$py"
      awk -v f="$flops" -v c="$ms_c" -v p="$ms_p" 'BEGIN { printf "  MFU scLM %.1f%%, PyTorch %.1f%%; PyTorch time / scLM time = %.3f\n", 100 * f / (c / 1000) / 989e12, 100 * f / (p / 1000) / 989e12, p / c }'
    done
    # PyTorch variants on the same batches: scLM's bf16 residual stream written in PyTorch (recipe vs
    # implementation), and no attention mask (none of these full-length batches has padding).
    py_bf16=(timeout 120 python3 bench/train_step_pytorch.py "$tmp/batches.txt" 8 2047 "$n_classes" cuda 512 8 8 2048 30 bf16 1)
    for opt in 1 0; do
      echo "PyTorch with SCLM_BENCH_STREAM=bf16: $(SCLM_BENCH_STREAM=bf16 "${py_bf16[@]}" "$opt")"
      echo "PyTorch with SCLM_BENCH_STREAM=bf16 SCLM_BENCH_MASK=none: $(SCLM_BENCH_STREAM=bf16 SCLM_BENCH_MASK=none "${py_bf16[@]}" "$opt")"
    done
    echo "PyTorch with SCLM_BENCH_MASK=none: $(SCLM_BENCH_MASK=none "${py_bf16[@]}" 0)"
    echo "# forward + backward, bf16, with only one fused-attention kernel enabled in both:"
    for kernel in cudnn efficient; do
      echo "sdp=$kernel"
      timeout 120 "$build/sclm_bench_step" out="$tmp" steps=20 threads=8 device=cuda precision=bf16 dim=512 layers=8 heads=8 \
        ff=2048 tokens=2047 genes=2047 full_length=1 batch=16 optimizer=0 sdp="$kernel" data="$cells" stem=pbmc3k
      SCLM_BENCH_SDP="$kernel" timeout 120 python3 bench/train_step_pytorch.py "$tmp/batches.txt" 8 2047 "$n_classes" cuda 512 8 8 2048 30 bf16 1 0
    done
    # The demo model (dim 32, 2 layers, 256 tokens): small steps, where per-step overheads show.
    line="$(timeout 60 "$build/sclm_bench_step" out="$tmp" steps=40 threads=8 device=cuda precision=fp32 genes=2000 batch=32 data="$cells" stem=pbmc3k)"
    echo "$line"
    timeout 60 python3 bench/train_step_pytorch.py "$tmp/batches.txt" 8 2000 "$n_classes" cuda 32 2 4 64 30 fp32 0
    line="$(timeout 60 "$build/sclm_bench_step" out="$tmp" steps=40 threads=8 device=cuda precision=fp32 genes=2000 batch=32 optimizer=0 data="$cells" stem=pbmc3k)"
    echo "$line"
    timeout 60 python3 bench/train_step_pytorch.py "$tmp/batches.txt" 8 2000 "$n_classes" cuda 32 2 4 64 30 fp32 0 0
  } 2>&1 | tee "$out"
  rm -rf "$tmp"
fi

if has profile; then
  # Where the dim-512 bf16 step spends GPU time, kernel family by kernel family, in scLM and in
  # PyTorch (forward + backward, 3 profiled steps each); traces stay in $PROFILE_DIR.
  out="$results/gpu_kernel_profile.txt"
  dir="${PROFILE_DIR:-$(mktemp -d)}"
  mkdir -p "$dir"
  common=(steps=10 threads=8 device=cuda precision=bf16 dim=512 layers=8 heads=8 ff=2048 tokens=2047 genes=2047
          full_length=1 batch=16 optimizer=0 data="$cells" stem=pbmc3k)
  {
    echo "$stamp"
    echo "# GPU time per training step (forward + backward, bf16, dim 512, 8 layers, seq 2048, batch 16) by kernel family"
    timeout 120 "$build/sclm_bench_step" out="$dir" "${common[@]}" profile="$dir/sclm.json"
    SCLM_BENCH_PROFILE="$dir/pytorch.json" timeout 120 python3 bench/train_step_pytorch.py "$dir/batches.txt" 8 2047 "$n_classes" cuda 512 8 8 2048 30 bf16 1 0
    python3 bench/kernel_profile.py "$dir/sclm.json" "$dir/pytorch.json" 40
    echo "# scLM against its own recipe written in PyTorch (SCLM_BENCH_STREAM=bf16):"
    SCLM_BENCH_STREAM=bf16 SCLM_BENCH_PROFILE="$dir/pytorch_stream.json" timeout 120 python3 bench/train_step_pytorch.py "$dir/batches.txt" 8 2047 "$n_classes" cuda 512 8 8 2048 30 bf16 1 0
    python3 bench/kernel_profile.py "$dir/sclm.json" "$dir/pytorch_stream.json" 15
  } 2>&1 | tee "$out"
fi

if has annotate; then
  out="$results/gpu_annotate.txt"
  {
    echo "$stamp"
    echo "# classify_cells (host tokenization, copy, forward, logits back) on pbmc3k cells replicated; demo: best of 2 passes after a warm-up pass; scbert: 1 pass after a warm-up pass."
    for p in fp32 bf16; do
      for b in 1024 4096; do timeout 60 "$build/sclm_bench_annotate" model=demo device=cuda precision=$p batch=$b copies=10 repeats=2 threads=8 data="$cells" stem=pbmc3k || echo "demo $p $b: stopped"; done
      timeout 60 "$build/sclm_bench_annotate" model=scbert device=cuda precision=$p batch=32 cells=512 threads=8 repeats=1 data="$cells" stem=pbmc3k || echo "scbert $p: stopped"
    done
    echo "# the same demo model on this machine's CPU ($(nproc) cores) for scale:"
    timeout 60 "$build/sclm_bench_annotate" model=demo device=cpu batch=256 copies=1 threads="$(nproc)" repeats=1 data="$cells" stem=pbmc3k || true
  } 2>&1 | tee "$out"
fi

if has attention; then
  out="$results/gpu_attention_scaling.txt"
  {
    echo "$stamp"
    echo "# one SelfAttention layer (dim 512, 8 heads, batch 1), one training step (forward + backward), bf16 autocast;"
    echo "# median of 5 steps; peak_mib: CUDA caching allocator's peak allocation during the steps. Full attention runs"
    echo "# LibTorch's scaled_dot_product_attention (fused kernels); Performer m = 256 features; Linformer k = 256."
    printf "%-10s %6s %5s %12s %12s %12s\n" kind L m_or_k wall_ms cpu_ms peak_mib
    for config in full:0 performer:256 linformer:256; do
      for L in 2048 4096 8192 16384; do
        timeout 30 "$build/sclm_bench_attention" kind="${config%%:*}" length="$L" steps=5 threads=8 m_or_k="${config##*:}" \
          device=cuda precision=bf16 dim=512 heads=8 || echo "${config%%:*} $L failed"
      done
    done
  } 2>&1 | tee "$out"
fi
