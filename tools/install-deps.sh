#!/usr/bin/env bash
# Installs scLM's system dependencies from Debian 12 packages. Idempotent: quiet when all are present.
set -euo pipefail

PACKAGES=(
  r-base-dev r-cran-rcpp r-cran-rcppeigen r-cran-matrix r-cran-cli r-cran-testthat
  r-bioc-s4vectors r-bioc-singlecellexperiment r-cran-seurat r-cran-irlba r-bioc-genomicranges r-cran-glmnet r-bioc-hdf5array
  r-cran-ggplot2 r-cran-uwot r-cran-knitr r-cran-rmarkdown r-bioc-biocstyle pandoc r-cran-roxygen2
  libtorch-dev libgloo-dev libopenblas0-openmp libgtest-dev cmake
)

# `make check` (R CMD check --as-cran) also needs the tools CRAN's checks call.
if [ "${1:-}" = "--check" ]; then
  PACKAGES+=(qpdf devscripts texlive-latex-base texlive-fonts-recommended)
fi
# bench/annotation_tasks.R compares against SingleR (with scran for the Wilcoxon markers of the ATAC tasks);
# bench/atac_scale.R markers reads hg19 gene coordinates from CRAN's toprdata (into build/bench-lib, below).
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(r-bioc-singler r-bioc-scran)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "scLM: installing ${#missing[@]} Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o Acquire::Retries=5 update -qq
  $SUDO apt-get -o Acquire::Retries=5 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# LibTorch and R call BLAS through libblas.so.3: make the OpenMP OpenBLAS the active one
# (8x faster transformer steps than the reference BLAS).
arch_dir="/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"
openblas="$arch_dir/openblas-openmp/libblas.so.3"
current="$(update-alternatives --query "libblas.so.3-${arch_dir##*/}" 2>/dev/null | awk '/^Value:/{print $2}')"
if [ -e "$openblas" ] && [ "$current" != "$openblas" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO update-alternatives --quiet --set "libblas.so.3-${arch_dir##*/}" "$openblas"
  openlapack="$arch_dir/openblas-openmp/liblapack.so.3"
  [ -e "$openlapack" ] && $SUDO update-alternatives --quiet --set "liblapack.so.3-${arch_dir##*/}" "$openlapack" || true
fi

bench_lib="$(cd "$(dirname "$0")/.." && pwd)/build/bench-lib"
if [ "${1:-}" = "--bench" ] && [ ! -d "$bench_lib/toprdata" ]; then
  mkdir -p "$bench_lib"
  Rscript -e "install.packages('toprdata', lib = '$bench_lib', repos = 'https://cloud.r-project.org', quiet = TRUE)"
fi
