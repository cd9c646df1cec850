#!/usr/bin/env bash
# Builds the Seurat 5 / Signac library scLM is tested against into a folder of the build tree,
# without replacing any of Debian's R packages: the packages and versions of
# tools/seurat5-packages.tsv, from CRAN (current or Archive) or the Debian pool, in order.
#   tools/install-seurat5.sh [LIB] [SET]   LIB default build/seurat5-lib; SET "core" (SeuratObject 5,
#                                          Signac) or "seurat" (also Seurat 5; ~17 more minutes)
# Idempotent: a package already at its pinned version in LIB is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
LIB="${1:-build/seurat5-lib}"
SET="${2:-core}"
LIST=tools/seurat5-packages.tsv
case "$SET" in core) SETS="core" ;; seurat) SETS="core seurat" ;;
  *) echo "install-seurat5: SET must be \"core\" or \"seurat\", not \"$SET\"" >&2; exit 2 ;; esac

# Debian packages the library builds on (Signac needs Rsamtools and sparseMatrixStats).
bash tools/install-deps.sh
need=()
for p in r-bioc-rsamtools r-bioc-sparsematrixstats r-cran-rspectra; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-seurat5: installing Debian packages ${need[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$LIB" build/seurat5-src
LIB="$(cd "$LIB" && pwd)"
CRAN="$(Rscript -e 'cat(sub("/$", "", getOption("repos")[["CRAN"]]))')"
CRAN_MASTER="${CRAN_MASTER:-https://cran.r-project.org}"  # second source when the mirror fails
DEBIAN_POOL="${DEBIAN_POOL:-http://deb.debian.org/debian/pool/main}"

installed_version() {
  Rscript -e "d <- file.path('$LIB', '$1', 'DESCRIPTION'); if (file.exists(d)) cat(read.dcf(d, 'Version'))" 2>/dev/null
}

fetch() {  # package version source -> tarball path
  local pkg="$1" ver="$2" src="$3" out
  out="build/seurat5-src/${pkg}_${ver}.tar.gz"
  [ -s "$out" ] && { echo "$out"; return; }
  local urls=()
  case "$src" in
    cran) local m; for m in "$CRAN" "$CRAN_MASTER"; do
            urls+=("$m/src/contrib/${pkg}_${ver}.tar.gz" "$m/src/contrib/Archive/${pkg}/${pkg}_${ver}.tar.gz")
          done ;;
    debian:*) local d="${src#debian:}"; urls=("$DEBIAN_POOL/${d:0:1}/$d/${d}_${ver}.orig.tar.gz") ;;
    *) echo "install-seurat5: unknown source \"$src\" for $pkg in $LIST" >&2; exit 2 ;;
  esac
  # A failed download is retried in rounds (a passing network fault must not fail the build);
  # within a round the current file's URL is tried before the Archive's.
  local round
  for round in 1 2 3 4 5; do
    for u in "${urls[@]}"; do
      if curl -fsL --connect-timeout 30 --retry 3 --retry-delay 2 -o "$out.part" "$u"; then
        mv "$out.part" "$out"; echo "$out"; return
      fi
    done
    [ "$round" = 5 ] || { echo "install-seurat5: retrying the download of $pkg $ver" >&2; sleep $((round * 10)); }
  done
  rm -f "$out.part"
  echo "install-seurat5: could not download $pkg $ver (tried: ${urls[*]}). Check the network or the pinned version in $LIST." >&2
  exit 1
}

while IFS=$'\t' read -r set pkg ver src; do
  case "$set" in ''|'#'*) continue ;; esac
  [[ " $SETS " == *" $set "* ]] || continue
  if [ "$(installed_version "$pkg")" = "$ver" ]; then continue; fi
  tarball="$(fetch "$pkg" "$ver" "$src")"
  echo "install-seurat5: $pkg $ver"
  start=$(date +%s)
  if ! R_LIBS="$LIB" MAKEFLAGS="-j$(nproc)" R CMD INSTALL --no-docs --no-multiarch -l "$LIB" "$tarball" \
      > "build/seurat5-src/$pkg.log" 2>&1; then
    tail -30 "build/seurat5-src/$pkg.log" >&2
    echo "install-seurat5: building $pkg $ver failed (full log: build/seurat5-src/$pkg.log)" >&2
    exit 1
  fi
  echo "install-seurat5: $pkg $ver done in $(( $(date +%s) - start )) s"
done < "$LIST"
echo "install-seurat5: library ready in $LIB (use it with R_LIBS=$LIB)"
