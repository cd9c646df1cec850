# Bad input across the verbs and object types: each is a clear R error that names the argument
# (and, where there is one, the fix), and the user's object is left exactly as it was.

expect_bad_input <- function(x, run, pattern) {
  before <- deep_copy(x)
  expect_error(run(x), pattern)
  expect_identical(x, before)
}

counts_block <- function() query_counts(40)
# The 40 cells' labels, with a class of one cell (it warns) merged into another.
labels_block <- function() {
  y <- query_labels(40)
  single <- y %in% names(which(table(y) == 1L))
  y[single] <- y[!single][1]
  y
}
annotate <- function(x) annotate_cells(small_model(), x, verbose = FALSE)
train <- function(labels) function(x) finetune(tiny_config(), x, labels, epochs = 1, verbose = FALSE)

test_that("matrix values that are not counts are refused", {
  m <- counts_block()
  expect_bad_input(m[, 0], annotate, "`x` has no cells")
  expect_bad_input(m[0, ], annotate, "`x` has no genes")
  with_value <- function(v) { d <- m; d@x[5] <- v; d }
  expect_bad_input(with_value(NA), annotate, "`x` has 1 NA/NaN value")
  expect_bad_input(with_value(NaN), annotate, "`x` has 1 NA/NaN value")
  expect_bad_input(with_value(Inf), annotate, "`x` has infinite values")
  expect_bad_input(with_value(-3), annotate, "`x` has 1 negative value.*layer = \"counts\"")
  empty <- m; empty[, 2] <- 0; empty <- Matrix::drop0(empty)
  expect_bad_input(empty, function(x) embed_cells(small_model(), x, verbose = FALSE), "`x` has 1 cell with no counts.*Remove them")
  expect_bad_input(empty, train(labels_block()), "`x` has 1 cell with no counts.*Remove them")
  expect_bad_input(as.matrix(m) > 0, annotate, "`x` must hold numeric counts")
  expect_bad_input(as.data.frame(letters), annotate, "`x` must hold numeric counts|`x` must be a Seurat")
  expect_bad_input(list(m), annotate, "`x` must be a Seurat or SingleCellExperiment object or a genes x cells matrix")
})

test_that("scaled data are refused; non-integer counts that are not log-normalised warn", {
  m <- counts_block()
  scaled <- m; scaled@x <- scaled@x - 1.5
  expect_bad_input(scaled, annotate, "`x` has .* negative value.*scaled data.*layer = \"data\"")
  expect_bad_input(scaled, train(labels_block()), "`x` has .* negative value")
  ambient <- m; ambient@x <- ambient@x * 1.37
  expect_warning(annotate(ambient), "`x` has non-integer values")
})

test_that("gene names must be present, unique and overlap the model", {
  m <- counts_block()
  dup <- m; rownames(dup)[2] <- rownames(dup)[1]
  expect_bad_input(dup, annotate, "`x` has 1 duplicated feature name.*make.unique")
  blank <- m; rownames(blank)[3] <- ""
  expect_bad_input(blank, annotate, "`x` has 1 empty or NA feature name")
  unnamed <- m; rownames(unnamed) <- NULL
  expect_bad_input(unnamed, annotate, "`x` has no feature names.*rownames")
  mouse <- m; rownames(mouse) <- paste0("Gm", seq_len(nrow(m)))
  expect_bad_input(mouse, annotate, "None of the .* model genes are in the data")
  expect_bad_input(mouse, function(x) embed_cells(small_model(), x, verbose = FALSE), "None of the")
})

test_that("labels must fit the cells", {
  m <- counts_block(); y <- labels_block()
  expect_bad_input(m, train(y[-1]), "`labels` has 39 entries but `x` has 40 cells")
  expect_bad_input(m, train(rep(NA_character_, 40)), "`labels` has 40 NA values.*Subset")
  expect_bad_input(m, train(rep("B", 40)), "`labels` has a single class")
  expect_bad_input(m, train("no_such_column"), "`labels` is a single string but `x` has no cell metadata")
  expect_bad_input(m, train(list(y)), "`labels` must be a vector")
  extra <- factor(y, levels = c(unique(y), "Megakaryocyte"))
  expect_warning(model <- finetune(tiny_config(), m, extra, epochs = 1, verbose = FALSE),
                 "`labels` has 1 unused level.*Megakaryocyte")
  expect_false("Megakaryocyte" %in% model$labels)
})

