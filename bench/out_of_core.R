# Host memory while annotating on-disk cells: the bundled pbmc3k cells replicated to 20k and
# 200k cells in 10x HDF5 files (HDF5Array::TENxMatrix), annotated by the `make demo` model
# (standard split, seed 1), each run in a fresh R process whose peak resident memory (VmHWM)
# is read at the end. Baseline in the same run: the same 200k cells as an in-memory dgCMatrix.
# With `train`: one epoch of pretrain() (vocabulary chosen from all cells, a small encoder, so
# that the data dominate memory) on the same on-disk and in-memory cells; with `sctrans`, the same
# for an SCTrans model (masked sub-vector completion, its cells' expression levels kept sparse).
#   Rscript bench/out_of_core.R [train|sctrans]  (after `make install`; ~10 min on 2 cores, 0.3 GB of disk in tempdir())
suppressPackageStartupMessages({library(scLM); library(HDF5Array)})
source("inst/scripts/standard_split.R")
source("bench/on_disk.R")

pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
split <- stratified_split(pbmc$cell_type)
work <- Sys.getenv("SCLM_BENCH_DIR", file.path(tempdir(), "out_of_core"))
dir.create(work, showWarnings = FALSE, recursive = TRUE)

h5 <- function(n_cells) write_tenx(pbmc$counts, n_cells, file.path(work, sprintf("pbmc_%d.h5", n_cells)))

mode <- match.arg(commandArgs(trailingOnly = TRUE)[1], c("annotate", "train", "sctrans"))
training <- mode != "annotate"
configs <- c(train = "cfg <- scLMConfig(dim = 32, n_layers = 1, n_heads = 2, ff_dim = 64)",
             sctrans = "cfg <- sctrans_config(dim = 32, n_layers = 1, n_heads = 2, ff_dim = 64)")
model_file <- file.path(work, "demo.scLM")
if (!training) {
  model <- finetune(scLMConfig(), pbmc$counts[, split$train], pbmc$cell_type[split$train], seed = 1, verbose = FALSE)
  save_model(model, model_file)
}
task <- if (training) {
  c(configs[[mode]],
    "encoder <- pretrain(x, cfg, epochs = 1, batch_size = 64, contrastive_weight = 0, verbose = FALSE)",
    "n <- ncol(x)")
} else {
  c("res <- annotate_cells(model, x, verbose = FALSE)", "n <- nrow(res)")
}

measure <- function(label, setup) {
  measure_fresh(label, c(if (!training) sprintf("model <- load_model('%s')", model_file), setup), task)
}

f20k <- h5(20000)
f200k <- h5(200000)
rows <- rbind(
  measure("TENxMatrix on disk, 20k cells", sprintf("x <- HDF5Array::TENxMatrix('%s', 'matrix')", f20k)),
  measure("TENxMatrix on disk, 200k cells", sprintf("x <- HDF5Array::TENxMatrix('%s', 'matrix')", f200k)),
  measure("dgCMatrix in memory, 200k cells",
          "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))
           x <- do.call(cbind, rep(list(pbmc$counts), ceiling(2e5 / ncol(pbmc$counts))))[, 1:2e5]; rm(pbmc)
           colnames(x) <- paste0('cell', seq_len(ncol(x)))"))
out <- sprintf("bench/results/%s.tsv", c(annotate = "out_of_core", train = "out_of_core_training",
                                         sctrans = "out_of_core_sctrans")[[mode]])
task_label <- c(annotate = "annotate_cells() with the demo model",
                train = "pretrain(), 1 epoch, dim 32, 1 layer, 2,000 genes, 256 tokens",
                sctrans = "SCTrans pretrain(), 1 epoch, dim 32, 1 layer, 2,000 genes, sub-vectors of 16/32/64 genes")[[mode]]
writeLines(sprintf("# %s; %d cores; %s; block of %d cells (options(scLM.block_cells))", format(Sys.Date()),
                   parallel::detectCores(), task_label, getOption("scLM.block_cells", 20000L)), out)
suppressWarnings(utils::write.table(rows, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
