# Real pbmc3k cells (bundled) and one small model shared by the tests.
pbmc3k <- function() {
  if (is.null(.cache$pbmc)) .cache$pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
  .cache$pbmc
}
.cache <- new.env()

# 60 cells per type (fewer for small types) for training, others for testing.
small_split <- function() {
  labels <- pbmc3k()$cell_type
  set.seed(11)
  train <- sort(unlist(lapply(split(seq_along(labels), labels), function(i) i[sample.int(length(i), min(60L, length(i) - 3L))])))
  list(train = train, test = setdiff(seq_along(labels), train))
}

tiny_config <- function() scLMConfig(n_features = 600, max_tokens = 96, dim = 32, ff_dim = 64)

small_model <- function() {
  if (is.null(.cache$model)) {
    p <- pbmc3k(); s <- small_split()
    .cache$model <- finetune(tiny_config(), p$counts[, s$train], labels = p$cell_type[s$train],
                             epochs = 15, token_dropout = 0.2, seed = 1, verbose = FALSE)
  }
  .cache$model
}

query_counts <- function(n = 200) {
  s <- small_split()
  pbmc3k()$counts[, s$test[seq_len(n)]]
}
query_labels <- function(n = 200) pbmc3k()$cell_type[small_split()$test[seq_len(n)]]

skip_if_no_seurat <- function() testthat::skip_if_not_installed("SeuratObject")
skip_if_no_sce <- function() testthat::skip_if_not_installed("SingleCellExperiment")

# Real scATAC-seq cells (bundled): 5,000 hg19 peaks x 600 bone-marrow cells, 6 types.
granja_atac <- function() {
  if (is.null(.cache$atac)) .cache$atac <- readRDS(system.file("extdata", "granja_bm_atac.rds", package = "scLM"))
  .cache$atac
}

# A small annATAC model on 80% of the cells (every 5th cell held out), shared by the ATAC tests.
atac_model <- function() {
  if (is.null(.cache$atac_model)) {
    a <- granja_atac(); train <- setdiff(seq_len(ncol(a$counts)), seq(5, ncol(a$counts), by = 5))
    .cache$atac_model <- finetune(annatac_config(n_layers = 2), a$counts[, train], a$cell_type[train],
                                  epochs = 12, class_weights = "annatac", seed = 1, verbose = FALSE)
  }
  .cache$atac_model
}
atac_test_cells <- function() seq(5, ncol(granja_atac()$counts), by = 5)

# Peak names `chr-start-end` moved `by` bp to the right, as re-called peaks would be; `sep` joins
# chromosome and start (":" gives 10x-style names).
shifted_peaks <- function(peaks, by = 100L, sep = "-") {
  p <- do.call(rbind, strsplit(peaks, "-", fixed = TRUE))
  paste0(p[, 1], sep, as.integer(p[, 2]) + by, "-", as.integer(p[, 3]) + by)
}

# A small SCTrans model on the small split, shared by the SCTrans tests: one model of 32/64-gene
# sub-vectors (29 tokens of 600 genes, for salient_features() to rank; the defaults give 8).
sctrans_model <- function() {
  if (is.null(.cache$sctrans)) {
    p <- pbmc3k(); s <- small_split()
    .cache$sctrans <- finetune(sctrans_config(n_features = 600, scales = c(32, 64)), p$counts[, s$train],
                               labels = p$cell_type[s$train], epochs = 15, n_models = 1, seed = 1, verbose = FALSE)
  }
  .cache$sctrans
}

# A deep copy: `before <- x` would share memory with x and could not reveal an in-place change.
deep_copy <- function(x) unserialize(serialize(x, NULL))

# Dataset `name` of the repository's ../shared/data (see its README), read by the benchmarks'
# reader (bench/shared_data.R); skips where they are out of reach (R CMD check's copy, CRAN).
shared_dataset <- function(name) {
  root <- normalizePath(file.path("..", ".."), mustWork = FALSE)
  data <- Sys.getenv("SCLM_SHARED_DATA", file.path(root, "..", "shared", "data"))
  reader <- file.path(root, "bench", "shared_data.R")
  if (!file.exists(reader) || !dir.exists(file.path(data, name))) testthat::skip(paste("shared dataset", name, "not reachable"))
  env <- new.env()
  sys.source(reader, env)
  old <- Sys.getenv("SCLM_SHARED_DATA", NA)
  Sys.setenv(SCLM_SHARED_DATA = data)
  on.exit(if (is.na(old)) Sys.unsetenv("SCLM_SHARED_DATA") else Sys.setenv(SCLM_SHARED_DATA = old))
  env$read_shared(name)
}
