# Bad input gives a clear error naming the argument, and the user's object is not modified.
counts <- function() pbmc3k()$counts[, 1:40]

expect_bad_input <- function(x, pattern) {
  before <- x
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
  expect_bad_input(empty, "no counts")
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
