# scLM: `make demo` and `make test` set everything up on a fresh Debian 12 machine.
JOBS ?= $(shell nproc)
R_LIB ?=
FUZZ_SECONDS ?= 60
export MAKEFLAGS := -j$(JOBS)

.PHONY: all deps deps-seurat5 install demo test test-cpp test-r test-seurat5 core-tests r-tests seurat5-tests vignettes sanitize fuzz check bench docs clean

all: install

deps:
	@bash tools/install-deps.sh

install: deps
	@echo "scLM: building and installing the R package"
	@R CMD INSTALL --no-test-load --preclean . > build-install.log 2>&1 || (tail -40 build-install.log; exit 1)
	@rm -f build-install.log

demo: install
	@Rscript inst/scripts/pbmc3k_demo.R

# One suite after the other: run side by side, two suites that each use every core slow each
# other down many times over (OpenMP threads spin while waiting).
test: install deps-seurat5
	@$(MAKE) -j1 --no-print-directory core-tests r-tests seurat5-tests vignettes

test-cpp: deps
	@$(MAKE) --no-print-directory core-tests

core-tests:
	@cmake -S src/core -B build/core -DCMAKE_BUILD_TYPE=Release -DSCLM_BUILD_BENCH=OFF > /dev/null
	@cmake --build build/core -j$(JOBS) > build/core-build.log 2>&1 || (tail -40 build/core-build.log; exit 1)
	@cd build/core && ctest --output-on-failure

# The core's C++ tests under AddressSanitizer (with leak checks) and UndefinedBehaviorSanitizer.
sanitize: deps
	@cmake -S src/core -B build/sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCLM_SANITIZE=ON -DSCLM_BUILD_BENCH=OFF > /dev/null
	@cmake --build build/sanitize -j$(JOBS) > build/sanitize-build.log 2>&1 || (tail -40 build/sanitize-build.log; exit 1)
	@ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 build/sanitize/sclm_tests

# libFuzzer on the model-file reader, the weights reader and the peak-name parser (not in CI):
#   make fuzz FUZZ_SECONDS=300
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tools/fuzz.sh

test-r: install
	@$(MAKE) --no-print-directory r-tests

# The Seurat 5 / Signac world (tools/seurat5-packages.tsv) in a private library of the build tree:
# SeuratObject 5 + Signac by default; SEURAT5_SET=seurat adds Seurat 5 itself (~17 min more).
SEURAT5_LIB ?= $(CURDIR)/build/seurat5-lib
SEURAT5_SET ?= core
deps-seurat5: deps
	@bash tools/install-seurat5.sh $(SEURAT5_LIB) $(SEURAT5_SET)

# The host tests (Seurat, Signac) again with that library first on the library path.
test-seurat5: install deps-seurat5
	@$(MAKE) --no-print-directory seurat5-tests

# The ATAC vignette is rendered there too: with Signac present it builds ChromatinAssays.
seurat5-tests:
	@cd tests && R_LIBS=$(SEURAT5_LIB) NOT_CRAN=true Rscript -e 'stopifnot(packageVersion("SeuratObject") >= "5.0.0"); testthat::test_dir("testthat", package = "scLM", load_package = "installed", filter = "host_seurat|signac|seurat5", stop_on_failure = TRUE)'
	@mkdir -p build/vignettes-seurat5
	@R_LIBS=$(SEURAT5_LIB) Rscript -e "stopifnot(requireNamespace('Signac', quietly = TRUE)); rmarkdown::render('vignettes/atac.Rmd', output_dir = 'build/vignettes-seurat5', intermediates_dir = 'build/vignettes-seurat5', quiet = TRUE)"

r-tests:
	@cd tests && NOT_CRAN=true Rscript testthat.R

# Renders the three vignettes (about a minute each): they must run on the bundled data.
vignettes:
	@mkdir -p build/vignettes
	@for v in vignettes/*.Rmd; do echo "scLM: rendering $$v"; \
	  Rscript -e "rmarkdown::render('$$v', output_dir = 'build/vignettes', intermediates_dir = 'build/vignettes', quiet = TRUE)" || exit 1; done

# Builds the vignettes, then checks the tarball as CRAN would (with R_LIBS=build/seurat5-lib
# it checks against SeuratObject 5 and Signac too). This machine's CRAN mirror lacks web/packages.rds,
# which --as-cran reads: tools/cran-web.R writes a stand-in; the checks that need other web
# services (remote incoming checks, the clock) are off; the manual uses Times (Debian's
# inconsolata LaTeX font comes only with the 500 MB texlive-fonts-extra). R's compile step gets
# its own make job slots (inheriting ours fails: "read jobs pipe: Bad file descriptor").
check:
	@bash tools/install-deps.sh --check
	@Rscript tools/cran-web.R build/cran-web
	@export MAKEFLAGS=-j$(JOBS); R CMD build . && R_CRAN_WEB="file://$(CURDIR)/build/cran-web" \
	  _R_CHECK_FORCE_SUGGESTS_=false _R_CHECK_CRAN_INCOMING_REMOTE_=false _R_CHECK_SYSTEM_CLOCK_=0 \
	  R_RD4PDF=times,hyper R CMD check --as-cran scLM_*.tar.gz

bench: install
	@bash bench/train_step.sh

docs:
	@Rscript -e 'Rcpp::compileAttributes("."); roxygen2::roxygenise(load_code = roxygen2::load_installed)'

clean:
	@./cleanup; rm -rf build scLM.Rcheck scLM_*.tar.gz
