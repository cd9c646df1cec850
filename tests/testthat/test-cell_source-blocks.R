# On-disk / DelayedArray input is read in blocks of cells; results equal the in-memory path.

# Half the training cells of the test split (230 real pbmc3k cells) and their labels.
training_cells <- function() {
  p <- pbmc3k()
  cells <- small_split()$train[seq(1, length(small_split()$train), by = 2)]
  list(counts = p$counts[, cells], labels = p$cell_type[cells])
}

# finetune() and pretrain() of `cfg` on the cells `d` give the same vocabulary and weights from a
# DelayedArray read in blocks as from memory; returns both fine-tuned models and the fitting function.
expect_same_training_on_disk <- function(cfg, d, epochs) {
  fit <- function(x) finetune(cfg, x, labels = d$labels, epochs = epochs, seed = 3, verbose = FALSE)
  on_disk <- fit(DelayedArray::DelayedArray(d$counts))
  in_memory <- fit(d$counts)
  # The vocabulary (highly variable genes from running sums over the blocks) and the trained weights are the same.
  expect_identical(on_disk$config$features, in_memory$config$features)
  expect_identical(on_disk$weights, in_memory$weights)
  pre <- function(x) pretrain(x, cfg, epochs = 1, seed = 3, verbose = FALSE)
  expect_identical(pre(DelayedArray::DelayedArray(d$counts))$encoder_weights, pre(d$counts)$encoder_weights)
  list(on_disk = on_disk, in_memory = in_memory, fit = fit)
}
test_that("DelayedArray input is streamed in blocks with identical results", {
  skip_if_not_installed("DelayedArray")
  q <- query_counts(70)
  d <- DelayedArray::DelayedArray(q)
  old <- options(scLM.block_cells = 25L)
  on.exit(options(old))
  a <- annotate_cells(small_model(), d, verbose = FALSE)
  b <- annotate_cells(small_model(), q, verbose = FALSE)
  expect_identical(rownames(a), colnames(q))
  expect_equal(a$probabilities, b$probabilities, tolerance = 1e-6)
  expect_equal(embed_cells(small_model(), d, verbose = FALSE), embed_cells(small_model(), q, verbose = FALSE),
               tolerance = 1e-6)
  expect_equal(attention_scores(small_model(), d, verbose = FALSE),
               attention_scores(small_model(), q, verbose = FALSE), tolerance = 1e-6)
  bad <- q; bad[, 60] <- 0; bad <- Matrix::drop0(bad)
  expect_error(embed_cells(small_model(), DelayedArray::DelayedArray(bad), verbose = FALSE), "no counts")
  expect_warning(na <- annotate_cells(small_model(), DelayedArray::DelayedArray(bad), verbose = FALSE), "no counts")
  expect_identical(which(is.na(na$labels)), 60L)
})

test_that("10x HDF5 files (HDF5Array::TENxMatrix) are read in sparse blocks with identical results", {
  skip_if_not_installed("HDF5Array")
  q <- query_counts(70)
  file <- tempfile(fileext = ".h5")
  rhdf5::h5createFile(file)
  rhdf5::h5createGroup(file, "matrix")
  rhdf5::h5write(as.integer(q@x), file, "matrix/data")
  rhdf5::h5write(q@i, file, "matrix/indices")
  rhdf5::h5write(q@p, file, "matrix/indptr")
  rhdf5::h5write(dim(q), file, "matrix/shape")
  rhdf5::h5write(colnames(q), file, "matrix/barcodes")
  rhdf5::h5write(rownames(q), file, "matrix/genes")
  on.exit(rhdf5::h5closeAll())
  on_disk <- HDF5Array::TENxMatrix(file, "matrix")
  old <- options(scLM.block_cells = 30L)
  on.exit(options(old), add = TRUE)
  block <- scLM:::read_cell_block(on_disk, 31L, 60L)
  expect_s4_class(block, "dgCMatrix")
  expect_equal(unname(as.matrix(block)), unname(as.matrix(q[, 31:60])))
  expect_identical(colnames(block), colnames(q)[31:60])
  expect_equal(annotate_cells(small_model(), on_disk, verbose = FALSE)$probabilities,
               annotate_cells(small_model(), q, verbose = FALSE)$probabilities, tolerance = 1e-6)
})

