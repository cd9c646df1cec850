#!/usr/bin/env bash
# Fuzzes scLM's model-file reader, weights reader and peak-name parser with libFuzzer
# (clang from Debian), each for FUZZ_SECONDS. Not part of CI. Crashing inputs are written to
# build/fuzz/<target>/crash-*; add each to src/core/tests/data/fuzz-regressions once fixed.
set -euo pipefail
seconds="${FUZZ_SECONDS:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"

need=()
for p in clang-14 libclang-rt-14-dev libfuzzer-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

core="$root/src/core"
declare -A sources=(
  [model_file]="$core/util/data_file.cpp $core/util/tensor_bundle.cpp"
  [tensor_bundle]="$core/util/tensor_bundle.cpp"
  [peak_name]="$core/data/peaks.cpp"
)
for target in model_file tensor_bundle peak_name; do
  out="$root/build/fuzz/$target"
  mkdir -p "$out/corpus"
  cp -n "$core/fuzz/seeds/$target/"* "$out/corpus/" 2>/dev/null || true
  # shellcheck disable=SC2086
  clang++-14 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$core" "$core/fuzz/fuzz_$target.cpp" ${sources[$target]} -o "$out/fuzz_$target"
  echo "scLM fuzz: $target for ${seconds} s"
  (cd "$out" && ./fuzz_"$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
     -print_final_stats=1 corpus 2>&1 | tail -12)
done
