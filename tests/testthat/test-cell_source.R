# The cell source (R/cell_source.R): bad input gives a clear error naming the argument, the
# user's object is not modified, and each block of a training matrix is validated once.
counts <- function() pbmc3k()$counts[, 1:40]

expect_bad_input <- function(x, pattern) {
  before <- deep_copy(x)  # `before <- x` would share x's memory and miss an in-place change
  expect_error(annotate_cells(small_model(), x, verbose = FALSE), pattern)
  expect_identical(x, before)
}

test_that("matrices are checked for values the model cannot use", {
  m <- counts()
  expect_bad_input(matrix("a", 2, 2, dimnames = list(c("g1", "g2"), NULL)), "numeric")
  neg <- m; neg@x[1] <- -1
  expect_bad_input(neg, "negative")
  na <- m; na@x[2] <- NA
  expect_bad_input(na, "NA")
  inf <- m; inf@x[3] <- Inf
  expect_bad_input(inf, "infinite")
  expect_bad_input(m[, 0], "no cells")
  empty <- m; empty[, 5] <- 0; empty <- Matrix::drop0(empty)
  # annotation gives an empty cell NA (test-annotate_cells.R); embeddings and training refuse it
  expect_error(embed_cells(small_model(), empty, verbose = FALSE), "1 cell with no counts")
  dup <- m; rownames(dup)[2] <- rownames(dup)[1]
  expect_bad_input(dup, "duplicated")
  unnamed <- m; rownames(unnamed) <- NULL
  expect_bad_input(unnamed, "feature names|rownames")
  expect_bad_input(list(1, 2), "must be a Seurat")
})

test_that("dense matrices give the same answer as sparse ones", {
  m <- query_counts(30)
  a <- annotate_cells(small_model(), m, verbose = FALSE)
  b <- annotate_cells(small_model(), as.matrix(m), verbose = FALSE)
  expect_equal(a$probabilities, b$probabilities, tolerance = 1e-6)
})

test_that("unknown assays and layers are clear errors", {
  skip_if_no_sce()
  sce <- SingleCellExperiment::SingleCellExperiment(list(counts = query_counts(20)))
  expect_error(annotate_cells(small_model(), sce, assay = "logcounts", verbose = FALSE), "not an assay")
  skip_if_no_seurat()
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(query_counts(20)))
  expect_error(annotate_cells(small_model(), so, assay = "ATAC", verbose = FALSE), "not an assay")
  expect_error(annotate_cells(small_model(), so, layer = "nope", verbose = FALSE), "not a layer")
})

test_that("a source validates each block once however many passes read it", {
  m <- query_counts(60)
  source <- scLM:::cell_source(m)
  expect_identical(source$state$checks, 0L)
  for (pass in 1:3) blocks <- scLM:::source_blocks(source, identity, combine = list)
  expect_identical(source$state$checks, 1L)
  expect_identical(blocks[[1]], m)  # in-memory sparse input is one block, not copied or changed
  dense <- scLM:::cell_source(as.matrix(m))
  scLM:::source_walk(dense, identity); scLM:::source_walk(dense, identity)
  expect_identical(dense$state$checks, 1L)
  expect_equal(scLM:::source_block(dense, 1L), m)
})

test_that("fine-tuning validates the training matrix once, not once per pass", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:120]
  ambient <- p$counts[, idx]; ambient@x <- ambient@x * 1.37  # non-integer counts warn at each validation
  warnings <- capture_warnings(finetune(tiny_config(), ambient, labels = p$cell_type[idx], epochs = 1,
                                        verbose = FALSE))
  # vocabulary (2 passes), tokens and calibration read the matrix; it was validated 4 times before
  expect_identical(sum(grepl("non-integer values", warnings)), 1L)
  skip_if_not_installed("DelayedArray")
  old <- options(scLM.block_cells = 50L)  # 3 blocks, each validated once
  on.exit(options(old))
  warnings <- capture_warnings(finetune(tiny_config(), DelayedArray::DelayedArray(ambient), labels = p$cell_type[idx],
                                        epochs = 1, verbose = FALSE))
  expect_identical(sum(grepl("non-integer values", warnings)), 3L)
})

test_that("the one-pass value scan counts what R's vectorised checks count", {
  x <- c(3, 0.5, NA, -2, Inf, -Inf, 7, -0.25, NaN, 1e300)
  scan <- sclm_scan_values(x)
  finite <- x[is.finite(x)]
  expect_equal(unname(scan), c(sum(is.na(x)), sum(is.infinite(x)), sum(finite < 0), sum(finite != round(finite))))
  expect_equal(unname(sclm_scan_values(numeric(0))), c(0, 0, 0, 0))
})