test_that("training reads DelayedArray input in blocks and gives the in-memory model", {
  skip_if_not_installed("DelayedArray")
  d <- training_cells()
  m <- d$counts
  old <- options(scLM.block_cells = 70L)  # 4 blocks
  on.exit(options(old))
  cfg <- scLMConfig(n_features = 300, max_tokens = 64, dim = 32, ff_dim = 64, tokenizer = "value_bins")
  fits <- expect_same_training_on_disk(cfg, d, epochs = 2)
  # Calibration runs inference in blocks: other batches, float rounding amplified by the inverse covariance.
  expect_equal(fits$on_disk$unknown, fits$in_memory$unknown, tolerance = 1e-4)
  # The rank tokenizer's gene medians come from a sample of runs of cells across the matrix.
  ranked <- pretrain(DelayedArray::DelayedArray(m), scLMConfig(n_features = 300, max_tokens = 64, dim = 32, ff_dim = 64,
                                                              tokenizer = "rank"),
                     epochs = 1, verbose = FALSE)
  expect_length(ranked$config$gene_scale, 300L)
  expect_true(all(ranked$config$gene_scale > 0))

  bad <- m; bad[, 100] <- 0; bad <- Matrix::drop0(bad)
  expect_error(fits$fit(DelayedArray::DelayedArray(bad)), "no counts")
})

test_that("SCTrans training reads DelayedArray input in blocks and gives the in-memory model", {
  skip_if_not_installed("DelayedArray")
  d <- training_cells()
  m <- d$counts
  old <- options(scLM.block_cells = 70L)  # 4 blocks
  on.exit(options(old))
  # Co-expression order samples cells across the blocks; only the sampled cells are read.
  cfg <- sctrans_config(n_features = 256, scales = c(16, 32), gene_order = "coexpression", dim = 16)
  fits <- expect_same_training_on_disk(cfg, d, epochs = 1)
  # A different model: the test can tell models apart.
  expect_false(identical(finetune(cfg, m, labels = d$labels, epochs = 1, seed = 4, verbose = FALSE)$weights,
                         fits$in_memory$weights))
})

test_that("scATAC training reads on-disk peaks in blocks: islands from running counts, the in-memory model", {
  skip_if_not_installed("DelayedArray")
  a <- granja_atac()
  train <- setdiff(seq_len(ncol(a$counts)), atac_test_cells())
  d <- list(counts = a$counts[, train], labels = a$cell_type[train])
  old <- options(scLM.block_cells = 130L)  # 4 blocks of peaks, each turned into islands on its own
  on.exit(options(old))
  # SCTrans on peak islands: same islands, same weights, same pretrained encoder.
  cfg <- sctrans_config(modality = "atac", n_features = 1500, scales = c(64, 128), dim = 16)
  fits <- expect_same_training_on_disk(cfg, d, epochs = 1)
  expect_length(fits$on_disk$features, 1500L)
  # Blocks whose islands hold no counts are refused as in memory.
  bad <- d$counts; bad[, 200] <- 0; bad <- Matrix::drop0(bad)
  expect_error(fits$fit(DelayedArray::DelayedArray(bad)), "no counts")
  # annATAC: the same islands; its SVD positions come from a one-block sample of the cells
  # (20 runs spread over the matrix), so the model may differ but still learns the types.
  annatac <- function(x) finetune(annatac_config(n_features = 1500, n_layers = 1), x, d$labels, epochs = 6,
                                  class_weights = "annatac", seed = 1, verbose = FALSE)
  on_disk <- annatac(DelayedArray::DelayedArray(d$counts))
  expect_identical(on_disk$features, annatac(d$counts)$features)
  test <- atac_test_cells()
  expect_gt(mean(annotate_cells(on_disk, a$counts[, test], verbose = FALSE)$labels == a$cell_type[test]), 0.5)
})