test_that("Seurat and SingleCellExperiment inputs name the assay or layer that is missing", {
  skip_if_no_seurat()
  m <- counts_block()
  seu <- SeuratObject::CreateSeuratObject(m)
  seu$cell_type <- labels_block()
  expect_bad_input(seu, function(x) annotate_cells(small_model(), x, assay = "ADT", verbose = FALSE),
                   "`assay` \"ADT\" is not an assay of `x`")
  expect_bad_input(seu, function(x) annotate_cells(small_model(), x, layer = "spliced", verbose = FALSE),
                   "`layer` \"spliced\" is not a layer")
  expect_bad_input(seu, train("no_such_column"), "`labels` \"no_such_column\" is not a cell metadata column")
  skip_if_no_sce()
  sce <- SingleCellExperiment::SingleCellExperiment(list(counts = m))
  expect_bad_input(sce, function(x) annotate_cells(small_model(), x, assay = "logcounts", verbose = FALSE),
                   "`assay` \"logcounts\" is not an assay of `x`")
})

test_that("peak names, modalities and model files are checked", {
  a <- granja_atac()$counts[, 1:30]
  bad_peaks <- a; rownames(bad_peaks)[1:3] <- c("peak1", "chr1_100_200", "chr1-300")
  expect_bad_input(bad_peaks, function(x) annotate_cells(atac_model(), x, verbose = FALSE),
                   "`x` has 3 row names that are not peak names.*chr1-10000-10500")
  expect_bad_input(counts_block(), function(x) annotate_cells(atac_model(), x, verbose = FALSE), "`x` holds genes .*, not peaks, but the model is an scATAC-seq model")
  expect_bad_input(a, annotate, "`x` holds scATAC-seq peaks .* but `model` is an scRNA-seq model.*annatac_config")
  path <- tempfile(fileext = ".scLM"); save_model(small_model(), path)
  truncated <- tempfile(); writeBin(readBin(path, "raw", 1000), truncated)
  expect_error(load_model(truncated), "`file`: .* is not a valid scLM model file.*re-save or re-train")
  expect_bad_input(small_model(), function(m) save_model(m, file.path(tempdir(), "none", "m.scLM")),
                   "`file`: folder .* does not exist")
  expect_bad_input(list(weights = 1), function(m) annotate_cells(m, counts_block()), "`model` must be an .*scLM_model")
})

test_that("settings out of range are refused before any work starts", {
  m <- counts_block(); y <- labels_block()
  fit <- function(...) function(x) finetune(tiny_config(), x, y, verbose = FALSE, ...)
  expect_bad_input(m, fit(epochs = 0), "`epochs` must be a whole number between 1 and 10000")
  expect_bad_input(m, fit(batch_size = 0), "`batch_size` must be a whole number")
  expect_bad_input(m, fit(learning_rate = -1), "`learning_rate` must be a number")
  expect_bad_input(m, fit(num_threads = parallel::detectCores() + 1L), "`num_threads` .* is more than the .* cores.*or fewer")
  expect_bad_input(m, function(x) annotate_cells(small_model(), x, batch_size = 0, verbose = FALSE), "`batch_size`")
  expect_bad_input(m, function(x) annotate_cells(small_model(), x, threshold = 2, verbose = FALSE),
                   "`threshold` must be a number between 0 and 1")
  expect_error(scLMConfig(dim = 8, n_heads = 16), "`dim` \\(8\\) must be a multiple of `n_heads` \\(16\\).*Try")
  expect_error(scLMConfig(dim = 0), "`dim` must be a whole number between 2 and 4096")
  expect_error(scLMConfig(n_layers = 0), "`n_layers` must be a whole number")
  expect_error(scLMConfig(max_tokens = 0), "`max_tokens` must be a whole number")
  expect_bad_input(m, function(x) pretrain(x, tiny_config(), mask_fraction = 1.5, verbose = FALSE), "`mask_fraction`")
})

test_that("device = \"cuda\" without CUDA says how to get it", {
  skip_if(scLM_backend()$cuda_available, "CUDA is available here")
  expect_bad_input(counts_block(), function(x) annotate_cells(small_model(), x, device = "cuda", verbose = FALSE),
                   "`device` is \"cuda\" but no CUDA device.*device = \"cpu\"")
  expect_bad_input(counts_block(), function(x) finetune(tiny_config(), x, labels_block(), device = "cuda:1"),
                   "no CUDA device")
})
